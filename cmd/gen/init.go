package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/repo"
	"github.com/cht-gen/cht-gen/generator/scaffold"
)

func newInitCmd(s *shared) *cobra.Command {
	var (
		opts        scaffold.Options
		force       bool
		releasesURL string
	)
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Scaffold a hosting repository (environments, workflows, README) and render it",
		Long: `init turns DIR (default: the current directory, usually a fresh
` + "`git init`" + `) into a hosting repository that works on the first push:

  environments/       one commented example per target (CHT ` + scaffold.CHTVersion + `; only while
                      it holds no environments of its own) and gitops.cue
  .github/workflows/  cht-gen.yml (pull requests: validate, render --check,
                      the diff posted on the PR) and cht-gen-bump.yml
                      (weekly and by hand: bump --all --latest --push)
  .gitignore          every .env (only when absent)
  README.md           for the hosting team (only when absent)
  deploy/             the examples rendered

gitops.cue's repoURL comes from --repo-url, else ` + "`git remote get-url origin`" + `;
without either it is a placeholder that validation rejects until set.

The workflows install the cht-gen release that ran init through its GitHub
Action, pinned to the version and the SHA-256 of its linux amd64 archive
(read from the release's checksum file). A development build has no
release: pass --release-version (and --release-sha256 when offline).

An existing README.md, .gitignore or example environment is yours (you may
have edited an example into a real environment): init never replaces it,
not even with --force, and says it kept it; for a .gitignore that lets .env
files or the lock file into Git, it names the lines to add (it does not
edit it).
An existing environments/gitops.cue keeps your edits: init only sets its
repoURL to the one it found (with --force, as for any change), and leaves
it alone when it found none.
Any other file that differs is not replaced unless --force, which lists
what it replaces. Running init again changes nothing.

DIR must be the root of its Git work tree (or outside Git): in a subfolder
the workflows would never run (GitHub reads only the root's .github) and
Flux / Argo CD would look for deploy/ at the root, so init refuses.`,
		Example: `  git init cht-hosting && cd cht-hosting
  git remote add origin https://github.com/moh/cht-hosting
  cht-gen init
  cht-gen init --repo-url https://github.com/moh/cht-hosting ../other`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			prepared, err := scaffold.PlanInit(cmd.Context(), scaffold.InitOptions{Options: opts, Dir: dir,
				BinaryVersion: version, ReleasesURL: releasesURL, Force: force,
				Later: []string{filepath.Join("deploy", repo.LockName)}})
			if err != nil {
				return err
			}
			if prepared.OwnEnvironments {
				fmt.Fprintln(s.stderr, "environments/ has environments of its own: no examples written")
			}
			var plan *scaffold.Plan
			err = whileWriting(func() (err error) {
				plan, err = prepared.Apply()
				return err
			})
			if err != nil {
				return err
			}
			for _, p := range plan.Create {
				fmt.Fprintf(s.stdout, "created  %s\n", filepath.Join(dir, p))
			}
			for _, p := range plan.Replace {
				fmt.Fprintf(s.stdout, "replaced %s\n", filepath.Join(dir, p))
			}
			for _, p := range plan.Kept {
				fmt.Fprintf(s.stderr, "kept %s: it exists (cht-gen writes it only when absent)\n", filepath.Join(dir, p))
			}
			if len(prepared.MissingIgnores) > 0 {
				fmt.Fprintf(s.stderr, "%s lets Git commit files that must stay out of it (credentials in .env files, cht-gen's lock file): add these lines to it: %s\n", filepath.Join(dir, ".gitignore"), strings.Join(prepared.MissingIgnores, " "))
			}
			if prepared.Options.RepoURL == "" {
				fmt.Fprintf(s.stderr, "no origin remote: set repoURL in %s (or `git remote add origin URL` and cht-gen init --force), then cht-gen render\n", filepath.Join(dir, "environments", "gitops.cue"))
				return exitError{1}
			}
			return initRender(cmd, s, dir)
		},
	}
	cmd.Flags().StringVar(&opts.RepoURL, "repo-url", "", "Git URL Flux / Argo CD clone (default: the origin remote)")
	cmd.Flags().StringVar(&opts.Branch, "branch", "", "branch Flux / Argo CD follow and CI checks on push (default: the current branch; with a detached HEAD origin's default branch; else main)")
	cmd.Flags().StringVar(&opts.Version, "release-version", "", "cht-gen release the workflows install (default: this binary's version)")
	cmd.Flags().StringVar(&opts.SHA256, "release-sha256", "", "SHA-256 of that release's linux amd64 archive (default: read from the release's checksum file)")
	cmd.Flags().StringVar(&releasesURL, "releases-url", scaffold.DefaultReleasesURL, "where release assets are served (<url>/v<version>/<asset>), for mirrors")
	cmd.Flags().StringVar(&opts.ComposeGitOps, "compose-gitops", "none", "what deploys Compose VMs: none (git pull and docker compose up by hand) or doco-cd (an agent per VM; gitops.compose)")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing files that differ (listed); README.md, .gitignore and the examples are kept all the same")
	return cmd
}

// initRender renders DIR/environments into DIR/deploy, naming sources as
// `cht-gen render` run in DIR would, so the first render --check passes.
func initRender(cmd *cobra.Command, s *shared, dir string) error {
	envDir := filepath.Join(dir, "environments")
	display := "environments"
	if _, _, _, err := repo.OpenWorkTree(envDir); err == nil {
		display = repo.DisplayPath(envDir)
	}
	res, err := load.Load(os.DirFS(envDir), display)
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "deploy")
	r, err := renderFor(cmd.Context(), res.Environments, out, generator.Options{})
	if err != nil {
		return err
	}
	changes, err := writeOutput(cmd.Context(), s, out, r)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "rendered %s: %d files, %d changed\n", out, len(r.Files), len(changes))
	return nil
}
