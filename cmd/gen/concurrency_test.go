package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cht-gen/cht-gen/internal/synth"
)

// synthRepo writes n synthetic environments and renders them once.
func synthRepo(t *testing.T, bin string, n int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "environments"), synth.Environments(n)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "render")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("render: %v\n%s", err, out)
	}
	return dir
}

// leftovers lists what a run may leave behind: anything beside the output
// (the old writer's temporary trees and lock file), temporary files in it,
// or a journal in its manifest.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	out, _ := filepath.Glob(filepath.Join(dir, ".deploy*"))
	filepath.WalkDir(filepath.Join(dir, "deploy"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".cht-gen-") && strings.HasSuffix(d.Name(), ".tmp") {
			out = append(out, p)
		}
		return nil
	})
	if b, _ := os.ReadFile(filepath.Join(dir, "deploy", ".cht-gen-manifest")); bytes.Contains(b, []byte("#! journal")) {
		out = append(out, "a journal in deploy/.cht-gen-manifest")
	}
	return out
}

func TestCLI_ConcurrentRendersNeverInterleave(t *testing.T) {
	bin := builtCLI(t)
	dir := synthRepo(t, bin, 40)
	p := filepath.Join(dir, "environments", "env0009.cue")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.ReplaceAll(b, []byte(`"4.21.1"`), []byte(`"4.22.0"`)), 0o644)

	const runs = 4
	var wg sync.WaitGroup
	codes := make([]int, runs)
	errs := make([]string, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "render")
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			cmd.Run()
			codes[i], errs[i] = cmd.ProcessState.ExitCode(), stderr.String()
		}()
	}
	wg.Wait()
	ok := 0
	for i := range runs {
		switch {
		case codes[i] == 0:
			ok++
		case codes[i] == 1 && strings.Contains(errs[i], "another cht-gen is writing deploy"):
		default:
			t.Errorf("run %d: exit %d, neither success nor a clear lock message:\n%s", i, codes[i], errs[i])
		}
	}
	if ok == 0 {
		t.Error("no run succeeded")
	}
	cmd := exec.Command(bin, "render", "--check")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("output after concurrent renders is not a whole render: %v\n%s", err, out)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

func TestCLI_SignalLeavesPreviousOutput(t *testing.T) {
	bin := builtCLI(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := synthRepo(t, bin, 200)
			for _, f := range []string{"env0009.cue", "env0019.cue"} {
				p := filepath.Join(dir, "environments", f)
				b, _ := os.ReadFile(p)
				os.WriteFile(p, bytes.ReplaceAll(b, []byte(`"4.21.1"`), []byte(`"4.22.0"`)), 0o644)
			}
			before := snapshot(t, filepath.Join(dir, "deploy"))
			cmd := exec.Command(bin, "render")
			cmd.Dir = dir
			// Every overlay built again, not only the changed ones, so
			// the render is still running when the signal comes.
			cmd.Env = append(os.Environ(), "CHT_GEN_NO_VERIFY_CACHE=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Mid-render: loading 200 environments and building their
			// overlays takes over a second on 2 cores.
			time.Sleep(300 * time.Millisecond)
			cmd.Process.Signal(sig)
			cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if want := 128 + int(sig); code != want {
				t.Fatalf("exit %d, want %d (the render finished before the signal?):\n%s", code, want, stderr.String())
			}
			if !strings.Contains(stderr.String(), "nothing was left half-written") {
				t.Errorf("stderr:\n%s", stderr.String())
			}
			if after := snapshot(t, filepath.Join(dir, "deploy")); after != before {
				t.Errorf("output changed:\n%s", firstDifference(before, after))
			}
			if l := leftovers(t, dir); len(l) > 0 {
				t.Errorf("left behind: %v", l)
			}
		})
	}
}
