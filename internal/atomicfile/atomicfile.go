// Package atomicfile is cht-gen's one atomic file writer: a temporary file
// in the same folder, written, given its mode and fsynced, renamed over the
// old file, and the folder fsynced, so that after a crash the file is
// entirely old or entirely new and the rename is durable. The rendered
// output's journaled writer (generator/repo) and the files users own that
// cht-gen edits in place (environment files, init's scaffold) both use it.
package atomicfile

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// FS is what an atomic write needs of a filesystem: the real one (OS), or
// one confined to an output folder (generator/repo's os.Root).
type FS interface {
	OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error)
	Open(name string) (*os.File, error)
	Rename(from, to string) error
	Remove(name string) error
}

// OS is the real filesystem, with native paths.
type OS struct{}

func (OS) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}
func (OS) Open(name string) (*os.File, error) { return os.Open(name) }
func (OS) Rename(from, to string) error       { return os.Rename(from, to) }
func (OS) Remove(name string) error           { return os.Remove(name) }

// WriteFile replaces the file at path whole with data, mode perm.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed
	return Write(OS{}, path, tmp.Name(), data, perm)
}

// Write replaces name in fsys with data through the temporary file tmp,
// which it truncates if present.
func Write(fsys FS, name, tmp string, data []byte, perm fs.FileMode) error {
	if err := WriteTemp(fsys, tmp, data, perm, true); err != nil {
		return err
	}
	return Rename(fsys, tmp, name)
}

// WriteTemp writes data to tmp with mode perm and fsyncs it, leaving the
// rename to the caller (a journaled write renames later). Unless truncate
// is set it refuses an existing file: a fresh temporary name that exists
// is not cht-gen's. On failure tmp is removed.
func WriteTemp(fsys FS, tmp string, data []byte, perm fs.FileMode, truncate bool) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if truncate {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := fsys.OpenFile(tmp, flag, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fsys.Remove(tmp)
	}
	return err
}

// Rename renames from to to and fsyncs to's folder, so the rename
// survives a crash.
func Rename(fsys FS, from, to string) error {
	if err := fsys.Rename(from, to); err != nil {
		return err
	}
	return SyncDir(fsys, dirOf(fsys, to))
}

// SyncDir makes a folder's entries (a rename, a new file) durable.
func SyncDir(fsys FS, dir string) error {
	f, err := fsys.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// dirOf is name's folder: native for OS, slash-separated inside a root.
func dirOf(fsys FS, name string) string {
	if _, ok := fsys.(OS); ok {
		return filepath.Dir(name)
	}
	return path.Dir(name)
}
