package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteLock_OneHelper: the lock a signal waits on is taken by
// whileWriting alone (and by main's signal handler, which waits on it),
// so that no writer can forget it or take it in its own way.
func TestWriteLock_OneHelper(t *testing.T) {
	names, _ := filepath.Glob("*.go")
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") || name == "writelock.go" || name == "main.go" {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "writing.Lock") {
			t.Errorf("%s takes the writing lock itself: go through whileWriting", name)
		}
	}
	// Each command that writes goes through it.
	for name, call := range map[string]string{
		"outputfs.go": "repo.WriteContext", "bump.go": "newBumper(gh).Run", "init.go": "prepared.Apply()",
		"import.go": "r.Write)", "secrets.go": "repo.WriteNew(out, r.Body)",
	} {
		b, _ := os.ReadFile(name)
		i := strings.Index(string(b), call)
		if i < 0 || !strings.Contains(string(b[max(0, i-400):i]), "whileWriting(") {
			t.Errorf("%s: %s is not inside whileWriting", name, call)
		}
	}
}

// TestWhileWriting_HoldsTheLock: a signal handler taking the lock waits
// until the write has ended.
func TestWhileWriting_HoldsTheLock(t *testing.T) {
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		whileWriting(func() error { close(inside); <-release; return nil })
		close(done)
	}()
	<-inside
	if writing.TryLock() {
		t.Fatal("the lock was free during the write")
	}
	close(release)
	<-done
	if !writing.TryLock() {
		t.Fatal("the lock is still held after the write")
	}
	writing.Unlock()
}
