// Package atomicfile replaces a file whole, for files users own that cht-gen
// edits in place.
package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces the file at path whole, for the files users own and
// cht-gen edits in place (environment files, init's scaffold): a temporary
// file beside it, written, given perm and synced, then renamed over it, so
// a crash leaves the old file or the new one, never a mix. The rendered
// output has its own journaled writer (generator/repo).
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
