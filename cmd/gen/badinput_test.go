package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// cliBinary is cht-gen built once for the tests that run it as a process
// (exit codes, signals, a runaway evaluation that must not stay in the
// test binary).
var cliBinary struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	// The go builds of builtCLI and hookBinary find their cache through
	// XDG_CACHE_HOME too: pin the real one first, or every run compiles
	// the whole CLI twice from nothing (100 s of a make test's 200).
	if os.Getenv("GOCACHE") == "" {
		if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
			os.Setenv("GOCACHE", strings.TrimSpace(string(out)))
		}
	}
	// render's record of verified inputs goes to a throw-away cache (the
	// CLI processes tests start get XDG_CACHE_HOME too: their HOME is often
	// the repository they must leave unchanged).
	cache, err := os.MkdirTemp("", "cht-gen-cache-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	os.RemoveAll(cache)
	if cliBinary.dir != "" {
		os.RemoveAll(cliBinary.dir)
	}
	os.Exit(code)
}

func builtCLI(t *testing.T) string {
	t.Helper()
	cliBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "cht-gen-bin-*")
		if err != nil {
			cliBinary.err = err
			return
		}
		cliBinary.dir = dir
		os.Chmod(dir, 0o755) // the read-only case runs it as another user
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "cht-gen"), ".").CombinedOutput()
		if err != nil {
			cliBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliBinary.err != nil {
		t.Fatal(cliBinary.err)
	}
	return filepath.Join(cliBinary.dir, "cht-gen")
}

// The bad-input matrix is testdata/script/badinput_*.txtar, one case a
// file (TestScripts runs them). This test keeps the matrix from shrinking
// unnoticed: a case is removed only on purpose, with this number.
func TestCLI_BadInputMatrixHasEveryCase(t *testing.T) {
	const cases = 82
	scripts, err := filepath.Glob(filepath.Join("testdata", "script", "badinput_*.txtar"))
	if err != nil || len(scripts) < cases {
		t.Errorf("%d bad-input scripts (%v), the matrix has %d cases", len(scripts), err, cases)
	}
}

// edit replaces old with new in a file of the repository copy.
func edit(name, old, new string) func(*testing.T, string) {
	return func(t *testing.T, repo string) {
		t.Helper()
		p := filepath.Join(repo, name)
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(old)) {
			t.Fatalf("%s does not contain %q (%v)", name, old, err)
		}
		os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
	}
}

// firstDifference shows the first line where two snapshots differ.
func firstDifference(before, after string) string {
	return lineDifference("before", before, "after", after)
}

// lineDifference shows the first line where a and b differ, each labelled.
func lineDifference(aName, a, bName, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			w := max(len(aName), len(bName)) + 1
			return fmt.Sprintf("  line %d\n  %-*s %q\n  %-*s %q", i+1, w, aName+":", x, w, bName+":", y)
		}
	}
	return ""
}

// A read-only output: run as an unprivileged user when the tests run as
// root (root writes through file modes), else with the modes removed.
func TestCLI_ReadOnlyOutput(t *testing.T) {
	bin := builtCLI(t)
	template, _ := hostingRepo(t)
	repo, err := os.MkdirTemp("", "cht-gen-readonly-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(repo, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(repo)
	})
	if err := os.CopyFS(repo, os.DirFS(template)); err != nil {
		t.Fatal(err)
	}
	edit("environments/cluster.cue", `version: "4.21.1"`, `version: "4.22.0"`)(t, repo)
	cmd := exec.Command(bin, "render")
	cmd.Dir = repo
	cmd.Env = []string{"HOME=" + os.TempDir(), "PATH=" + os.Getenv("PATH"), "XDG_CACHE_HOME=" + os.Getenv("XDG_CACHE_HOME")}
	if os.Geteuid() == 0 {
		filepath.WalkDir(repo, func(p string, d os.DirEntry, err error) error {
			if err == nil {
				mode := os.FileMode(0o644)
				if d.IsDir() {
					mode = 0o755
				}
				os.Chmod(p, mode)
			}
			return nil
		})
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	} else {
		os.Chmod(filepath.Join(repo, "deploy"), 0o555)
		os.Chmod(repo, 0o555)
	}
	before := snapshot(t, repo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit %d (%v), want 1:\n%s", code, err, stderr.String())
	}
	for _, w := range []string{"permission denied", "needs write access to"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr does not say %q:\n%s", w, stderr.String())
		}
	}
	if after := snapshot(t, repo); after != before {
		t.Errorf("the repository changed:\n%s", firstDifference(before, after))
	}
}
