package load_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/load"
)

// TestDir: the environments asked for, all when none is; an unknown name
// is an *UnknownEnvironmentError listing the known ones; a missing
// directory says how to make one.
func TestDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "environments")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package environments\n\nenvironments: {\n\ta: {target: \"compose\", version: \"4.22.0\", host: \"a.example.org\"}\n\tb: {target: \"compose\", version: \"4.22.0\", host: \"b.example.org\"}\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "vms.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir     string
		names   []string
		want    []string
		unknown string // the name refused
		refused string // another error, by what it says
	}{
		{dir: dir, want: []string{"a", "b"}},
		{dir: dir, names: []string{"b"}, want: []string{"b"}},
		{dir: dir, names: []string{"b", "c"}, unknown: "c"},
		{dir: filepath.Join(dir, "none"), refused: "cht-gen init"},
		{dir: filepath.Join(dir, "vms.cue"), refused: "is not a directory"},
	} {
		_, envs, err := load.Dir(tc.dir, "environments", tc.names)
		var unknown *load.UnknownEnvironmentError
		switch {
		case tc.unknown != "":
			if !errors.As(err, &unknown) || unknown.Name != tc.unknown || !slices.Equal(unknown.Known, []string{"a", "b"}) {
				t.Errorf("Dir(%v): %v, want an UnknownEnvironmentError for %s knowing a, b", tc.names, err, tc.unknown)
			}
		case tc.refused != "":
			if err == nil || !strings.Contains(err.Error(), tc.refused) {
				t.Errorf("Dir(%s): %v, want %q", tc.dir, err, tc.refused)
			}
		case err != nil:
			t.Errorf("Dir(%v): %v", tc.names, err)
		default:
			var got []string
			for _, e := range envs {
				got = append(got, e.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Dir(%v) = %v, want %v", tc.names, got, tc.want)
			}
		}
	}
}
