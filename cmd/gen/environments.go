package main

import (
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

// checkOut refuses an output directory out that is a file or overlaps
// the environments directory (repo.CheckOut).
func (f *envFlags) checkOut(out string) error { return repo.CheckOut(f.dir, out) }

// load reads the environments directory; names, when given, must exist.
func (f *envFlags) load(names []string) (*load.Result, []model.Environment, error) {
	return load.Dir(f.dir, repo.DisplayPath(f.dir), names)
}
