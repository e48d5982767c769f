package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/github"
	"github.com/cht-gen/cht-gen/generator/load"
)

// githubClient reads GitHub Actions' variables: GITHUB_API_URL (GitHub
// Enterprise: https://HOST/api/v3) and GITHUB_TOKEN.
func githubClient() (*github.Client, error) {
	return github.New(github.Options{APIURL: os.Getenv("GITHUB_API_URL"), Token: os.Getenv("GITHUB_TOKEN")})
}

func newReleasesCmd(s *shared) *cobra.Command {
	var channel channelFlag
	var of outputFlag
	cmd := &cobra.Command{
		Use:   "releases",
		Short: "List CHT Core 5.x and 4.x releases, newest first",
		Long: `releases lists the CHT Core 5.x and 4.x releases of medic/cht-core on GitHub,
newest first, with their release notes. The stable channel leaves pre-releases
out: versions with a pre-release part (5.1.0-beta.1) and releases GitHub marks
as pre-releases whatever their tag.

When GitHub cannot be read (offline, refused), it lists the releases this
cht-gen knows instead, with a warning (JSON: "source": "cht-gen"): the same
list validate accepts versions from (docs/versions.md).

GITHUB_API_URL points at GitHub Enterprise (https://HOST/api/v3); GITHUB_TOKEN
raises the rate limit (unauthenticated works within 60 requests an hour).`,
		Example: `  cht-gen releases
  cht-gen releases --channel beta
  cht-gen releases --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var l github.Listing
			c, err := githubClient()
			if err == nil {
				l = c.ReleasesOrKnown(cmd.Context(), channel.value == "beta")
			}
			return printReleases(s, &of, channel.value, l, err)
		},
	}
	channel.register(cmd)
	of.register(cmd)
	return cmd
}

// printReleases prints the list (or err) as text or as releasesJSON;
// warnings go to stderr (text) or into the document (JSON).
func printReleases(s *shared, of *outputFlag, channel string, l github.Listing, err error) error {
	switch {
	case err != nil && of.json():
		return failJSON(s, err)
	case err != nil:
		return err
	case of.json():
		return writeJSON(s.stdout, releasesAsJSON(channel, l))
	}
	for _, w := range l.Warnings() {
		fmt.Fprintln(s.stderr, "warning: "+w)
	}
	for _, r := range l.Releases {
		pre := ""
		if r.Prerelease {
			pre = " (pre-release)"
		}
		fmt.Fprintf(s.stdout, "%-16s %s%s\n", r.Version, r.URL, pre)
	}
	return nil
}

// pushFlags are the flags bump and promote share.
type pushFlags struct {
	envFlags
	out, remote, base, repo      string
	push, allowDowngrade, reopen bool
	major                        bool
	labels                       []string
}

func (f *pushFlags) register(cmd *cobra.Command) {
	f.envFlags.register(cmd)
	registerOut(cmd, &f.out, "rendered output directory")
	cmd.Flags().BoolVar(&f.push, "push", false, "commit on a branch of a temporary clone of the base branch, push it and open or update the pull request")
	cmd.Flags().StringVar(&f.remote, "remote", "origin", "Git remote to push to (with --push)")
	cmd.Flags().StringVar(&f.base, "base", "", "base branch of the pull request (default: the remote's default branch)")
	cmd.Flags().StringVar(&f.repo, "repo", "", "GitHub owner/name (default: from the remote URL)")
	cmd.Flags().StringSliceVar(&f.labels, "label", nil, "label for the pull request (repeatable)")
	cmd.Flags().BoolVar(&f.allowDowngrade, "allow-downgrade", false, "allow a version older than the current one")
	cmd.Flags().BoolVar(&f.reopen, "reopen", false, "propose again a change whose pull request a reviewer closed (by default such a run is skipped)")
}

func (f *pushFlags) options(s *shared) bump.Options {
	name, email := os.Getenv("GIT_AUTHOR_NAME"), os.Getenv("GIT_AUTHOR_EMAIL")
	if name == "" {
		name = "cht-gen"
	}
	if email == "" {
		email = "cht-gen@users.noreply.github.com"
	}
	return bump.Options{
		EnvDir: f.dir, OutDir: f.out, Push: f.push, Remote: f.remote, Base: f.base, Repo: f.repo,
		Labels: f.labels, Reopen: f.reopen, AuthorName: name, AuthorEmail: email,
		Progress: func(format string, a ...any) { fmt.Fprintf(s.stderr, format+"\n", a...) },
	}
}

func (f *pushFlags) policy() (bump.Policy, error) {
	paths, err := load.UpgradePaths()
	return bump.Policy{AllowDowngrade: f.allowDowngrade, Major: f.major, Paths: paths}, err
}

// bumpJSONOK checks, before any work, that the output asked for can be
// given: a pushed bump reports its pull request as text.
func bumpJSONOK(of *outputFlag, push bool) error {
	if of.json() && push {
		return usage("--output json works without --push only: a pushed bump reports its pull request as text")
	}
	return nil
}

// printBump is bump's and promote's one printer: rep (nil when the run
// stopped before planning) and err as text, or as one bumpJSON document.
// Usage errors stay text (exit 2).
func printBump(s *shared, of *outputFlag, rep *bump.Report, err error) error {
	if rep == nil {
		rep = &bump.Report{}
	}
	var ee exitError
	var ue *usageError
	switch {
	case !of.json():
		printBumpText(s, rep)
		return err
	case errors.As(err, &ee) || errors.As(err, &ue):
		return err
	}
	doc := bumpAsJSON(rep)
	doc.OK = err == nil
	if err != nil {
		doc.Errors = errorsJSON(err)
	}
	if werr := writeJSON(s.stdout, doc); werr != nil {
		return werr
	}
	if err != nil {
		return exitError{1}
	}
	return nil
}

// printBumpText prints rep as text: warnings and progress on stderr,
// what changed on stdout; errors are returned to root.
func printBumpText(s *shared, rep *bump.Report) {
	for _, w := range rep.Warnings {
		fmt.Fprintln(s.stderr, "warning: "+w)
	}
	for i := range rep.Steps {
		st := &rep.Steps[i]
		for _, c := range st.Current {
			fmt.Fprintln(s.stdout, c.Message)
		}
		if st.Applied() {
			printBumpStep(s, rep, st.Result, st.Checklist())
		}
	}
}

// printBumpStep prints what one applied step changed and where it went.
func printBumpStep(s *shared, rep *bump.Report, res *bump.Result, checklist []bump.ChecklistItem) {
	for _, c := range res.Changes {
		fmt.Fprintf(s.stdout, "%s: %s\n", c.Name, c.Summary)
	}
	switch {
	case !rep.Push:
		printChecklist(s, checklist)
		fmt.Fprintf(s.stderr, "edited %s and re-rendered %s: review with git diff, then commit\n", rep.EnvDir, rep.OutDir)
	case res.Skipped != nil:
		fmt.Fprintf(s.stdout, "skipped %s: pull request #%d %s proposing it into %s was closed without merging; pass --reopen to propose it again\n",
			res.Proposal.Title, res.Skipped.Number, res.Skipped.URL, res.Base)
	case res.PR == nil:
		fmt.Fprintf(s.stdout, "%s already has this change, no pull request\n", res.Base)
	case res.PR.Created:
		fmt.Fprintf(s.stdout, "opened pull request #%d %s (%s into %s)\n", res.PR.Number, res.PR.URL, res.Branch, res.Base)
	default:
		fmt.Fprintf(s.stdout, "updated pull request #%d %s (%s into %s)\n", res.PR.Number, res.PR.URL, res.Branch, res.Base)
	}
}

// printChecklist prints Medic's 4.x -> 5.x checklist of a local bump (a
// pushed one puts it in the pull request): the advice needs no GitHub.
func printChecklist(s *shared, items []bump.ChecklistItem) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(s.stdout, "\nMoving to CHT 5.x: before merging, from Medic's %s\n", bump.Preparing5)
	for _, it := range items {
		scope := ""
		if it.Partial {
			scope = "(" + strings.Join(it.Environments, ", ") + ") "
		}
		fmt.Fprintf(s.stdout, "- [ ] %s%s\n      %s\n", scope, it.Text, it.URL)
	}
}

// bumpRunner applies plans through the user's Git repository and gh.
// Edits, renders, the temporary clone and the push: a signal waits for
// them (ctx, cancelled by it, cuts network retries short).
func bumpRunner(gh *github.Client) bump.Runner {
	return func(ctx context.Context, plan bump.Plan, o bump.Options) (res *bump.Result, err error) {
		err = whileWriting(func() (err error) {
			res, err = newBumper(gh).Run(ctx, plan, o)
			return err
		})
		return res, err
	}
}

func newBumpCmd(s *shared) *cobra.Command {
	var f pushFlags
	var of outputFlag
	var to string
	var latest, all bool
	cmd := &cobra.Command{
		Use:               "bump [ENV...] (--to VERSION | --latest [--major])",
		ValidArgsFunction: completeEnvironments(0),
		Short:             "Move environments to another CHT version, as a pull request with --push",
		Long: `bump sets each environment's version in its CUE file (only that literal
changes; comments and formatting stay), re-renders, and prints what changes per
environment, naming objects, services and containers that appear or go (e.g.
"+ nouveau (Deployment cht-couchdb-nouveau, Service nouveau)").

Without --push the change stays in your work tree for you to review and commit.
With --push cht-gen first checks GITHUB_TOKEN and its access to the repository,
then works in a temporary clone of the base branch: the versions it checks and
describes are the ones on that branch, not in your checkout. It commits on
branch cht-gen/<base>/bump-<env>-<version>, pushes it, and opens a pull request
(or updates the open one for that branch), whose body holds the per-environment
diff summary, the release notes and a checklist; a move from 4.x to 5.x adds
the items of Medic's 4.x -> 5.x pages that apply to the target (Kubernetes:
stage 5.x in the admin app before merging). Your work tree is not touched. A
commit someone else pushed on that branch stops the run (nothing is
force-pushed over it). When
a reviewer closed the pull request for the same change, the run skips it and
says so; --reopen proposes it again.

Policy: CHT 4.x and 5.x; pre-releases (a pre-release version, or a release
GitHub marks as one) only on channel "beta"; the environment's
versionConstraint; no downgrade without --allow-downgrade; upgrade paths CHT
does not support in one step (the schema's #UpgradePaths: 4.0-4.4 reach 4.5 or
later before 5.x) are refused with the reason.

Major lines: --latest stays within each environment's current major line, so a
scheduled "bump --all --latest --push" never opens a 4.x -> 5.x move. --major
lets --latest go to the next major line too (the newest release allowed; from
4.0-4.4 that is the newest 4.x, the required stop). --to crosses a major line
when it names a version of the next one (--major is then not needed).

ENV... bumps the named environments together (one pull request); --all bumps
every environment on its own (one pull request each), skipping those already
current. GITHUB_TOKEN authenticates pushes over HTTPS and the GitHub API (--push
needs it); GITHUB_API_URL selects GitHub Enterprise.`,
		Example: `  cht-gen bump staging --to 4.22.0
  cht-gen bump prod --to 5.2.0 --push
  cht-gen bump prod --latest --push --label upgrade
  cht-gen bump --all --latest --push
  cht-gen bump staging --latest --major
  cht-gen bump staging --to 5.2.0 --output json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (to == "") == !latest {
				return usage("invalid argument: give exactly one of --to VERSION or --latest")
			}
			if all == (len(args) > 0) {
				return usage("invalid argument: name environments or pass --all")
			}
			if err := bumpJSONOK(&of, f.push); err != nil {
				return err
			}
			rep, err := runBumps(cmd.Context(), s, &f, args, to, latest, all)
			return printBump(s, &of, rep, err)
		},
	}
	f.register(cmd)
	of.register(cmd)
	cmd.Flags().StringVar(&to, "to", "", "target CHT version, e.g. 5.2.0 or 4.22.0 (may cross a major line)")
	cmd.Flags().BoolVar(&latest, "latest", false, "the newest release each environment's channel, constraint and upgrade paths allow, within its major line")
	cmd.Flags().BoolVar(&f.major, "major", false, "with --latest: allow the next major line too (4.x -> 5.x)")
	cmd.Flags().BoolVar(&all, "all", false, "every environment, one pull request each")
	return cmd
}

// runBumps is bump's work once its arguments are checked: a nil report
// when it stopped before planning.
func runBumps(ctx context.Context, s *shared, f *pushFlags, args []string, to string, latest, all bool) (*bump.Report, error) {
	if err := f.checkOut(f.out); err != nil {
		return nil, err
	}
	_, envs, err := f.load(args)
	if err != nil {
		return nil, err
	}
	req := bump.VersionsRequest{To: to, Latest: latest, All: all}
	if req.Policy, err = f.policy(); err != nil {
		return nil, err
	}
	var gh *github.Client
	if f.push || latest {
		if gh, err = githubClient(); err != nil {
			return nil, err
		}
	}
	if latest {
		// One listing with pre-releases serves every channel: the
		// policy refuses pre-releases to stable environments. Offline,
		// the releases this cht-gen knows (a --push fails later anyway).
		l := gh.ReleasesOrKnown(ctx, true)
		req.Releases, req.Warnings = l.Releases, l.Warnings()
	}
	for _, e := range envs {
		req.Names = append(req.Names, e.Name)
	}
	rep := bump.Versions(ctx, bumpRunner(gh), f.options(s), req)
	return rep, rep.Err()
}

func newPromoteCmd(s *shared) *cobra.Command {
	var f pushFlags
	var of outputFlag
	cmd := &cobra.Command{
		Use:               "promote FROM TO",
		ValidArgsFunction: completeEnvironments(2),
		Short:             "Set TO's CHT version to FROM's (e.g. staging -> prod), as a pull request with --push",
		Long: `promote is bump with the version taken from another environment: after a
release has run on staging, promote staging prod opens the pull request that
moves prod to the same version, with the same policy checks, diff summary and
checklists (Medic's 4.x -> 5.x items when it crosses to 5.x). With --push both
versions are read from the base branch, and the branch is
cht-gen/<base>/promote-<FROM>-to-<TO>-<version>.

A promotion that crosses a major line (FROM on 5.x, TO on 4.x) needs --major:
promote is often scheduled, and a 4.x -> 5.x move must be asked for.`,
		Example: `  cht-gen promote staging prod --push
  cht-gen promote staging prod --major --push
  cht-gen promote staging prod --output json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := bumpJSONOK(&of, f.push); err != nil {
				return err
			}
			rep, err := runPromote(cmd.Context(), s, &f, args)
			return printBump(s, &of, rep, err)
		},
	}
	f.register(cmd)
	of.register(cmd)
	cmd.Flags().BoolVar(&f.major, "major", false, "allow a promotion that crosses a major line (4.x -> 5.x)")
	return cmd
}

// runPromote is promote's work once its arguments are checked: a nil
// report when it stopped before planning.
func runPromote(ctx context.Context, s *shared, f *pushFlags, args []string) (*bump.Report, error) {
	if err := f.checkOut(f.out); err != nil {
		return nil, err
	}
	if _, _, err := f.load(args); err != nil {
		return nil, err
	}
	pol, err := f.policy()
	if err != nil {
		return nil, err
	}
	var gh *github.Client
	if f.push {
		if gh, err = githubClient(); err != nil {
			return nil, err
		}
	}
	rep := bump.Promote(ctx, bumpRunner(gh), f.options(s), args[0], args[1], f.major, pol)
	return rep, rep.Err()
}
