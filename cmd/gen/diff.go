package main

import (
	"fmt"

	"github.com/spf13/cobra"
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
			if of.json() {
				return diffAsJSON(cmd, s, &ef, out, base, stat, exitCode)
			}
			ctx := cmd.Context()
			if err := ef.checkOut(out); err != nil {
				return err
			}
			res, _, err := ef.load(nil)
			if err != nil {
				return err
			}
			changes, err := diffChanges(ctx, res, out, base)
			if err != nil {
				return err
			}
			differ := false
			for _, c := range changes {
				fmt.Fprintf(s.stdout, "%s: %s\n", c.Name, c.Summary)
				differ = differ || c.Diff != ""
			}
			for i := range res.Environments {
				if note := res.Environments[i].SuspendedNote(); note != "" {
					fmt.Fprintf(s.stdout, "%s: %s\n", res.Environments[i].Name, note)
				}
			}
			if !stat {
				for _, c := range changes {
					if c.Diff != "" {
						fmt.Fprintf(s.stdout, "\n%s", c.Diff)
					}
				}
			}
			if exitCode && differ {
				return exitError{1}
			}
			return nil
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
