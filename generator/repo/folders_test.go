package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}

// folders keeps at most maxOpenFolders folders open when none is in use,
// resolves every path all the same, and closes everything it opened.
func TestFolders_BoundedAndClosed(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts /proc/self/fd")
	}
	defer func(n int) { maxOpenFolders = n }(maxOpenFolders)
	maxOpenFolders = 8
	dir := t.TempDir()
	for i := range 40 {
		os.MkdirAll(filepath.Join(dir, fmt.Sprintf("d%02d/e", i)), 0o755)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	before := openFDs(t)
	f := newFolders(root)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 40; i += 4 {
				p := fmt.Sprintf("d%02d/e/x.yml", i)
				file, err := f.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
				if err != nil {
					t.Error(err)
					return
				}
				file.Close()
				if _, err := f.Lstat(p); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(f.open); n > maxOpenFolders {
		t.Errorf("%d folders open, bound %d", n, maxOpenFolders)
	}
	if err := f.Remove("d00/e/x.yml"); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove("d00/e"); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.open["d00/e"]; ok {
		t.Error("a removed folder stays open")
	}
	if err := f.Mkdir("d00/e", 0o755); err != nil { // the same name again
		t.Fatal(err)
	}
	if file, err := f.OpenFile("d00/e/y.yml", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
		t.Fatalf("a file in the re-created folder: %v", err)
	} else {
		file.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, "d00/e/y.yml")); err != nil {
		t.Errorf("written elsewhere than the re-created folder: %v", err)
	}
	f.Close()
	if after := openFDs(t); after != before {
		t.Errorf("%d file descriptors open before, %d after Close", before, after)
	}
}
