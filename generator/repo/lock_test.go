//go:build unix

package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"

	"github.com/cht-gen/cht-gen/generator/files"
)

func TestWrite_SecondWriterFailsClearlyWhileLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	set := files.Set{"compose/a/x.yml": []byte("x: 1\n")}
	if _, err := Write(dir, set, Options{}); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, LockName)
	before, err := os.Stat(lockPath)
	if err != nil {
		t.Fatalf("the lock file is not kept in place: %v", err)
	}
	unlock, err := lockedfile.MutexAt(lockPath).Lock()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Write(dir, files.Set{"compose/a/x.yml": []byte("x: 2\n")}, Options{LockWait: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "another cht-gen is writing") {
		t.Fatalf("concurrent write: %v", err)
	}
	unlock()
	if _, err := Write(dir, files.Set{"compose/a/x.yml": []byte("x: 2\n")}, Options{}); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	after, err := os.Stat(lockPath)
	if err != nil || !os.SameFile(before, after) {
		t.Errorf("the lock file was replaced or deleted (%v): two writers could lock different files", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "compose/a/x.yml")); string(b) != "x: 2\n" {
		t.Errorf("content %q", b)
	}
}

// A writer waiting for the lock gets it when the holder finishes.
func TestWrite_WaitsForTheHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	os.MkdirAll(dir, 0o755)
	unlock, err := lockedfile.MutexAt(filepath.Join(dir, LockName)).Lock()
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, unlock)
	if _, err := Write(dir, files.Set{"a.yml": []byte("a")}, Options{LockWait: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
}
