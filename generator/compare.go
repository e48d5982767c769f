package generator

import (
	"context"
	"fmt"

	"github.com/cht-gen/cht-gen/generator/diff"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// Diff renders envs and compares what the reconcilers build from it, the
// user's files included, with committed: the output folder as committed
// at the revision base names. Both sides are fully built (kustomize,
// compose-go), so the changes are what reaches a cluster or VM.
func Diff(ctx context.Context, envs []model.Environment, opts Options, committed files.Set, base string) ([]diff.Change, error) {
	r, err := Render(ctx, envs, opts)
	if err != nil {
		return nil, err
	}
	before, after, err := diff.BuildPair(ctx, committed, r.Built())
	if err != nil {
		return nil, fmt.Errorf("build %s at %s: %w", opts.OutputName, base, err)
	}
	return diff.Compare(before, after, base, "working tree"), nil
}
