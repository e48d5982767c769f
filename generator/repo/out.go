package repo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"

	"github.com/cht-gen/cht-gen/internal/atomicfile"
)

// openOut opens the output directory as an os.Root: every later path is
// resolved inside it, and a symbolic link that leads out of it is an
// error rather than followed. (The standard library's os.Root resolves
// each path relative to an open directory, which the older
// filepath-securejoin.SecureJoin cannot do without a race.)
//
// An --out that is itself a symbolic link to a folder is followed
// deliberately: cht-gen writes into that folder and leaves the link as it
// is. A missing --out is created (0755) when create is set; otherwise
// openOut returns a nil Root.
func openOut(dir string, create bool) (*os.Root, error) {
	info, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !create {
			return nil, nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, explainPermission(fmt.Errorf("create output %s: %w", dir, err), dir)
		}
	case err != nil:
		return nil, err
	case info.Mode()&fs.ModeSymlink != 0:
		link, _ := os.Readlink(dir)
		target, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("output %s is a symbolic link to %s, which does not exist (%v): create that folder or point --out at a real folder; cht-gen never replaces the link", dir, link, err)
		}
		if !target.IsDir() {
			return nil, fmt.Errorf("output %s is a symbolic link to %s, which is not a directory", dir, link)
		}
	case !info.IsDir():
		return nil, fmt.Errorf("output %s exists and is not a directory", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, explainPermission(fmt.Errorf("open output %s: %w", dir, err), dir)
	}
	return root, nil
}

// explainPermission says what a permission error means for the writer.
func explainPermission(err error, dir string) error {
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return fmt.Errorf("%w: cht-gen needs write access to %s and to the folders in it that hold the files it renders", err, dir)
}

// defaultLockWait is how long a run waits for another one writing the
// same output (writes take seconds at most; the render happens before).
const defaultLockWait = 3 * time.Second

// lockOut takes the output's lock file (LockName, created once and never
// deleted, so every run locks the same file). It waits up to wait for a
// run holding it, and stops waiting when ctx ends.
func lockOut(ctx context.Context, root *os.Root, dir string, wait time.Duration) (unlock func(), err error) {
	if info, err := root.Lstat(LockName); err == nil && !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: cht-gen keeps its lock file there; move it away", filepath.Join(dir, LockName))
	}
	name := filepath.Join(root.Name(), LockName)
	type locked struct {
		unlock func()
		err    error
	}
	got := make(chan locked, 1)
	var mu sync.Mutex
	gaveUp := false
	go func() {
		unlock, err := lockedfile.MutexAt(name).Lock()
		mu.Lock()
		defer mu.Unlock()
		if gaveUp {
			if err == nil {
				unlock()
			}
			return
		}
		got <- locked{unlock, err}
	}()
	giveUp := func() {
		mu.Lock()
		gaveUp = true
		mu.Unlock()
		select {
		case l := <-got:
			if l.err == nil {
				l.unlock()
			}
		default:
		}
	}
	if wait <= 0 {
		wait = defaultLockWait
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	held := filepath.Join(dir, LockName)
	select {
	case l := <-got:
		if l.err != nil {
			return nil, explainPermission(fmt.Errorf("lock %s: %w", dir, l.err), dir)
		}
		return l.unlock, nil
	case <-ctx.Done():
		giveUp()
		return nil, fmt.Errorf("interrupted while waiting for the lock %s: %s is unchanged", held, dir)
	case <-timer.C:
		giveUp()
		return nil, fmt.Errorf("another cht-gen is writing %s (lock %s held for %v): wait for it to finish", dir, held, wait)
	}
}

// writeAtomic replaces name (slash path inside root) with b: the one
// atomic writer (internal/atomicfile), confined to the output's root.
func writeAtomic(root *folders, name, tmp string, b []byte, perm fs.FileMode) error {
	return atomicfile.Write(root, name, tmp, b, perm)
}

// writeTemp writes b to tmp and fsyncs it (atomicfile.WriteTemp): the
// journal renames it later.
func writeTemp(root *folders, tmp string, b []byte, perm fs.FileMode, truncate bool) error {
	return atomicfile.WriteTemp(root, tmp, b, perm, truncate)
}

// syncDir makes a folder's entries (a rename, a new file) durable.
func syncDir(root *folders, dir string) error { return atomicfile.SyncDir(root, dir) }

func newToken() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
