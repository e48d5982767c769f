package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/internal/redact"
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
		Short: "Declarative hosting for the Community Health Toolkit (CHT Core 4.x and 5.x)",
		Long: `cht-gen turns CUE environment files (environments/*.cue) into what hosts
CHT Core 4.x and 5.x: Docker Compose folders for VMs, or Kustomize base +
overlays with Flux / Argo CD objects for Kubernetes clusters. Version bumps
become pull requests.`,
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
		newHandoverCmd(s),
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
	ran := markRun(root)
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
			fmt.Fprintln(stderr, masked(d).String())
		}
		fmt.Fprintf(stderr, "cht-gen: %d error(s) in environments\n", len(le))
		return 1
	}
	if !*ran {
		// Cobra refused the command line before any command ran.
		err = &usageError{err}
	}
	// Never print the token, wherever an error quotes it.
	fmt.Fprintf(stderr, "cht-gen: %s\n", redact.Error(err, os.Getenv("GITHUB_TOKEN")))
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 2
	}
	return 1
}

// usageError is a mistake in the command line: an unknown command or
// flag, wrong arguments, or flags a command cannot take together. It exits
// 2 and points at --help.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usage is a usage error a command found itself.
func usage(msg string) error { return &usageError{errors.New(msg)} }

// markRun wraps the RunE of every command so that run reports whether a
// command ran: cobra returns its own flag and argument errors as plain
// errors, before any RunE.
func markRun(c *cobra.Command) *bool {
	ran := new(bool)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if runE := c.RunE; runE != nil {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				*ran = true
				return runE(cmd, args)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(c)
	return ran
}
