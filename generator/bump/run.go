package bump

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/plumbing/transport/server"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/diff"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/github"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/repo"
)

func init() {
	// Local remotes (a path or file://) in pure Go instead of git-upload-pack.
	client.InstallProtocol("file", server.DefaultServer)
}

// Target is one environment and the version it moves to.
type Target struct {
	Env, From, To string
	NotesURL      string // release notes, when known
}

// Options say where and how a bump happens.
type Options struct {
	EnvDir, OutDir string // in the user's work tree
	Push           bool
	Remote         string // remote name, default origin
	Base           string // base branch; empty: the remote's default branch
	Repo           string // GitHub owner/name; empty: from the remote URL
	Branch, Title  string // overrides (promote)
	Intro          string // first line of the PR body (promote)
	Labels         []string
	Token          string // for HTTPS pushes; never printed
	AuthorName     string
	AuthorEmail    string
	GitHub         *github.Client
	Progress       func(format string, args ...any)
}

// Result is what happened.
type Result struct {
	Changes []diff.Change
	Branch  string
	Pushed  bool
	PR      *github.Upserted
}

func (o *Options) log(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(format, args...)
	}
}

// Run applies targets. Without Push the edit and the re-render land in
// EnvDir / OutDir; with Push they land on a branch of a temporary clone.
func Run(ctx context.Context, targets []Target, o Options) (*Result, error) {
	if len(targets) == 0 {
		return nil, errors.New("nothing to bump")
	}
	if !o.Push {
		changes, err := apply(ctx, o.EnvDir, o.OutDir, targets)
		if err != nil {
			return nil, err
		}
		return &Result{Changes: changes}, nil
	}
	return push(ctx, targets, o)
}

// apply edits envDir's files, re-renders into outDir, and returns the
// per-environment changes of the built output.
func apply(ctx context.Context, envDir, outDir string, targets []Target) ([]diff.Change, error) {
	display := repo.DisplayPath(envDir)
	before, err := loadRender(ctx, envDir, display)
	if err != nil {
		return nil, err
	}
	if err := edit(envDir, display, targets); err != nil {
		return nil, err
	}
	after, err := loadRender(ctx, envDir, display)
	if err != nil {
		return nil, err
	}
	if _, err := repo.Write(outDir, after, repo.Options{}); err != nil {
		return nil, err
	}
	a, err := diff.Build(ctx, before)
	if err != nil {
		return nil, err
	}
	b, err := diff.Build(ctx, after)
	if err != nil {
		return nil, err
	}
	var out []diff.Change
	for _, c := range diff.Compare(a, b, "before", "after") {
		if c.Diff != "" {
			out = append(out, c)
		}
	}
	return out, nil
}

func loadRender(ctx context.Context, envDir, display string) (files.Set, error) {
	res, err := load.Load(os.DirFS(envDir), display)
	if err != nil {
		return nil, err
	}
	return generator.Render(ctx, res, generator.Options{})
}

// edit sets each target's version in the one file of envDir that sets it.
func edit(envDir, display string, targets []Target) error {
	paths, err := filepath.Glob(filepath.Join(envDir, "*.cue"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	changed := map[string][]byte{}
	for _, t := range targets {
		hits := 0
		for _, p := range paths {
			src, ok := changed[p]
			if !ok {
				if src, err = os.ReadFile(p); err != nil {
					return err
				}
			}
			out, set, err := SetVersion(display+"/"+filepath.Base(p), src, t.Env, t.To)
			if err != nil {
				return err
			}
			if set {
				hits++
				changed[p] = out
			}
		}
		if hits == 0 {
			return fmt.Errorf("%s: no file sets environments.%s.version directly (it may come from a template): write version: %q inside environments: %s so cht-gen bump can change it", display, t.Env, t.From, t.Env)
		}
		if hits > 1 {
			return fmt.Errorf("%s: environments.%s.version is set in %d files: keep one", display, t.Env, hits)
		}
	}
	for p, b := range changed {
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		tmp := p + ".cht-gen-tmp"
		if err := os.WriteFile(tmp, b, info.Mode().Perm()); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	return nil
}

// BranchName is the branch a bump of targets commits on.
func BranchName(targets []Target) string {
	var parts []string
	for _, t := range targets {
		parts = append(parts, t.Env+"-"+t.To)
	}
	return "cht-gen/bump-" + strings.Join(parts, "-")
}

// Title is the pull request title for targets.
func Title(targets []Target) string {
	same := true
	var envs []string
	for _, t := range targets {
		envs = append(envs, t.Env)
		same = same && t.To == targets[0].To
	}
	if same {
		return fmt.Sprintf("Bump %s to CHT %s", strings.Join(envs, ", "), targets[0].To)
	}
	var parts []string
	for _, t := range targets {
		parts = append(parts, fmt.Sprintf("%s to %s", t.Env, t.To))
	}
	return "Bump CHT: " + strings.Join(parts, ", ")
}

// Body is the pull request body: what moves, the release notes, what the
// built output changes, and the checklist before merging.
func Body(intro string, targets []Target, changes []diff.Change) string {
	var b strings.Builder
	if intro != "" {
		b.WriteString(intro + "\n\n")
	}
	for _, t := range targets {
		fmt.Fprintf(&b, "- **%s**: CHT %s → %s", t.Env, t.From, t.To)
		notes := t.NotesURL
		if notes == "" {
			notes = fmt.Sprintf("https://github.com/%s/%s/releases/tag/%s", github.CoreOwner, github.CoreRepo, t.To)
		}
		fmt.Fprintf(&b, " ([release notes](%s))\n", notes)
	}
	b.WriteString("\n### What changes (`cht-gen diff`)\n\n```\n")
	for _, c := range changes {
		fmt.Fprintf(&b, "%s: %s\n", c.Name, c.Summary)
	}
	b.WriteString("```\n\n### Before merging\n\n")
	b.WriteString("- [ ] CouchDB data backed up (volume snapshot or replication) and restore tested\n")
	b.WriteString("- [ ] This version ran on staging / UAT first\n")
	b.WriteString("- [ ] Release notes read: breaking changes, required app changes, upgrade notes\n")
	b.WriteString("- [ ] Window agreed with users: CHT restarts and rebuilds views after the upgrade\n")
	b.WriteString("\n<sub>Opened by `cht-gen bump`; running it again updates this pull request.</sub>\n")
	return b.String()
}

func (o *Options) auth(url string) transport.AuthMethod {
	if o.Token != "" && strings.HasPrefix(url, "https://") {
		return &githttp.BasicAuth{Username: "x-access-token", Password: o.Token}
	}
	return nil
}

// redact keeps the token out of errors that quote URLs or server output.
func (o *Options) redact(err error) error {
	if err == nil || o.Token == "" || !strings.Contains(err.Error(), o.Token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), o.Token, "***"))
}

func push(ctx context.Context, targets []Target, o Options) (*Result, error) {
	if o.GitHub == nil {
		return nil, errors.New("--push needs a GitHub client")
	}
	if o.Remote == "" {
		o.Remote = "origin"
	}
	user, root, envRel, err := repo.OpenWorkTree(o.EnvDir)
	if err != nil {
		return nil, fmt.Errorf("--push: %w", err)
	}
	_, outRoot, outRel, err := repo.OpenWorkTree(o.OutDir)
	if err != nil || outRoot != root {
		return nil, fmt.Errorf("--push: %s is outside the Git work tree %s", o.OutDir, root)
	}
	remote, err := user.Remote(o.Remote)
	if err != nil {
		return nil, fmt.Errorf("--push: remote %q: %w (add it with git remote add %s URL, or name another with --remote)", o.Remote, err, o.Remote)
	}
	url := remote.Config().URLs[0]
	auth := o.auth(url)
	owner, name, err := ownerRepo(o.Repo, url)
	if err != nil {
		return nil, err
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", o.Remote, o.redact(err))
	}
	base := o.Base
	if base == "" {
		base = defaultBranch(refs)
	}
	branch := o.Branch
	if branch == "" {
		branch = BranchName(targets)
	}

	tmp, err := os.MkdirTemp("", "cht-gen-bump-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	o.log("cloning %s (%s) into a temporary work tree", o.Remote, base)
	clone, err := git.PlainCloneContext(ctx, tmp, false, &git.CloneOptions{
		// All branches: an earlier run's bump branch is compared, not re-pushed.
		URL: url, Auth: auth, ReferenceName: plumbing.NewBranchReferenceName(base),
	})
	if err != nil {
		return nil, fmt.Errorf("clone %s branch %s: %w", o.Remote, base, o.redact(err))
	}
	cwt, err := clone.Worktree()
	if err != nil {
		return nil, err
	}
	if err := cwt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch), Create: true}); err != nil {
		return nil, err
	}
	changes, err := apply(ctx, filepath.Join(tmp, filepath.FromSlash(envRel)), filepath.Join(tmp, filepath.FromSlash(outRel)), targets)
	if err != nil {
		return nil, err
	}
	if err := cwt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return nil, err
	}
	status, err := cwt.Status()
	if err != nil {
		return nil, err
	}
	res := &Result{Changes: changes, Branch: branch}
	if status.IsClean() {
		return res, nil // base already has these versions
	}
	msg := Title(targets) + "\n\n"
	for _, c := range changes {
		msg += fmt.Sprintf("%s: %s\n", c.Name, c.Summary)
	}
	sig := &object.Signature{Name: o.AuthorName, Email: o.AuthorEmail, When: time.Now()}
	commit, err := cwt.Commit(msg, &git.CommitOptions{Author: sig})
	if err != nil {
		return nil, err
	}
	if same, err := sameTreeOnRemote(clone, branch, commit); err != nil {
		return nil, err
	} else if !same {
		o.log("pushing %s", branch)
		spec := config.RefSpec("+refs/heads/" + branch + ":refs/heads/" + branch)
		err := clone.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: auth})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil, fmt.Errorf("push %s: %w", branch, o.redact(err))
		}
		res.Pushed = true
	} else {
		o.log("%s on %s already holds this change", branch, o.Remote)
	}
	title := o.Title
	if title == "" {
		title = Title(targets)
	}
	pr, err := o.GitHub.UpsertPullRequest(ctx, github.PullRequest{
		Owner: owner, Repo: name, Head: branch, Base: base,
		Title: title, Body: Body(o.Intro, targets, changes), Labels: o.Labels,
	})
	if err != nil {
		return nil, err
	}
	res.PR = pr
	return res, nil
}

// sameTreeOnRemote reports whether the remote branch (fetched by the
// clone) already has commit's tree.
func sameTreeOnRemote(clone *git.Repository, branch string, commit plumbing.Hash) (bool, error) {
	ref, err := clone.Reference(plumbing.NewRemoteReferenceName("origin", branch), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	theirs, err := clone.CommitObject(ref.Hash())
	if err != nil {
		return false, err
	}
	ours, err := clone.CommitObject(commit)
	if err != nil {
		return false, err
	}
	return theirs.TreeHash == ours.TreeHash, nil
}

func defaultBranch(refs []*plumbing.Reference) string {
	for _, r := range refs {
		if r.Name() == plumbing.HEAD && r.Type() == plumbing.SymbolicReference {
			return r.Target().Short()
		}
	}
	return "main"
}

var repoPath = regexp.MustCompile(`[:/]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(\.git)?/?$`)

// ownerRepo is flag (owner/name), else the last two path elements of a
// GitHub remote URL.
func ownerRepo(flag, url string) (string, string, error) {
	if flag != "" {
		o, n, ok := strings.Cut(flag, "/")
		if !ok || o == "" || n == "" || strings.Contains(n, "/") {
			return "", "", fmt.Errorf("--repo %q: want owner/name", flag)
		}
		return o, n, nil
	}
	if strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "ssh://") || strings.HasPrefix(url, "git@") {
		if m := repoPath.FindStringSubmatch(url); m != nil {
			return m[1], m[2], nil
		}
	}
	return "", "", fmt.Errorf("cannot tell the GitHub repository from remote URL %q: pass --repo owner/name", url)
}
