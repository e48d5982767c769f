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
	open map[string]*folder // slash folder path → the folder, opened
}

// folder is one opened folder and how many calls use it now.
type folder struct {
	r     *os.Root
	users int
	gone  bool // no longer in open: the last user closes it
}

// maxOpenFolders bounds the folders kept open (a 1000-environment output
// has 1300; the file limit may be 1024): beyond it, an unused one is
// closed to open another.
var maxOpenFolders = 256

func newFolders(root *os.Root) *folders {
	return &folders{root: root, open: map[string]*folder{}}
}

// in returns the folder holding path, path's last element, and done,
// which the caller calls when it no longer uses the folder.
func (f *folders) in(path string) (r *os.Root, name string, done func(), err error) {
	dir, name := splitPath(path)
	if dir == "." {
		return f.root, name, func() {}, nil
	}
	f.mu.Lock()
	fo := f.open[dir]
	if fo != nil {
		fo.users++
	}
	f.mu.Unlock()
	if fo == nil {
		opened, err := f.root.OpenRoot(dir)
		if err != nil {
			return nil, "", nil, err // not remembered: the folder may be created next
		}
		f.mu.Lock()
		if fo = f.open[dir]; fo != nil { // opened meanwhile by another call
			opened.Close()
		} else {
			if len(f.open) >= maxOpenFolders {
				f.dropUnused()
			}
			fo = &folder{r: opened}
			f.open[dir] = fo
		}
		fo.users++
		f.mu.Unlock()
	}
	return fo.r, name, func() { f.release(fo) }, nil
}

func (f *folders) release(fo *folder) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fo.users--
	if fo.gone && fo.users == 0 {
		fo.r.Close()
	}
}

// drop forgets folder d, closing it unless in use (then its last user
// does). f.mu is held.
func (f *folders) drop(d string) {
	fo := f.open[d]
	delete(f.open, d)
	fo.gone = true
	if fo.users == 0 {
		fo.r.Close()
	}
}

// dropUnused drops one folder no call uses, if any. f.mu is held.
func (f *folders) dropUnused() {
	for d, fo := range f.open {
		if fo.users == 0 {
			f.drop(d)
			return
		}
	}
}

// forget drops the folders at and below dir, which was removed.
func (f *folders) forget(dir string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for d := range f.open {
		if d == dir || strings.HasPrefix(d, dir+"/") {
			f.drop(d)
		}
	}
}

// Close closes every folder opened (not the root).
func (f *folders) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for d := range f.open {
		f.drop(d)
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

// at runs op on path's folder and last element, with the whole path put
// back into its error.
func at[T any](f *folders, path string, op func(r *os.Root, name string) (T, error)) (T, error) {
	r, name, done, err := f.in(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer done()
	v, err := op(r, name)
	return v, withPath(err, path)
}

func (f *folders) Lstat(path string) (fs.FileInfo, error) { return at(f, path, (*os.Root).Lstat) }

func (f *folders) ReadFile(path string) ([]byte, error) { return at(f, path, (*os.Root).ReadFile) }

func (f *folders) Readlink(path string) (string, error) { return at(f, path, (*os.Root).Readlink) }

func (f *folders) OpenFile(path string, flag int, perm fs.FileMode) (*os.File, error) {
	return at(f, path, func(r *os.Root, name string) (*os.File, error) { return r.OpenFile(name, flag, perm) })
}

func (f *folders) Mkdir(path string, perm fs.FileMode) error {
	_, err := at(f, path, func(r *os.Root, name string) (struct{}, error) { return struct{}{}, r.Mkdir(name, perm) })
	return err
}

func (f *folders) Remove(path string) error {
	_, err := at(f, path, func(r *os.Root, name string) (struct{}, error) { return struct{}{}, r.Remove(name) })
	if err == nil {
		f.forget(path) // when path was a folder
	}
	return err
}

// Rename renames within one folder through it, otherwise through the root.
func (f *folders) Rename(from, to string) error {
	fromDir, _ := splitPath(from)
	toDir, _ := splitPath(to)
	if fromDir != toDir {
		return f.root.Rename(from, to)
	}
	_, toName := splitPath(to)
	_, err := at(f, from, func(r *os.Root, name string) (struct{}, error) { return struct{}{}, r.Rename(name, toName) })
	return err
}

func (f *folders) Stat(path string) (fs.FileInfo, error) { return f.root.Stat(path) }

func (f *folders) Open(path string) (*os.File, error) { return f.root.Open(path) }
