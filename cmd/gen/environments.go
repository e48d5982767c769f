package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/generator/repo"
)

// envFlags is the --environments flag every command that reads
// environments shares.
type envFlags struct{ dir string }

func (f *envFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.dir, "environments", "e", "environments", "directory of *.cue environment files (CUE package environments)")
}

// checkOut refuses an output directory that is a file or overlaps the
// environments directory: rendered YAML would mix with the files cht-gen
// reads, and render would prune the environment files it once rendered
// over.
func (f *envFlags) checkOut(out string) error {
	if info, err := os.Stat(out); err == nil && !info.IsDir() {
		return fmt.Errorf("--out %s exists and is not a directory: name a directory (cht-gen creates it)", out)
	}
	env, err := realPath(f.dir)
	if err != nil {
		return err
	}
	o, err := realPath(out)
	if err != nil {
		return err
	}
	const fix = "keep them side by side, e.g. environments/ and deploy/"
	switch {
	case o == env:
		return fmt.Errorf("--out %s is the environments directory: %s", out, fix)
	case within(o, env):
		return fmt.Errorf("--out %s is inside the environments directory %s: %s", out, f.dir, fix)
	case within(env, o):
		return fmt.Errorf("the environments directory %s is inside --out %s, where render owns and removes files: %s", f.dir, out, fix)
	}
	return nil
}

// realPath is p absolute with symbolic links resolved as far as p exists.
func realPath(p string) (string, error) {
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

// within reports whether p is strictly below dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// load reads the environments directory; names, when given, must exist.
func (f *envFlags) load(names []string) (*load.Result, []model.Environment, error) {
	info, err := os.Stat(f.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("environments directory %s: no such file or directory: run cht-gen at the root of a hosting repository, name the folder with --environments DIR, or make a repository with cht-gen init", f.dir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("environments directory %s: %w", f.dir, err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("environments directory %s is not a directory", f.dir)
	}
	res, err := load.Load(os.DirFS(f.dir), repo.DisplayPath(f.dir))
	if err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		return res, res.Environments, nil
	}
	var out []model.Environment
	for _, n := range names {
		e, ok := res.Lookup(n)
		if !ok {
			known := make([]string, len(res.Environments))
			for i, e := range res.Environments {
				known[i] = e.Name
			}
			return nil, nil, fmt.Errorf("no environment %q in %s (known: %v)", n, f.dir, known)
		}
		out = append(out, *e)
	}
	return res, out, nil
}
