package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckOut: render's output directory may sit beside the environments
// directory, never be it, inside it, around it, or a file.
func TestCheckOut(t *testing.T) {
	root := t.TempDir()
	env := filepath.Join(root, "environments")
	if err := os.MkdirAll(env, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(env, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ out, refused string }{
		{filepath.Join(root, "deploy"), ""},
		{filepath.Join(root, "deploy", "new"), ""},
		{env, "is the environments directory"},
		{filepath.Join(root, "link"), "is the environments directory"},
		{filepath.Join(env, "deploy"), "is inside the environments directory"},
		{filepath.Join(root, "link", "deploy"), "is inside the environments directory"},
		{root, "is inside --out"},
		{filepath.Join(root, "file"), "is not a directory"},
	} {
		err := CheckOut(env, tc.out)
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("CheckOut(%s): %v, want it accepted", tc.out, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("CheckOut(%s): %v, want %q", tc.out, err, tc.refused)
		}
	}
}
