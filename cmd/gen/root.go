package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator/load"
)

// version is set by the linker (-X main.version=...).
var version = "dev"

// exitError carries an exit code chosen by a command; its message (if any)
// has already been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// shared holds what every command needs; commands keep their own flags.
type shared struct {
	stdout, stderr io.Writer
	stdin          io.Reader
}

func newRootCmd(s *shared) *cobra.Command {
	root := &cobra.Command{
		Use:   "cht-gen",
		Short: "Declarative hosting for the Community Health Toolkit (CHT Core 4.x)",
		Long: `cht-gen turns CUE environment files (environments/*.cue) into what hosts
CHT Core 4.x: Docker Compose folders for VMs, or Kustomize base + overlays
with Flux / Argo CD objects for Kubernetes clusters. Version bumps become
pull requests.`,
		Example: `  cht-gen validate
  cht-gen render --out deploy
  cht-gen secrets prod --out prod.env`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(s.stdout)
	root.SetErr(s.stderr)
	root.SetIn(s.stdin)
	root.AddCommand(
		newValidateCmd(s),
		newRenderCmd(s),
		newDiffCmd(s),
		newReleasesCmd(s),
		newBumpCmd(s),
		newPromoteCmd(s),
		newSecretsCmd(s),
		newSchemaCmd(s),
		newImportCmd(s),
		newInitCmd(s),
	)
	return root
}

// run executes cht-gen and returns its exit code: 0 success, 1 a problem
// in the input or drift found, 2 usage errors.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdin, stdout, stderr)
}

func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &shared{stdout: stdout, stderr: stderr, stdin: stdin}
	root := newRootCmd(s)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var le load.Errors
	if errors.As(err, &le) {
		for _, d := range le {
			fmt.Fprintln(stderr, d.String())
		}
		fmt.Fprintf(stderr, "cht-gen: %d error(s) in environments\n", len(le))
		return 1
	}
	msg := err.Error()
	if tok := os.Getenv("GITHUB_TOKEN"); tok != "" {
		msg = strings.ReplaceAll(msg, tok, "***") // never print the token
	}
	fmt.Fprintf(stderr, "cht-gen: %s\n", msg)
	if isUsage(err) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 2
	}
	return 1
}

// isUsage recognises cobra's argument and flag errors, which it returns as
// plain errors.
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "flag needs an argument", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
