package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/github"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
)

// githubClient reads GitHub Actions' variables: GITHUB_API_URL (GitHub
// Enterprise: https://HOST/api/v3) and GITHUB_TOKEN.
func githubClient() (*github.Client, error) {
	return github.New(github.Options{APIURL: os.Getenv("GITHUB_API_URL"), Token: os.Getenv("GITHUB_TOKEN")})
}

func newReleasesCmd(s *shared) *cobra.Command {
	var channel string
	cmd := &cobra.Command{
		Use:   "releases",
		Short: "List CHT Core 4.x releases, newest first",
		Long: `releases lists CHT Core 4.x releases of medic/cht-core on GitHub, newest
first, with their release notes. The stable channel leaves pre-releases out.

GITHUB_API_URL points at GitHub Enterprise (https://HOST/api/v3); GITHUB_TOKEN
raises the rate limit (unauthenticated works within 60 requests an hour).`,
		Example: `  cht-gen releases
  cht-gen releases --channel beta`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if channel != "stable" && channel != "beta" {
				return fmt.Errorf("invalid argument %q for --channel: want stable or beta", channel)
			}
			c, err := githubClient()
			if err != nil {
				return err
			}
			rels, err := c.Releases(cmd.Context(), channel == "beta")
			if err != nil {
				return err
			}
			for _, r := range rels {
				pre := ""
				if r.Prerelease {
					pre = " (pre-release)"
				}
				fmt.Fprintf(s.stdout, "%-16s %s%s\n", r.Version, r.URL, pre)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "stable", "stable or beta (beta includes pre-releases)")
	return cmd
}

// pushFlags are the flags bump and promote share.
type pushFlags struct {
	envFlags
	out, remote, base, repo string
	push, allowDowngrade    bool
	labels                  []string
}

func (f *pushFlags) register(cmd *cobra.Command) {
	f.envFlags.register(cmd)
	cmd.Flags().StringVarP(&f.out, "out", "o", "deploy", "rendered output directory")
	cmd.Flags().BoolVar(&f.push, "push", false, "commit on a branch of a temporary clone, push it and open or update the pull request")
	cmd.Flags().StringVar(&f.remote, "remote", "origin", "Git remote to push to (with --push)")
	cmd.Flags().StringVar(&f.base, "base", "", "base branch of the pull request (default: the remote's default branch)")
	cmd.Flags().StringVar(&f.repo, "repo", "", "GitHub owner/name (default: from the remote URL)")
	cmd.Flags().StringSliceVar(&f.labels, "label", nil, "label for the pull request (repeatable)")
	cmd.Flags().BoolVar(&f.allowDowngrade, "allow-downgrade", false, "allow a version older than the current one")
}

func (f *pushFlags) options(s *shared, gh *github.Client) bump.Options {
	name, email := os.Getenv("GIT_AUTHOR_NAME"), os.Getenv("GIT_AUTHOR_EMAIL")
	if name == "" {
		name = "cht-gen"
	}
	if email == "" {
		email = "cht-gen@users.noreply.github.com"
	}
	return bump.Options{
		EnvDir: f.dir, OutDir: f.out, Push: f.push, Remote: f.remote, Base: f.base, Repo: f.repo,
		Labels: f.labels, Token: os.Getenv("GITHUB_TOKEN"), AuthorName: name, AuthorEmail: email,
		GitHub: gh, Progress: func(format string, a ...any) { fmt.Fprintf(s.stderr, format+"\n", a...) },
	}
}

func (f *pushFlags) policy() (bump.Policy, error) {
	paths, err := load.UpgradePaths()
	return bump.Policy{AllowDowngrade: f.allowDowngrade, Paths: paths}, err
}

// runBump runs one bump and reports it.
func runBump(ctx context.Context, s *shared, targets []bump.Target, o bump.Options) error {
	// Edits, renders, the temporary clone and the push: a signal waits
	// for them (ctx, cancelled by it, cuts network retries short).
	writing.Lock()
	res, err := bump.Run(ctx, targets, o)
	writing.Unlock()
	if err != nil {
		return err
	}
	for _, c := range res.Changes {
		fmt.Fprintf(s.stdout, "%s: %s\n", c.Name, c.Summary)
	}
	switch {
	case !o.Push:
		fmt.Fprintf(s.stderr, "edited %s and re-rendered %s: review with git diff, then commit\n", o.EnvDir, o.OutDir)
	case res.PR == nil:
		fmt.Fprintf(s.stdout, "%s: the base branch already has this change, no pull request\n", res.Branch)
	case res.PR.Created:
		fmt.Fprintf(s.stdout, "opened pull request #%d %s\n", res.PR.Number, res.PR.URL)
	default:
		fmt.Fprintf(s.stdout, "updated pull request #%d %s\n", res.PR.Number, res.PR.URL)
	}
	return nil
}

func newBumpCmd(s *shared) *cobra.Command {
	var f pushFlags
	var to string
	var latest, all bool
	cmd := &cobra.Command{
		Use:   "bump [ENV...] (--to VERSION | --latest)",
		Short: "Move environments to another CHT version, as a pull request with --push",
		Long: `bump sets each environment's version in its CUE file (only that literal
changes; comments and formatting stay), re-renders, and prints what changes.

Without --push the change stays in your work tree for you to review and commit.
With --push cht-gen works in a temporary clone: it commits on branch
cht-gen/bump-<env>-<version>, pushes it, and opens a pull request (or updates
the open one for that branch), whose body holds the per-environment diff
summary, the release notes and a checklist. Your work tree is not touched.

Policy: 4.x only; pre-releases only on channel "beta"; the environment's
versionConstraint; no downgrade without --allow-downgrade; upgrade paths CHT
does not support in one step (the schema's #UpgradePaths) are refused with the
reason, and --latest stops at the required intermediate version instead.

ENV... bumps the named environments together (one pull request); --all bumps
every environment on its own (one pull request each), skipping those already
current. GITHUB_TOKEN authenticates pushes over HTTPS and the GitHub API;
GITHUB_API_URL selects GitHub Enterprise.`,
		Example: `  cht-gen bump staging --to 4.22.0
  cht-gen bump prod --latest --push --label upgrade
  cht-gen bump --all --latest --push`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (to == "") == !latest {
				return errors.New("invalid argument: give exactly one of --to VERSION or --latest")
			}
			if all == (len(args) > 0) {
				return errors.New("invalid argument: name environments or pass --all")
			}
			if err := f.checkOut(f.out); err != nil {
				return err
			}
			_, envs, err := f.load(args)
			if err != nil {
				return err
			}
			pol, err := f.policy()
			if err != nil {
				return err
			}
			var gh *github.Client
			var releases []github.Release
			if f.push || latest {
				if gh, err = githubClient(); err != nil {
					return err
				}
			}
			if latest {
				// One listing with pre-releases serves every channel: the
				// policy refuses pre-releases to stable environments.
				if releases, err = gh.Releases(cmd.Context(), true); err != nil {
					return err
				}
			}
			var targets []bump.Target
			for i := range envs {
				e := &envs[i]
				t, ok, err := target(e, to, latest, releases, pol)
				if err != nil {
					return err
				}
				if !ok {
					fmt.Fprintf(s.stdout, "%s: already at %s, nothing to do\n", e.Name, e.Version)
					continue
				}
				targets = append(targets, t)
			}
			if len(targets) == 0 {
				return nil
			}
			o := f.options(s, gh)
			if !all {
				return runBump(cmd.Context(), s, targets, o)
			}
			for _, t := range targets {
				if err := runBump(cmd.Context(), s, []bump.Target{t}, o); err != nil {
					return fmt.Errorf("%s: %w", t.Env, err)
				}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&to, "to", "", "target CHT version, e.g. 4.22.0")
	cmd.Flags().BoolVar(&latest, "latest", false, "the newest release each environment's channel, constraint and upgrade paths allow")
	cmd.Flags().BoolVar(&all, "all", false, "every environment, one pull request each")
	return cmd
}

// target decides e's next version: to, or the latest release it may take.
func target(e *model.Environment, to string, latest bool, releases []github.Release, pol bump.Policy) (bump.Target, bool, error) {
	t := bump.Target{Env: e.Name, From: e.Version}
	if latest {
		rel, ok, err := pol.Latest(e, releases)
		if err != nil || !ok {
			return t, false, err
		}
		t.To, t.NotesURL = rel.Version, rel.URL
		return t, true, nil
	}
	v, err := model.ParseVersion(to)
	if err != nil {
		return t, false, fmt.Errorf("--to %s: %w", to, err)
	}
	t.To = v.String()
	if t.To == e.Version {
		return t, false, nil
	}
	return t, true, pol.Check(e, t.To)
}

func newPromoteCmd(s *shared) *cobra.Command {
	var f pushFlags
	cmd := &cobra.Command{
		Use:   "promote FROM TO",
		Short: "Set TO's CHT version to FROM's (e.g. staging -> prod), as a pull request with --push",
		Long: `promote is bump with the version taken from another environment: after a
release has run on staging, promote staging prod opens the pull request that
moves prod to the same version, with the same policy checks and checklist.`,
		Example: `  cht-gen promote staging prod --push`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.checkOut(f.out); err != nil {
				return err
			}
			_, envs, err := f.load(args)
			if err != nil {
				return err
			}
			from, to := &envs[0], &envs[1]
			pol, err := f.policy()
			if err != nil {
				return err
			}
			t, ok, err := target(to, from.Version, false, nil, pol)
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintf(s.stdout, "%s: already at %s like %s, nothing to do\n", to.Name, to.Version, from.Name)
				return nil
			}
			var gh *github.Client
			if f.push {
				if gh, err = githubClient(); err != nil {
					return err
				}
			}
			o := f.options(s, gh)
			o.Branch = fmt.Sprintf("cht-gen/promote-%s-to-%s-%s", from.Name, to.Name, t.To)
			o.Title = fmt.Sprintf("Promote CHT %s from %s to %s", t.To, from.Name, to.Name)
			o.Intro = fmt.Sprintf("Promotes **%s** to the version **%s** runs.", to.Name, from.Name)
			return runBump(cmd.Context(), s, []bump.Target{t}, o)
		},
	}
	f.register(cmd)
	return cmd
}
