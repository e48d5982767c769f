package repo_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/repo"
)

func snapshot(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func TestWrite_FailureLeavesOutputUntouched(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	first := files.Set{"compose/a/x.yml": []byte("a1"), "compose/b/y.yml": []byte("b1")}
	if _, err := repo.Write(dir, first, repo.Options{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("mine"), 0o644)
	before := snapshot(t, dir)
	second := files.Set{"compose/a/x.yml": []byte("a2"), "compose/b/y.yml": []byte("b2"), "compose/c/z.yml": []byte("c2")}
	if _, err := repo.Write(dir, second, repo.Options{FailAfter: 1}); err == nil {
		t.Fatal("injected failure did not fail")
	}
	after := snapshot(t, dir)
	if len(before) != len(after) {
		t.Fatalf("files changed: %v -> %v", before, after)
	}
	for p, b := range before {
		if after[p] != b {
			t.Errorf("%s changed", p)
		}
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".deploy.cht-gen-*"))
	if len(left) != 0 {
		t.Errorf("temporary directories left: %v", left)
	}
}

func TestWrite_PrunesOwnedKeepsForeignAndUnchanged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	if _, err := repo.Write(dir, files.Set{"compose/a/x.yml": []byte("a"), "compose/gone/y.yml": []byte("g")}, repo.Options{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "compose", "a", "local.txt"), []byte("mine"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "compose/a/x.yml"), old, old)
	changes, err := repo.Write(dir, files.Set{"compose/a/x.yml": []byte("a")}, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 { // the pruned file and the manifest
		t.Errorf("changes %v", changes)
	}
	if _, err := os.Stat(filepath.Join(dir, "compose/gone/y.yml")); !os.IsNotExist(err) {
		t.Error("file of a deleted environment kept")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "compose/a/local.txt")); string(b) != "mine" {
		t.Error("file cht-gen does not own was touched")
	}
	if info, _ := os.Stat(filepath.Join(dir, "compose/a/x.yml")); !info.ModTime().Equal(old) {
		t.Error("unchanged file rewritten")
	}
	if c, _ := repo.Write(dir, files.Set{"compose/a/x.yml": []byte("a")}, repo.Options{}); c != nil {
		t.Errorf("second identical write changed %v", c)
	}
}

func TestWrite_OutputIsAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "deploy")
	os.WriteFile(f, []byte("x"), 0o644)
	if _, err := repo.Write(f, files.Set{"a": []byte("b")}, repo.Options{}); err == nil {
		t.Fatal("wrote into a file")
	}
}
