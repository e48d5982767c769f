package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/repo"
)

// The committed deploy/ is the golden output of environments/: what a
// reviewer reads in a pull request is what cht-gen renders. CHT_UPDATE=1
// (make update) rewrites it through the real writer; read at test time
// because go test caches results by flags, not by environment files.
const (
	goldenEnvironments = "../../environments"
	goldenDeploy       = "../../deploy"
)

func TestGolden_DeployIsTheRenderOfEnvironments(t *testing.T) {
	if os.Getenv("CHT_UPDATE") != "" {
		if code, _, errs := runCLI(t, "render", "--environments", goldenEnvironments, "--out", goldenDeploy); code != 0 {
			t.Fatalf("CHT_UPDATE: render into %s: exit %d\n%s", goldenDeploy, code, errs)
		}
	}
	got := filepath.Join(t.TempDir(), "deploy")
	if code, _, errs := runCLI(t, "render", "--environments", goldenEnvironments, "--out", got); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, errs)
	}
	for _, d := range treeDifferences(t, goldenDeploy, got) {
		t.Error(d)
	}
	if t.Failed() {
		t.Log("deploy/ is stale: run `make update` (CHT_UPDATE=1 go test ./cmd/gen/ -run Golden) and review the diff")
	}
}

// The golden test must be able to fail: an edited, a missing and an extra
// file in a copy of deploy/ are each reported.
func TestGolden_ReportsEditedMissingAndExtraFiles(t *testing.T) {
	rendered := filepath.Join(t.TempDir(), "deploy")
	if code, _, errs := runCLI(t, "render", "--environments", goldenEnvironments, "--out", rendered); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, errs)
	}
	cases := []struct {
		name      string
		breakCopy func(dir string) error
		want      string
	}{
		{"edited", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "compose/dev/cht-core.yml"), []byte("edited\n"), 0o644)
		}, "compose/dev/cht-core.yml: differs"},
		{"one byte appended to the manifest", func(dir string) error {
			f, err := os.OpenFile(filepath.Join(dir, ".cht-gen-manifest"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("\n")
			return err
		}, ".cht-gen-manifest: differs"},
		{"missing", func(dir string) error {
			return os.Remove(filepath.Join(dir, "kubernetes/base/kustomization.yaml"))
		}, "kubernetes/base/kustomization.yaml: rendered but not in"},
		{"extra", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "compose/dev/stray.yml"), nil, 0o644)
		}, "compose/dev/stray.yml: in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden := t.TempDir()
			if err := os.CopyFS(golden, os.DirFS(rendered)); err != nil {
				t.Fatal(err)
			}
			if d := treeDifferences(t, golden, rendered); len(d) != 0 {
				t.Fatalf("an unchanged copy differs: %v", d)
			}
			if err := c.breakCopy(golden); err != nil {
				t.Fatal(err)
			}
			d := treeDifferences(t, golden, rendered)
			if len(d) != 1 || !strings.Contains(d[0], c.want) {
				t.Errorf("differences %q, want one saying %q", d, c.want)
			}
		})
	}
}

// treeDifferences compares every file under golden with the file of the
// same path under got, byte for byte, and lists the files present in only
// one of them.
func treeDifferences(t *testing.T, golden, got string) []string {
	t.Helper()
	want, have := readTree(t, golden), readTree(t, got)
	var diffs []string
	for p, w := range want {
		h, ok := have[p]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: in %s but not rendered", p, golden))
		case !bytes.Equal(w, h):
			diffs = append(diffs, fmt.Sprintf("%s: differs from the render\n%s", p, lineDifference("committed", string(w), "rendered", string(h))))
		}
	}
	for p := range have {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: rendered but not in %s", p, golden))
		}
	}
	sort.Strings(diffs)
	return diffs
}

// readTree is every regular file under dir by slash path, but the lock
// file: local bookkeeping, never committed (.gitignore).
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || filepath.ToSlash(rel) == repo.LockName {
			return err
		}
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
