package bump

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cht-gen/cht-gen/generator/diff"
	"github.com/cht-gen/cht-gen/generator/files"
)

// Git is what a bump needs of the user's repository and its remote.
// cmd/gen wires generator/repo in; tests use a fake, so that the policy
// of a push (what is committed, when nothing is pushed, what the pull
// request says) is tested without a Git server.
type Git interface {
	// Display names dir in messages (relative to its work tree).
	Display(dir string) string
	// CheckOutput reports what would stop WriteOutput (a user's file at a
	// rendered path, a link out of dir), writing nothing.
	CheckOutput(dir string, set files.Set) error
	// WriteOutput writes a rendered set under dir, as render does.
	WriteOutput(dir string, set files.Set) error
	// Remote finds the remote called name of the work tree holding envDir
	// and outDir, and where both are in it.
	Remote(envDir, outDir, name string) (Remote, error)
	// DefaultBranch is the remote's HEAD branch.
	DefaultBranch(ctx context.Context, r Remote) (string, error)
	// Clone clones branch base of r into dir.
	Clone(ctx context.Context, r Remote, base, dir string) (Clone, error)
}

// Remote is a Git remote and where the environments and output folders
// are in its tree.
type Remote struct {
	Name, URL      string
	EnvRel, OutRel string // slash paths from the work tree's root
}

// Clone is a temporary clone one change is committed in.
type Clone interface {
	// Stage stages all changes of the work tree; changed is false when
	// there are none.
	Stage() (changed bool, err error)
	// CommitOnBranch commits the staged change on a new branch at HEAD.
	CommitOnBranch(branch, message, authorName, authorEmail string) error
	// RemoteHasTree reports whether the remote's branch already has the
	// tree of HEAD.
	RemoteHasTree(branch string) (bool, error)
	// Push force-pushes branch.
	Push(ctx context.Context, branch string) error
	// BranchCommits are the commits of the remote's branch (as cloned)
	// that its base branch lacks, newest first; none when it has no such
	// branch.
	BranchCommits(branch, base string) ([]Commit, error)
}

// Commit is a commit on a proposal's branch.
type Commit struct {
	Hash, Author, Message string
	Merge                 bool // two or more parents (GitHub's "Update branch")
}

// Trailer ends the message of every commit cht-gen makes: commits on a
// proposal's branch without it are someone else's, which a force-push
// would throw away.
const Trailer = "Generated-by: cht-gen"

// GitHub is what a bump needs of the host of pull requests.
type GitHub interface {
	// CheckAccess fails unless pull requests may be opened on owner/repo.
	CheckAccess(ctx context.Context, owner, repo string) error
	// LastClosed is the newest pull request from head into base that a
	// reviewer closed without merging, or nil.
	LastClosed(ctx context.Context, owner, repo, head, base string) (*PullRequest, error)
	// Upsert opens the pull request of r.Head, or updates the open one.
	Upsert(ctx context.Context, r Request) (*PullRequest, error)
}

// Request is a pull request to open or update.
type Request struct {
	Owner, Repo string
	Head, Base  string // branch names in Owner/Repo
	Title, Body string
	Labels      []string
}

// PullRequest is a pull request on the host.
type PullRequest struct {
	Number  int
	URL     string
	Created bool // Upsert opened it (rather than updated an open one)
}

// pushTarget is where a --push goes: the remote, its GitHub repository
// and the base branch.
type pushTarget struct {
	remote      Remote
	owner, name string
	base        string
}

// resolve finds the remote, asks GitHub whether the token may open pull
// requests there (before anything reaches the remote: a branch pushed for a
// pull request GitHub then refuses would be left behind) and the base.
func (b *Bumper) resolve(ctx context.Context, o Options) (*pushTarget, error) {
	remote, err := b.git.Remote(o.EnvDir, o.OutDir, o.Remote)
	if err != nil {
		return nil, err
	}
	pt := &pushTarget{remote: remote}
	if pt.owner, pt.name, err = ownerRepo(o.Repo, remote.URL); err != nil {
		return nil, err
	}
	if err := b.github.CheckAccess(ctx, pt.owner, pt.name); err != nil {
		return nil, err
	}
	if pt.base = o.Base; pt.base == "" {
		if pt.base, err = b.git.DefaultBranch(ctx, remote); err != nil {
			return nil, err
		}
	}
	return pt, nil
}

// push applies the bump in a temporary clone of the base branch, commits
// it on the proposal's branch, pushes and opens or updates the pull
// request.
func (b *Bumper) push(ctx context.Context, plan Plan, o Options) (*Result, error) {
	if b.github == nil {
		return nil, errors.New("--push needs a GitHub client")
	}
	if o.Remote == "" {
		o.Remote = "origin"
	}
	pt, err := b.resolve(ctx, o)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "cht-gen-bump-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	o.log("cloning %s (%s) into a temporary work tree", o.Remote, pt.base)
	clone, err := b.git.Clone(ctx, pt.remote, pt.base, tmp)
	if err != nil {
		return nil, fmt.Errorf("clone %s branch %s: %w", o.Remote, pt.base, err)
	}
	envDir, outDir := filepath.Join(tmp, filepath.FromSlash(pt.remote.EnvRel)), filepath.Join(tmp, filepath.FromSlash(pt.remote.OutRel))
	if _, err := os.Stat(envDir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not on %s's branch %s: --push works on that branch, not on your checkout; commit and push %s (or pass --base) first", pt.remote.EnvRel, o.Remote, pt.base, pt.remote.EnvRel)
	}
	prop, changes, _, err := b.apply(ctx, envDir, outDir, plan)
	if err != nil {
		return nil, err
	}
	res := &Result{Proposal: prop, Changes: changes, Base: pt.base}
	if len(prop.Targets) == 0 {
		return res, nil
	}
	res.Branch = BranchName(pt.base, prop.Topic)
	if done, err := b.commit(ctx, clone, pt, res, o); done || err != nil {
		return res, err
	}
	return res, b.publish(ctx, clone, pt, res, o)
}

// commit commits the change on res.Branch. done is true when there is
// nothing to propose: the base already has these versions, or a reviewer
// closed the pull request proposing them and o does not reopen it.
func (b *Bumper) commit(ctx context.Context, clone Clone, pt *pushTarget, res *Result, o Options) (done bool, err error) {
	changed, err := clone.Stage()
	if err != nil || !changed {
		return true, err
	}
	if !o.Reopen {
		if res.Skipped, err = b.github.LastClosed(ctx, pt.owner, pt.name, res.Branch, pt.base); err != nil || res.Skipped != nil {
			return true, err
		}
	}
	return false, clone.CommitOnBranch(res.Branch, CommitMessage(res.Proposal, res.Changes), o.AuthorName, o.AuthorEmail)
}

// publish pushes res.Branch unless the remote already has its tree, then
// opens or updates the pull request.
func (b *Bumper) publish(ctx context.Context, clone Clone, pt *pushTarget, res *Result, o Options) error {
	same, err := clone.RemoteHasTree(res.Branch)
	if err != nil {
		return err
	}
	if same {
		o.log("%s on %s already holds this change", res.Branch, o.Remote)
	} else {
		if err := checkOwned(clone, res.Branch, pt.base, o.Remote); err != nil {
			return err
		}
		o.log("pushing %s", res.Branch)
		if err := clone.Push(ctx, res.Branch); err != nil {
			return err
		}
		res.Pushed = true
	}
	res.PR, err = b.github.Upsert(ctx, Request{
		Owner: pt.owner, Repo: pt.name, Head: res.Branch, Base: pt.base,
		Title: res.Proposal.Title, Body: Body(res.Proposal.Intro, res.Proposal.Targets, res.Changes), Labels: o.Labels,
	})
	if err != nil {
		// The branch is on the remote: say so, and that a re-run (which
		// finds it and pushes nothing) opens the pull request.
		return fmt.Errorf("%s is on %s but its pull request was not opened or updated: %w; run the same command again once GitHub answers", res.Branch, o.Remote, err)
	}
	return nil
}

// checkOwned refuses to force-push over commits on branch that cht-gen
// did not make (a reviewer's fix pushed to the pull request): re-running
// a bump must not silently drop them.
func checkOwned(clone Clone, branch, base, remote string) error {
	commits, err := clone.BranchCommits(branch, base)
	if err != nil {
		return err
	}
	var theirs []string
	for _, c := range commits {
		if !c.Merge && !hasTrailer(c.Message) {
			subject, _, _ := strings.Cut(c.Message, "\n")
			theirs = append(theirs, fmt.Sprintf("%.12s %q by %s", c.Hash, subject, c.Author))
		}
	}
	if len(theirs) == 0 {
		return nil
	}
	return fmt.Errorf("%s on %s has commits cht-gen did not make (%s): pushing would replace them, so nothing was pushed; merge or close its pull request (or delete the branch once they are safe elsewhere), then run again",
		branch, remote, strings.Join(theirs, "; "))
}

func hasTrailer(message string) bool {
	for _, l := range strings.Split(message, "\n") {
		if strings.TrimSpace(l) == Trailer {
			return true
		}
	}
	return false
}

// CommitMessage is the title, then one line per environment changed, then
// the Trailer.
func CommitMessage(prop Proposal, changes []diff.Change) string {
	msg := prop.Title + "\n\n"
	for _, c := range changes {
		msg += fmt.Sprintf("%s: %s\n", c.Name, c.Summary)
	}
	return msg + "\n" + Trailer + "\n"
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
