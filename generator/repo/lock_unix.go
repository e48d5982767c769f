//go:build unix

package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lock takes an exclusive lock on a file beside dir, so two cht-gen runs
// never write the same output at once. The kernel drops it when the
// process ends, so a crash leaves at most an unlocked file behind.
func lock(dir string) (unlock func(), err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	name := filepath.Join(parent, "."+filepath.Base(filepath.Clean(dir))+".cht-gen.lock")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, explainPermission(fmt.Errorf("lock %s: %w", dir, err), dir)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another cht-gen is writing %s (lock %s held): wait for it to finish", dir, name)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() {
		// Removed while still held, so the repository shows no stray file.
		os.Remove(name)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
