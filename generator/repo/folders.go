package repo

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// folders resolves paths inside the output the way its os.Root does, but
// opens each folder once: os.Root opens every folder of a path again on
// each call (five openat and close for a file four folders deep), which
// was most of the system time of a render into an empty folder.
//
// A folder is opened through the output's root with its whole path, so
// links inside the output are followed exactly as the root follows them;
// only the last element is then resolved in the folder. Calls that follow
// a link in the last element (Stat, Open) go to the root itself, whose
// limit is the output rather than the folder.
type folders struct {
	root *os.Root
	mu   sync.Mutex
	open map[string]*os.Root // slash folder path → the folder, opened
}

func newFolders(root *os.Root) *folders {
	return &folders{root: root, open: map[string]*os.Root{}}
}

// in returns the folder holding path, and path's last element.
func (f *folders) in(path string) (*os.Root, string, error) {
	dir, name := splitPath(path)
	if dir == "." {
		return f.root, name, nil
	}
	f.mu.Lock()
	r := f.open[dir]
	f.mu.Unlock()
	if r != nil {
		return r, name, nil
	}
	r, err := f.root.OpenRoot(dir)
	if err != nil {
		return nil, "", err // not remembered: the folder may be created next
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if had := f.open[dir]; had != nil {
		r.Close()
		return had, name, nil
	}
	f.open[dir] = r
	return r, name, nil
}

// forget closes the folders at and below dir, which was removed.
func (f *folders) forget(dir string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for d, r := range f.open {
		if d == dir || strings.HasPrefix(d, dir+"/") {
			r.Close()
			delete(f.open, d)
		}
	}
}

// Close closes every folder opened (not the root).
func (f *folders) Close() {
	for d, r := range f.open {
		r.Close()
		delete(f.open, d)
	}
}

// withPath puts the whole path back into a *fs.PathError that names only
// the last element, so messages say which file.
func withPath(err error, path string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path != path {
		return &fs.PathError{Op: pe.Op, Path: path, Err: pe.Err}
	}
	return err
}

func (f *folders) Lstat(path string) (fs.FileInfo, error) {
	r, name, err := f.in(path)
	if err != nil {
		return nil, err
	}
	info, err := r.Lstat(name)
	return info, withPath(err, path)
}

func (f *folders) ReadFile(path string) ([]byte, error) {
	r, name, err := f.in(path)
	if err != nil {
		return nil, err
	}
	b, err := r.ReadFile(name)
	return b, withPath(err, path)
}

func (f *folders) OpenFile(path string, flag int, perm fs.FileMode) (*os.File, error) {
	r, name, err := f.in(path)
	if err != nil {
		return nil, err
	}
	file, err := r.OpenFile(name, flag, perm)
	return file, withPath(err, path)
}

func (f *folders) Readlink(path string) (string, error) {
	r, name, err := f.in(path)
	if err != nil {
		return "", err
	}
	target, err := r.Readlink(name)
	return target, withPath(err, path)
}

func (f *folders) Mkdir(path string, perm fs.FileMode) error {
	r, name, err := f.in(path)
	if err != nil {
		return err
	}
	return withPath(r.Mkdir(name, perm), path)
}

func (f *folders) Remove(path string) error {
	r, name, err := f.in(path)
	if err != nil {
		return err
	}
	if err := r.Remove(name); err != nil {
		return withPath(err, path)
	}
	f.forget(path) // when path was a folder
	return nil
}

// Rename renames within one folder through it, otherwise through the root.
func (f *folders) Rename(from, to string) error {
	fromDir, _ := splitPath(from)
	toDir, _ := splitPath(to)
	if fromDir != toDir {
		return f.root.Rename(from, to)
	}
	r, name, err := f.in(from)
	if err != nil {
		return err
	}
	_, toName := splitPath(to)
	return withPath(r.Rename(name, toName), from)
}

func (f *folders) Stat(path string) (fs.FileInfo, error) { return f.root.Stat(path) }

func (f *folders) Open(path string) (*os.File, error) { return f.root.Open(path) }
