package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cht-gen/cht-gen/internal/atomicfile"
)

func TestWriteFile_ReplacesWholeAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "prod.cue")
	os.WriteFile(p, []byte("old"), 0o600)
	if err := atomicfile.WriteFile(p, []byte("new"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	info, _ := os.Stat(p)
	if string(b) != "new" || info.Mode().Perm() != 0o640 {
		t.Errorf("got %q mode %v, want \"new\" 0640", b, info.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the file", len(entries))
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "missing", "x.cue"), nil, 0o644); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}
