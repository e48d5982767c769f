package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/generator/repo"
)

// outputFS opens the output directory read-only for the files users keep in
// it (credentials.sopsFile). An os.Root: a symbolic link cannot lead a read
// outside it. A directory that does not exist yet reads as empty.
func outputFS(out string) (fs.FS, string, func(), error) {
	name := repo.DisplayPath(out)
	root, err := os.OpenRoot(out)
	if errors.Is(err, fs.ErrNotExist) {
		return os.DirFS(out), name, func() {}, nil
	}
	if err != nil {
		return nil, "", nil, err
	}
	return root.FS(), name, func() { root.Close() }, nil
}

// withOutput runs f with opts reading the output directory out (the
// user's files there are checked and built with).
func withOutput[T any](out string, opts generator.Options, f func(generator.Options) (T, error)) (T, error) {
	var zero T
	output, outName, closeOutput, err := outputFS(out)
	if err != nil {
		return zero, err
	}
	defer closeOutput()
	opts.Output, opts.OutputName = output, outName
	return f(opts)
}

// renderFor is generator.Render for the output directory out.
func renderFor(ctx context.Context, envs []model.Environment, out string, opts generator.Options) (*generator.Result, error) {
	return withOutput(out, opts, func(o generator.Options) (*generator.Result, error) {
		return generator.Render(ctx, envs, o)
	})
}

// writeOutput writes a rendered set into out through the journaled
// writer, under the writing lock, with what it repairs or restores said
// on stderr.
func writeOutput(ctx context.Context, s *shared, out string, r *generator.Result) ([]repo.Change, error) {
	var changes []repo.Change
	err := whileWriting(func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted before writing: %s is unchanged", out)
		}
		var err error
		changes, err = repo.WriteContext(ctx, out, r.Files, repo.Options{
			Log:  func(msg string) { fmt.Fprintln(s.stderr, "cht-gen: "+msg) },
			Hook: writeHook,
		})
		return err
	})
	return changes, err
}
