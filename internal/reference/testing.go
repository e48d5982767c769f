package reference

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sync"
	"testing"
)

// found is the process's one lookup and verification.
var found struct {
	once sync.Once
	m    *Manifest
	loc  Location
	err  error
}

func lookup() (*Manifest, Location, error) {
	found.once.Do(func() {
		found.m, found.err = Load()
		if found.err != nil {
			return
		}
		cwd, err := os.Getwd()
		if err != nil {
			found.err = err
			return
		}
		found.loc, found.err = Locate(cwd, os.Getenv)
		if found.err == nil {
			if err := Verify(found.loc.Dir, found.m); err != nil {
				found.err = fmt.Errorf("%s (%s): %w", found.loc.Dir, found.loc.Origin, err)
			}
		}
	})
	return found.m, found.loc, found.err
}

// Dir is the verified reference root (it holds cht/ and crds/). When the
// files are absent the test is skipped, naming make reference, or fails
// when CHT_REFERENCE_REQUIRED=1; files that differ from the manifest always
// fail it.
func Dir(t testing.TB) string {
	t.Helper()
	_, loc, err := lookup()
	report(t, err, os.Getenv(EnvRequired) == "1")
	return loc.Dir
}

// Path is a pinned file, or a folder holding pinned files, under the
// verified reference root: Path(t, "cht", "cht-core", "5.2.0"). A path the
// manifest does not pin fails the test: the cache would not have it.
func Path(t testing.TB, parts ...string) string {
	t.Helper()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
		return ""
	}
	rel := path.Join(parts...)
	if !local(rel) || !m.Covers(rel) {
		t.Fatalf("%s is not pinned by %s: add it there (docs/reference.md) before a test reads it", rel, ManifestFile)
		return ""
	}
	return filepath.Join(Dir(t), filepath.FromSlash(rel))
}

// report skips or fails t for a lookup error.
func report(t testing.TB, err error, required bool) {
	t.Helper()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("Medic's reference files: %v", err)
	switch {
	case !Absent(err):
		t.Fatal(msg)
	case required:
		t.Fatal(msg + hint + fmt.Sprintf("\n\t%s=1: a missing reference is a failure", EnvRequired))
	default:
		t.Skip(msg + hint)
	}
}

var hint = fmt.Sprintf("\n\trun `make reference` to fetch them into the cache, or set %s to a mirror folder (../shared/reference)", EnvDir)
