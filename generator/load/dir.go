package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cht-gen/cht-gen/generator/model"
)

// UnknownEnvironmentError is a name asked for that the environments
// directory does not declare.
type UnknownEnvironmentError struct {
	Name, Dir string
	Known     []string // the names it declares
}

func (e *UnknownEnvironmentError) Error() string {
	return fmt.Sprintf("no environment %q in %s (known: %v)", e.Name, e.Dir, e.Known)
}

// Dir loads the environments directory dir (display: how its files are
// named in positions) and picks the environments names, all when none is
// given; each name must exist.
func Dir(dir, display string, names []string) (*Result, []model.Environment, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("environments directory %s: no such file or directory: run cht-gen at the root of a hosting repository, name the folder with --environments DIR, or make a repository with cht-gen init", dir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("environments directory %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("environments directory %s is not a directory", dir)
	}
	res, err := Load(os.DirFS(dir), display)
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
			return nil, nil, &UnknownEnvironmentError{Name: n, Dir: dir, Known: known}
		}
		out = append(out, *e)
	}
	return res, out, nil
}
