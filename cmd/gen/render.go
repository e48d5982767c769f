package main

import (
	"context"
	"fmt"
	"path"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/repo"
	"github.com/cht-gen/cht-gen/generator/verified"
)

func newRenderCmd(s *shared) *cobra.Command {
	var ef envFlags
	var out string
	var check bool
	var of outputFlag
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Render every environment into the output directory",
		Long: `render validates the environments, renders each one (Compose folders under
compose/<env>/, Kustomize base and overlays under kubernetes/), checks every
result with compose-go / kustomize, and only then writes the output directory.

It changes only the files it owns (listed in <out>/.cht-gen-manifest), each
replaced on its own and atomically; unchanged files are not rewritten; files
it no longer renders are removed. Anything else in the output directory (your
files, folders, a CouchDB data folder or a mounted disk) is never moved,
copied or deleted, and a file of yours where cht-gen would render is an error
(a credentials.sopsFile is read and checked, never written).
A render that was killed is finished or rolled back by the next one, which
says so. See docs/operations.md, "Writing the output".

An overlay or Compose folder this cht-gen binary has already checked, byte
for byte, is not checked again: the record is kept in the user cache
directory (cht-gen/), never in the output. CHT_GEN_NO_VERIFY_CACHE=1 checks
everything every time.

With --check nothing is written: it exits 1 listing every file that is stale,
missing or extra, 0 when the output is up to date (run it in CI).`,
		Example: `  cht-gen render
  cht-gen render --environments environments --out deploy
  cht-gen render --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if of.json() && !check {
				return usage("--output json needs --check (render itself reports on stderr)")
			}
			if check {
				r, err := checkOutput(cmd.Context(), s, &ef, out, of.json())
				return printCheck(s, &of, r, err)
			}
			if err := ef.checkOut(out); err != nil {
				return err
			}
			record := verified.Open() // before loading: it names cht-gen meanwhile
			generator.Prepare()
			res, _, err := ef.load(nil)
			if err != nil {
				return err
			}
			printWarnings(s, res.Warnings)
			progress := func(format string, a ...any) { fmt.Fprintf(s.stderr, format+"\n", a...) }
			r, err := renderFor(cmd.Context(), res.Environments, out, generator.Options{Progress: progress, Verified: record})
			if err != nil {
				return err
			}
			// Restoring files an in-app upgrade rewrote for a newer CHT
			// would downgrade the VM.
			if r.InAppUpgrades != nil {
				return r.InAppUpgrades
			}
			changes, err := writeOutput(cmd.Context(), s, out, r)
			if err != nil {
				return err
			}
			fmt.Fprintln(s.stderr, renderSummary(out, len(r.Files), changes))
			return nil
		},
	}
	ef.register(cmd)
	registerOut(cmd, &out, "output directory")
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; exit 1 if the output directory is out of date")
	of.register(cmd)
	return cmd
}

// renderSummary is render's last line: the files rendered, by what the
// write did to each, and the files removed (no longer rendered). The
// manifest is cht-gen's bookkeeping, not a rendered file.
func renderSummary(out string, rendered int, changes []repo.Change) string {
	count := map[string]int{}
	for _, c := range changes {
		if c.Path != repo.ManifestName {
			count[c.Kind]++
		}
	}
	unchanged := rendered - count["missing"] - count["stale"]
	return fmt.Sprintf("%s: %d files rendered (%d created, %d updated, %d unchanged), %d removed",
		out, rendered, count["missing"], count["stale"], unchanged, count["extra"])
}

// checkOutput is render --check: the same checks as render, nothing
// written; the result says which files are stale, missing or extra. Text
// mode prints the environments' warnings as it goes.
func checkOutput(ctx context.Context, s *shared, ef *envFlags, out string, quiet bool) (*checkJSON, error) {
	if err := ef.checkOut(out); err != nil {
		return nil, err
	}
	record := verified.Open() // as render does
	generator.Prepare()
	res, _, err := ef.load(nil)
	if err != nil {
		return nil, err
	}
	if !quiet {
		printWarnings(s, res.Warnings)
	}
	r, err := renderFor(ctx, res.Environments, out, generator.Options{Verified: record})
	if err != nil {
		return nil, err
	}
	if r.InAppUpgrades != nil {
		return nil, r.InAppUpgrades
	}
	changes, err := repo.Diff(out, r.Files)
	if err != nil {
		return nil, err
	}
	c := &checkJSON{OK: len(changes) == 0, Out: out, Files: len(r.Files), Changes: []fileChange{}, Errors: []jsonError{}}
	for _, ch := range changes {
		c.Changes = append(c.Changes, fileChange{Path: path.Join(filepath.ToSlash(out), ch.Path), Kind: ch.Kind})
	}
	return c, nil
}

// printCheck prints render --check's result (or its error) as text or
// JSON; it exits 1 when the output is out of date.
func printCheck(s *shared, of *outputFlag, r *checkJSON, err error) error {
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
		for _, c := range r.Changes {
			fmt.Fprintf(s.stdout, "%-7s %s\n", c.Kind, c.Path)
		}
		if r.OK {
			fmt.Fprintf(s.stderr, "%s is up to date (%d files)\n", r.Out, r.Files)
		} else {
			fmt.Fprintf(s.stderr, "cht-gen: %s is out of date (%d files): run cht-gen render\n", r.Out, len(r.Changes))
		}
	}
	if !r.OK {
		return exitError{1}
	}
	return nil
}

// printWarnings prints the environments' warnings on stderr.
func printWarnings(s *shared, ws []load.Diagnostic) {
	for _, w := range ws {
		fmt.Fprintln(s.stderr, masked(w).String())
	}
}
