package main

import (
	"fmt"
	"os"

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

// load reads the environments directory; names, when given, must exist.
func (f *envFlags) load(names []string) (*load.Result, []model.Environment, error) {
	info, err := os.Stat(f.dir)
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
