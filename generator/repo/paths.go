package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CheckOut refuses an output directory out that is a file or overlaps
// the environments directory envDir: rendered YAML would mix with the
// files cht-gen reads, and render would prune the environment files it
// once rendered over.
func CheckOut(envDir, out string) error {
	if info, err := os.Stat(out); err == nil && !info.IsDir() {
		return fmt.Errorf("--out %s exists and is not a directory: name a directory (cht-gen creates it)", out)
	}
	env, err := RealPath(envDir)
	if err != nil {
		return err
	}
	o, err := RealPath(out)
	if err != nil {
		return err
	}
	const fix = "keep them side by side, e.g. environments/ and deploy/"
	switch {
	case o == env:
		return fmt.Errorf("--out %s is the environments directory: %s", out, fix)
	case Within(o, env):
		return fmt.Errorf("--out %s is inside the environments directory %s: %s", out, envDir, fix)
	case Within(env, o):
		return fmt.Errorf("the environments directory %s is inside --out %s, where render owns and removes files: %s", envDir, out, fix)
	}
	return nil
}

// RealPath is p absolute with symbolic links resolved as far as p exists.
func RealPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest), nil
		}
		if dir == filepath.Dir(dir) {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// Within reports whether p is strictly below dir.
func Within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
