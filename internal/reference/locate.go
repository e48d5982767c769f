package reference

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The variables that steer where the reference is read from.
const (
	// EnvDir names a mirror folder with the reference layout (for example
	// ../shared/reference); tests read it instead of the cache and `make
	// reference` copies from it instead of downloading. A relative path is
	// taken from the repository's root.
	EnvDir = "CHT_REFERENCE_DIR"
	// EnvRequired=1 makes a missing reference fail tests instead of
	// skipping them (CI sets it: .ci/run).
	EnvRequired = "CHT_REFERENCE_REQUIRED"
	// EnvCache replaces the cache's root folder (default: the user cache
	// folder's cht-gen/reference, $XDG_CACHE_HOME on Linux).
	EnvCache = "CHT_REFERENCE_CACHE"
)

// Origin says which of the places Locate tries a folder came from.
type Origin string

const (
	FromEnv    Origin = EnvDir
	FromCache  Origin = "cache (make reference)"
	FromShared Origin = "../shared/reference beside the repository"
)

// Location is a reference folder and where it was found.
type Location struct {
	Dir    string
	Origin Origin
}

// NotFoundError is no reference folder in any of the places Locate looks.
type NotFoundError struct {
	Looked []string
}

func (e *NotFoundError) Error() string {
	return "no reference folder (looked in " + strings.Join(e.Looked, ", ") + ")"
}

// CacheRoot is the folder that holds one subfolder per manifest version.
func CacheRoot(getenv func(string) string) (string, error) {
	if d := getenv(EnvCache); d != "" {
		return filepath.Abs(d)
	}
	base := getenv("XDG_CACHE_HOME")
	if base == "" || !filepath.IsAbs(base) {
		var err error
		if base, err = os.UserCacheDir(); err != nil {
			return "", fmt.Errorf("no cache folder for the reference (set %s): %w", EnvCache, err)
		}
	}
	return filepath.Join(base, "cht-gen", "reference"), nil
}

// CacheDir is where `make reference` puts the embedded manifest's files.
func CacheDir(getenv func(string) string) (string, error) {
	root, err := CacheRoot(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, EmbeddedVersion()), nil
}

// ModuleRoot is the nearest folder at or above dir holding go.mod, or "".
func ModuleRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if d == filepath.Dir(d) {
			return ""
		}
	}
}

// Locate finds the reference folder, from the working directory cwd: the
// folder CHT_REFERENCE_DIR names (even when absent: it was asked for),
// else the cache `make reference` fills, else ../shared/reference beside
// the repository. It does not verify the files (Verify does).
func Locate(cwd string, getenv func(string) string) (Location, error) {
	root := ModuleRoot(cwd)
	if root == "" {
		root = cwd
	}
	if d := getenv(EnvDir); d != "" {
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		return Location{Dir: filepath.Clean(d), Origin: FromEnv}, nil
	}
	nf := &NotFoundError{}
	cache, err := CacheDir(getenv)
	if err == nil {
		if isDir(cache) {
			return Location{Dir: cache, Origin: FromCache}, nil
		}
		nf.Looked = append(nf.Looked, cache)
	} else {
		nf.Looked = append(nf.Looked, err.Error())
	}
	shared := filepath.Join(filepath.Dir(root), "shared", "reference")
	if isDir(shared) {
		return Location{Dir: shared, Origin: FromShared}, nil
	}
	nf.Looked = append(nf.Looked, shared)
	return Location{}, nf
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Absent reports whether err means the reference is not there (as opposed
// to there but wrong).
func Absent(err error) bool {
	var nf *NotFoundError
	var miss *MissingError
	return errors.As(err, &nf) || errors.As(err, &miss) || errors.Is(err, fs.ErrNotExist)
}
