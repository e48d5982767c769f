package scaffold_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5"

	"github.com/cht-gen/cht-gen/generator/scaffold"
)

// TestCheckRoot: init scaffolds a work tree's root or a folder outside
// Git; a subfolder of a work tree is refused with a *NotRootError naming
// the root.
func TestCheckRoot(t *testing.T) {
	outside := t.TempDir()
	root := t.TempDir()
	if _, err := git.PlainInit(root, false); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "hosting")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{outside, filepath.Join(outside, "new"), root} {
		if err := scaffold.CheckRoot(dir); err != nil {
			t.Errorf("CheckRoot(%s): %v, want it accepted", dir, err)
		}
	}
	for _, dir := range []string{sub, filepath.Join(sub, "new")} {
		var nr *scaffold.NotRootError
		if err := scaffold.CheckRoot(dir); !errors.As(err, &nr) || nr.Rel == "." {
			t.Errorf("CheckRoot(%s): %v, want a NotRootError", dir, err)
		}
	}
}
