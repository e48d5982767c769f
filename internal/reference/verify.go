package reference

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MissingError is a reference folder that lacks pinned files: fetch them
// (make reference) or point CHT_REFERENCE_DIR at a complete mirror.
type MissingError struct {
	Dir   string
	Paths []string // slash-separated, under Dir
}

func (e *MissingError) Error() string {
	const show = 3
	list := e.Paths
	more := ""
	if len(list) > show {
		list, more = list[:show], fmt.Sprintf(" and %d more", len(e.Paths)-show)
	}
	return fmt.Sprintf("%s lacks %d of the files %s pins: %s%s", e.Dir, len(e.Paths), ManifestFile, strings.Join(list, ", "), more)
}

// Mismatch is one file whose content is not the pinned one.
type Mismatch struct {
	Path      string
	Want, Got string // SHA-256, hex
}

// MismatchError is a reference folder holding files that differ from
// what the manifest pins: never compare cht-gen with them.
type MismatchError struct {
	Dir   string
	Files []Mismatch
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s holds %d file(s) whose SHA-256 is not the one %s pins (replace them: make reference, or fix the mirror):", e.Dir, len(e.Files), ManifestFile)
	for _, f := range e.Files {
		fmt.Fprintf(&b, "\n  %s: sha256 %s, want %s", f.Path, f.Got, f.Want)
	}
	return b.String()
}

// Sum is the hex SHA-256 of b.
func Sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Verify checks that dir holds every file of m with its pinned SHA-256.
// Files are read through an os.Root, so a symbolic link cannot point a
// check outside dir. It returns a *MismatchError when any file differs,
// else a *MissingError when any is absent, else nil; other read errors are
// returned joined.
func Verify(dir string, m *Manifest) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &MissingError{Dir: dir, Paths: paths(m)}
		}
		return err
	}
	defer root.Close()
	missing := &MissingError{Dir: dir}
	bad := &MismatchError{Dir: dir}
	var errs []error
	for _, e := range m.Entries() {
		b, err := root.ReadFile(filepath.FromSlash(e.Path))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing.Paths = append(missing.Paths, e.Path)
		case err != nil:
			errs = append(errs, err)
		case Sum(b) != e.SHA256:
			bad.Files = append(bad.Files, Mismatch{Path: e.Path, Want: e.SHA256, Got: Sum(b)})
		}
	}
	switch {
	case len(bad.Files) > 0:
		return bad
	case len(errs) > 0:
		return errors.Join(errs...)
	case len(missing.Paths) > 0:
		return missing
	}
	return nil
}

func paths(m *Manifest) []string {
	var out []string
	for _, e := range m.Entries() {
		out = append(out, e.Path)
	}
	return out
}
