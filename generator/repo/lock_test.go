//go:build unix

package repo

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/files"
)

func TestWrite_SecondWriterFailsClearlyWhileLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	unlock, err := lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Write(dir, files.Set{"compose/a/x.yml": []byte("x: 1\n")}, Options{})
	if err == nil || !strings.Contains(err.Error(), "another cht-gen is writing") {
		t.Fatalf("concurrent write: %v", err)
	}
	unlock()
	if _, err := Write(dir, files.Set{"compose/a/x.yml": []byte("x: 1\n")}, Options{}); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}
