package main

import (
	"context"
	"fmt"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/diff"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/repo"
)

// renderInto renders the loaded environments for the output directory out:
// the files environments name in it but cht-gen does not own
// (credentials.sopsFile) are read from there and checked. Text and JSON
// modes of render --check and diff share it, so they judge the same tree.
func renderInto(ctx context.Context, res *load.Result, out string, opts generator.Options) (files.Set, error) {
	output, outName, closeOutput, err := outputFS(out)
	if err != nil {
		return nil, err
	}
	defer closeOutput()
	opts.Output, opts.OutputName = output, outName
	return generator.Render(ctx, res.Environments, opts)
}

// inAppUpgrades refuses to render over Compose files Medic's upgrade
// service rewrote for a newer CHT than the environments say.
func inAppUpgrades(res *load.Result, out string) error {
	output, outName, closeOutput, err := outputFS(out)
	if err != nil {
		return err
	}
	defer closeOutput()
	return generator.InAppUpgrades(res.Environments, output, outName)
}

// writeOutput writes a rendered set into out as render does: under the
// writing lock (a signal waits for it), through the journaled writer, with
// what it repairs or restores said on stderr.
func writeOutput(ctx context.Context, s *shared, out string, set files.Set) ([]repo.Change, error) {
	var changes []repo.Change
	err := whileWriting(func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted before writing: %s is unchanged", out)
		}
		var err error
		changes, err = repo.WriteContext(ctx, out, set, repo.Options{
			Log:  func(msg string) { fmt.Fprintln(s.stderr, "cht-gen: "+msg) },
			Hook: writeHook,
		})
		return err
	})
	return changes, err
}

// diffChanges renders the environments and compares the built result,
// user files included, with the output committed at base.
func diffChanges(ctx context.Context, res *load.Result, out, base string) ([]diff.Change, error) {
	set, err := renderInto(ctx, res, out, generator.Options{})
	if err != nil {
		return nil, err
	}
	output, outName, closeOutput, err := outputFS(out)
	if err != nil {
		return nil, err
	}
	defer closeOutput()
	// The user's SOPS files are part of what the overlays build.
	user, err := generator.UserFiles(res.Environments, output, outName)
	if err != nil {
		return nil, err
	}
	committed, err := repo.ReadCommitted(out, base)
	if err != nil {
		return nil, err
	}
	before, after, err := diff.BuildPair(ctx, committed, generator.WithUserFiles(set, user))
	if err != nil {
		return nil, fmt.Errorf("build %s at %s: %w", out, base, err)
	}
	return diff.Compare(before, after, base, "working tree"), nil
}
