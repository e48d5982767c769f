package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/diff"
	"github.com/cht-gen/cht-gen/generator/repo"
)

func newDiffCmd(s *shared) *cobra.Command {
	var ef envFlags
	var out, base string
	var stat, exitCode bool
	var of outputFlag
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what the environments change, per environment, against a Git revision",
		Long: `diff renders the environments in memory and compares them with the output
committed at --base (default HEAD) in the Git repository holding --out. Both
sides are fully built first (kustomize build of each overlay and reconciler
folder, each Compose project loaded as docker compose config shows it), so the
diff shows what reaches the cluster or VM.

Each environment gets a summary line first, naming what appears (+) and goes
(-), grouped by CHT service, containers added to or removed from a pod, and
image changes, e.g.
  prod: cht-api, cht-sentinel image 4.21.1 -> 4.22.0; 5 changed, 0 added, 0 removed
  prod: + nouveau (Deployment cht-couchdb-nouveau, Service nouveau); - upgrade-service (Deployment upgrade-service, Service upgrade-service); ...
then unified diffs of the objects that changed (omit them with --stat).
A suspended environment gets a line saying its reconciler applies, changes
and deletes nothing while suspended, e.g.
  prod: suspended: Flux Kustomization cht-prod has spec.suspend: true; ...
Secrets never appear: the output holds none.`,
		Example: `  cht-gen diff
  cht-gen diff --base origin/main
  cht-gen diff --stat --exit-code`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := diffOutput(cmd.Context(), &ef, out, base, stat)
			return printDiff(s, &of, r, err, exitCode)
		},
	}
	ef.register(cmd)
	registerOut(cmd, &out, "rendered output directory, inside a Git work tree")
	cmd.Flags().StringVar(&base, "base", "HEAD", "Git revision to compare with (branch, tag, commit, HEAD~1, origin/main)")
	cmd.Flags().BoolVar(&stat, "stat", false, "print only the summary lines")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when anything differs")
	of.register(cmd)
	return cmd
}

// diffOutput renders the environments and compares what they build with
// the output committed at base: one result, printed as text or JSON.
func diffOutput(ctx context.Context, ef *envFlags, out, base string, stat bool) (*diffJSON, error) {
	if err := ef.checkOut(out); err != nil {
		return nil, err
	}
	res, _, err := ef.load(nil)
	if err != nil {
		return nil, err
	}
	committed, err := repo.ReadCommitted(out, base)
	if err != nil {
		return nil, err
	}
	changes, err := withOutput(out, generator.Options{}, func(o generator.Options) ([]diff.Change, error) {
		return generator.Diff(ctx, res.Environments, o, committed, base)
	})
	if err != nil {
		return nil, err
	}
	r := &diffJSON{OK: true, Base: base, Environments: []diffUnitJSON{}, Suspended: []suspendedJSON{}, Errors: []jsonError{}}
	for i := range res.Environments {
		if note := res.Environments[i].SuspendedNote(); note != "" {
			r.Suspended = append(r.Suspended, suspendedJSON{Name: res.Environments[i].Name, Note: note})
		}
	}
	for _, c := range changes {
		u := diffUnitJSON{Name: c.Name, Summary: c.Summary, Changed: c.Changed, Added: c.Added, Removed: c.Removed, Images: []imageChange{}}
		for _, i := range c.Images {
			u.Images = append(u.Images, imageChange(i))
		}
		if !stat {
			u.Diff = c.Diff
		}
		r.Differ = r.Differ || c.Diff != ""
		r.Environments = append(r.Environments, u)
	}
	return r, nil
}

// printDiff prints diff's result (or its error) as text or JSON; with
// --exit-code it exits 1 when anything differs.
func printDiff(s *shared, of *outputFlag, r *diffJSON, err error, exitCode bool) error {
	switch {
	case err != nil && of.json():
		return failJSON(s, err)
	case err != nil:
		return err
	case of.json():
		if err := writeJSON(s.stdout, r); err != nil {
			return err
		}
	default:
		for _, u := range r.Environments {
			fmt.Fprintf(s.stdout, "%s: %s\n", u.Name, u.Summary)
		}
		for _, n := range r.Suspended {
			fmt.Fprintf(s.stdout, "%s: %s\n", n.Name, n.Note)
		}
		for _, u := range r.Environments {
			if u.Diff != "" {
				fmt.Fprintf(s.stdout, "\n%s", u.Diff)
			}
		}
	}
	if exitCode && r.Differ {
		return exitError{1}
	}
	return nil
}
