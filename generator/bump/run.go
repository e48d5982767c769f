package bump

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/generator/repo"
)

func init() {
	// Local remotes (a path or file://) in pure Go instead of git-upload-pack.
	client.InstallProtocol("file", server.DefaultServer)
}

// Target is one environment and the version it moves to. From is the
// version in the tree being changed (origin's base branch with --push).
type Target struct {
	Env, From, To string
	Platform      model.Target // kubernetes or compose: which checklist items apply
	NotesURL      string       // release notes, when known
	Suspended     string       // what the parked reconciler does (model.Environment.SuspendedNote), or ""
}

// Proposal is what one run proposes: the targets and how the change is
// named. Empty Topic and Title take the defaults of the targets.
type Proposal struct {
	Targets []Target
	Topic   string // the branch is cht-gen/<base>/<Topic>
	Title   string
	Intro   string // first line of the pull request body
}

// Plan decides the proposal from the environments of the tree being
// changed: the work tree, or with --push origin's base branch, so that
// downgrade and upgrade-path checks see the version the edit replaces.
// No targets: nothing to do.
type Plan func(envs []model.Environment) (Proposal, error)

// Options say where and how a bump happens.
type Options struct {
	EnvDir, OutDir string // in the user's work tree
	Push           bool
	Remote         string // remote name, default origin
	Base           string // base branch; empty: the remote's default branch
	Repo           string // GitHub owner/name; empty: from the remote URL
	Labels         []string
	// Reopen proposes a change again although a reviewer closed the pull
	// request that proposed it (same environments, versions and base).
	Reopen      bool
	Token       string // for HTTPS pushes; never printed
	AuthorName  string
	AuthorEmail string
	GitHub      *github.Client
	Progress    func(format string, args ...any)
}

// Result is what happened.
type Result struct {
	Proposal Proposal
	Changes  []diff.Change
	Base     string // with --push
	Branch   string
	Pushed   bool
	PR       *github.Upserted
	// Skipped is the closed pull request that proposed the same change,
	// when the run left it closed (no --reopen): nothing was pushed.
	Skipped *github.Closed
}

func (o *Options) log(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(format, args...)
	}
}

// Run plans and applies a bump. Without Push the edit and the re-render
// land in EnvDir / OutDir; with Push they land on a branch of a temporary
// clone of the base branch. A refused or failing bump changes nothing.
func Run(ctx context.Context, plan Plan, o Options) (*Result, error) {
	if !o.Push {
		prop, changes, err := apply(ctx, o.EnvDir, o.OutDir, plan)
		if err != nil {
			return nil, err
		}
		return &Result{Proposal: prop, Changes: changes}, nil
	}
	return push(ctx, plan, o)
}

// apply loads envDir, plans, edits the version literals and re-renders in
// memory, and only when all of that succeeded writes the edited files and
// the output. It returns the per-environment changes of the built output.
func apply(ctx context.Context, envDir, outDir string, plan Plan) (Proposal, []diff.Change, error) {
	display := repo.DisplayPath(envDir)
	res, err := load.Load(os.DirFS(envDir), display)
	if err != nil {
		return Proposal{}, nil, err
	}
	prop, err := plan(res.Environments)
	if err != nil || len(prop.Targets) == 0 {
		return prop, nil, err
	}
	if prop.Topic == "" {
		prop.Topic = Topic(prop.Targets)
	}
	if prop.Title == "" {
		prop.Title = Title(prop.Targets)
	}
	// Environments may name files in the output they do not own (a SOPS
	// credentials file): renders check them and builds include them.
	output, outName := os.DirFS(outDir), repo.DisplayPath(outDir)
	opts := generator.Options{Output: output, OutputName: outName}
	before, err := generator.Render(ctx, res, opts)
	if err != nil {
		return prop, nil, err
	}
	user, err := generator.UserFiles(res.Environments, output, outName)
	if err != nil {
		return prop, nil, err
	}
	edited, err := edit(envDir, display, prop.Targets)
	if err != nil {
		return prop, nil, err
	}
	resAfter, err := load.Load(overlay{os.DirFS(envDir), edited}, display)
	if err != nil {
		return prop, nil, err
	}
	after, err := generator.Render(ctx, resAfter, opts)
	if err != nil {
		return prop, nil, err
	}
	changes, err := compare(ctx, generator.WithUserFiles(before, user), generator.WithUserFiles(after, user))
	if err != nil {
		return prop, nil, err
	}
	if err := writeEdited(envDir, edited); err != nil {
		return prop, nil, err
	}
	if _, err := repo.Write(outDir, after, repo.Options{}); err != nil {
		return prop, nil, err
	}
	return prop, changes, nil
}

// compare builds both trees and keeps the environments that change.
func compare(ctx context.Context, before, after files.Set) ([]diff.Change, error) {
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

// overlay is an environments directory with some files' contents replaced
// (by name at its root), to validate an edit before writing it.
type overlay struct {
	fs.FS
	edited map[string][]byte
}

func (o overlay) ReadFile(name string) ([]byte, error) {
	if b, ok := o.edited[name]; ok {
		return b, nil
	}
	return fs.ReadFile(o.FS, name)
}

func (o overlay) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(o.FS, name) }

// edit returns the new contents (by file name) of the files of envDir
// that set each target's version; it writes nothing.
func edit(envDir, display string, targets []Target) (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(envDir, "*.cue"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	changed := map[string][]byte{}
	for _, t := range targets {
		hits := 0
		for _, p := range paths {
			name := filepath.Base(p)
			src, ok := changed[name]
			if !ok {
				if src, err = os.ReadFile(p); err != nil {
					return nil, err
				}
			}
			out, set, err := SetVersion(display+"/"+name, src, t.Env, t.To)
			if err != nil {
				return nil, err
			}
			if set {
				hits++
				changed[name] = out
			}
		}
		if hits == 0 {
			return nil, fmt.Errorf("%s: no file sets environments.%s.version directly (it may come from a template): write version: %q inside environments: %s so cht-gen bump can change it", display, t.Env, t.From, t.Env)
		}
		if hits > 1 {
			return nil, fmt.Errorf("%s: environments.%s.version is set in %d files: keep one", display, t.Env, hits)
		}
	}
	return changed, nil
}

// writeEdited replaces each edited file through a temporary file and a
// rename, keeping its mode.
func writeEdited(envDir string, edited map[string][]byte) error {
	for _, name := range slices.Sorted(maps.Keys(edited)) {
		p := filepath.Join(envDir, name)
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		tmp := p + ".cht-gen-tmp"
		if err := os.WriteFile(tmp, edited[name], info.Mode().Perm()); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	return nil
}

// Topic is the default branch topic of a bump of targets.
func Topic(targets []Target) string {
	var parts []string
	for _, t := range targets {
		parts = append(parts, t.Env+"-"+t.To)
	}
	return "bump-" + strings.Join(parts, "-")
}

// BranchName is the branch a proposal against base commits on: bumps of
// the same environments against two base branches never share one.
func BranchName(base, topic string) string {
	return "cht-gen/" + base + "/" + topic
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

// Body is the pull request body: what moves (from the version on the base
// branch), the release notes, what the built output changes, Medic's
// 4 -> 5 checklist when a target crosses to 5.x, and the checklist before
// merging.
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
		if t.Suspended != "" {
			fmt.Fprintf(&b, "  - ⚠ %s: merging changes Git only.\n", t.Suspended)
		}
	}
	b.WriteString("\n### What changes (`cht-gen diff`)\n\n```\n")
	for _, c := range changes {
		fmt.Fprintf(&b, "%s: %s\n", c.Name, c.Summary)
	}
	b.WriteString("```\n\n")
	b.WriteString(majorChecklist(targets))
	b.WriteString("### Before merging\n\n")
	b.WriteString("- [ ] CouchDB data backed up (volume snapshot or replication) and restore tested\n")
	b.WriteString("- [ ] This version ran on staging / UAT first\n")
	b.WriteString("- [ ] Release notes read: breaking changes, required app changes, upgrade notes\n")
	b.WriteString("- [ ] Window agreed with users: CHT restarts and rebuilds views after the upgrade\n")
	b.WriteString("\n<sub>Opened by `cht-gen bump`; running it again updates this pull request. If you close it, later runs leave this change alone unless given `--reopen`.</sub>\n")
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

// remoteTarget is where a --push goes: the remote, its GitHub repository
// and the base branch.
type remoteTarget struct {
	url            string
	auth           transport.AuthMethod
	owner, name    string
	base           string
	envRel, outRel string // the environments and output folders in the work tree
}

// resolve finds the remote, asks GitHub whether the token may open pull
// requests there (before anything reaches the remote: a branch pushed for a
// pull request GitHub then refuses would be left behind) and the base.
func (o *Options) resolve(ctx context.Context) (*remoteTarget, error) {
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
	rt := &remoteTarget{url: remote.Config().URLs[0], envRel: envRel, outRel: outRel}
	rt.auth = o.auth(rt.url)
	if rt.owner, rt.name, err = ownerRepo(o.Repo, rt.url); err != nil {
		return nil, err
	}
	if err := o.GitHub.CheckAccess(ctx, rt.owner, rt.name); err != nil {
		return nil, err
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: rt.auth})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", o.Remote, o.redact(err))
	}
	if rt.base = o.Base; rt.base == "" {
		rt.base = defaultBranch(refs)
	}
	return rt, nil
}

func push(ctx context.Context, plan Plan, o Options) (*Result, error) {
	if o.GitHub == nil {
		return nil, errors.New("--push needs a GitHub client")
	}
	if o.Remote == "" {
		o.Remote = "origin"
	}
	rt, err := o.resolve(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "cht-gen-bump-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	o.log("cloning %s (%s) into a temporary work tree", o.Remote, rt.base)
	clone, err := git.PlainCloneContext(ctx, tmp, false, &git.CloneOptions{
		// All branches: an earlier run's bump branch is compared, not re-pushed.
		URL: rt.url, Auth: rt.auth, ReferenceName: plumbing.NewBranchReferenceName(rt.base),
	})
	if err != nil {
		return nil, fmt.Errorf("clone %s branch %s: %w", o.Remote, rt.base, o.redact(err))
	}
	prop, changes, err := apply(ctx, filepath.Join(tmp, filepath.FromSlash(rt.envRel)), filepath.Join(tmp, filepath.FromSlash(rt.outRel)), plan)
	if err != nil {
		return nil, err
	}
	res := &Result{Proposal: prop, Changes: changes, Base: rt.base}
	if len(prop.Targets) == 0 {
		return res, nil
	}
	res.Branch = BranchName(rt.base, prop.Topic)
	cwt, err := clone.Worktree()
	if err != nil {
		return nil, err
	}
	if err := cwt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return nil, err
	}
	if status, err := cwt.Status(); err != nil || status.IsClean() {
		return res, err // clean: base already has these versions
	}
	if !o.Reopen {
		if res.Skipped, err = o.GitHub.LastClosed(ctx, rt.owner, rt.name, res.Branch, rt.base); err != nil || res.Skipped != nil {
			return res, err
		}
	}
	commit, err := commitOnBranch(clone, cwt, res.Branch, prop, changes, o)
	if err != nil {
		return nil, err
	}
	return res, o.publish(ctx, clone, rt, commit, res)
}

// publish pushes res.Branch unless the remote already has its tree, then
// opens or updates the pull request.
func (o *Options) publish(ctx context.Context, clone *git.Repository, rt *remoteTarget, commit plumbing.Hash, res *Result) error {
	same, err := sameTreeOnRemote(clone, res.Branch, commit)
	if err != nil {
		return err
	}
	if same {
		o.log("%s on %s already holds this change", res.Branch, o.Remote)
	} else {
		o.log("pushing %s", res.Branch)
		spec := config.RefSpec("+refs/heads/" + res.Branch + ":refs/heads/" + res.Branch)
		err := clone.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: rt.auth})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return fmt.Errorf("push %s: %w", res.Branch, o.redact(err))
		}
		res.Pushed = true
	}
	res.PR, err = o.GitHub.UpsertPullRequest(ctx, github.PullRequest{
		Owner: rt.owner, Repo: rt.name, Head: res.Branch, Base: rt.base,
		Title: res.Proposal.Title, Body: Body(res.Proposal.Intro, res.Proposal.Targets, res.Changes), Labels: o.Labels,
	})
	return err
}

// commitOnBranch creates branch at the clone's HEAD, makes it HEAD and
// commits the staged change on it.
func commitOnBranch(clone *git.Repository, cwt *git.Worktree, branch string, prop Proposal, changes []diff.Change, o Options) (plumbing.Hash, error) {
	head, err := clone.Head()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ref := plumbing.NewBranchReferenceName(branch)
	if err := clone.Storer.SetReference(plumbing.NewHashReference(ref, head.Hash())); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := clone.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref)); err != nil {
		return plumbing.ZeroHash, err
	}
	msg := prop.Title + "\n\n"
	for _, c := range changes {
		msg += fmt.Sprintf("%s: %s\n", c.Name, c.Summary)
	}
	sig := &object.Signature{Name: o.AuthorName, Email: o.AuthorEmail, When: time.Now()}
	return cwt.Commit(msg, &git.CommitOptions{Author: sig})
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
