package repo

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/cht-gen/cht-gen/internal/redact"
)

// Remote is a Git remote that changes are proposed on: cht-gen bump --push
// clones its base branch, commits on a branch and pushes it. Token, when
// set, authenticates HTTPS remotes and is masked in every error.
type Remote struct {
	Token string
}

// RemoteInfo is the remote of a work tree and where the environments and
// output folders are in it.
type RemoteInfo struct {
	Name, URL      string
	EnvRel, OutRel string // slash paths relative to the work tree's root
}

// Find returns the remote called name of the work tree holding envDir and
// outDir (both must be in the same one).
func (g Remote) Find(envDir, outDir, name string) (RemoteInfo, error) {
	user, root, envRel, err := OpenWorkTree(envDir)
	if err != nil {
		return RemoteInfo{}, fmt.Errorf("--push: %w", err)
	}
	_, outRoot, outRel, err := OpenWorkTree(outDir)
	if err != nil || outRoot != root {
		return RemoteInfo{}, fmt.Errorf("--push: %s is outside the Git work tree %s", outDir, root)
	}
	remote, err := user.Remote(name)
	if err != nil {
		return RemoteInfo{}, fmt.Errorf("--push: remote %q: %w (add it with git remote add %s URL, or name another with --remote)", name, err, name)
	}
	return RemoteInfo{Name: name, URL: remote.Config().URLs[0], EnvRel: envRel, OutRel: outRel}, nil
}

// DefaultBranch lists the remote for its HEAD branch; main when it has
// none.
func (g Remote) DefaultBranch(ctx context.Context, r RemoteInfo) (string, error) {
	installFileProtocol()
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: r.Name, URLs: []string{r.URL}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: g.auth(r.URL)})
	if err != nil {
		return "", fmt.Errorf("list %s: %w", r.Name, g.explain(err))
	}
	return defaultBranch(refs), nil
}

// Clone clones branch base of url into dir, fetching all branches so that
// an earlier run's branch is compared, not pushed again.
func (g Remote) Clone(ctx context.Context, url, base, dir string) (*Clone, error) {
	installFileProtocol()
	r, err := git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{
		URL: url, Auth: g.auth(url), ReferenceName: plumbing.NewBranchReferenceName(base),
	})
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, fmt.Errorf("the remote has no branch %q: name an existing one with --base", base)
	}
	if err != nil {
		return nil, g.explain(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, err
	}
	return &Clone{repo: r, wt: wt, remote: g, url: url}, nil
}

// explain masks credentials (the token, any in the remote's URL) in a
// remote's error and says what an SSH remote without an agent needs.
func (g Remote) explain(err error) error {
	switch {
	case strings.Contains(err.Error(), "SSH_AUTH_SOCK"):
		err = fmt.Errorf("%w: an SSH remote needs ssh-agent running with the key loaded (SSH_AUTH_SOCK); or use an HTTPS remote, which GITHUB_TOKEN authenticates", err)
	case errors.Is(err, transport.ErrAuthenticationRequired) && g.Token == "":
		err = fmt.Errorf("%w (the remote wants credentials: set GITHUB_TOKEN)", err)
	case errors.Is(err, transport.ErrAuthenticationRequired):
		err = fmt.Errorf("%w (the remote refused GITHUB_TOKEN: is it valid, and for this host?)", err)
	case errors.Is(err, transport.ErrAuthorizationFailed):
		err = fmt.Errorf("%w (the token may not push here: it needs contents write access; in GitHub Actions, permissions: contents: write)", err)
	}
	return redact.Error(err, g.Token)
}

func (g Remote) auth(url string) transport.AuthMethod {
	if g.Token != "" && strings.HasPrefix(url, "https://") {
		return &githttp.BasicAuth{Username: "x-access-token", Password: g.Token}
	}
	return nil
}

var fileProtocol sync.Once

// installFileProtocol serves local remotes (a path or file://) in pure Go
// instead of running git-upload-pack. go-git keeps transports in a global
// table, so this happens once, when a clone is first asked for, and not
// as a side effect of importing a package.
func installFileProtocol() {
	fileProtocol.Do(func() { client.InstallProtocol("file", server.DefaultServer) })
}

// Clone is a temporary clone that one change is committed in.
type Clone struct {
	repo   *git.Repository
	wt     *git.Worktree
	remote Remote
	url    string
}

// Stage stages every change of the work tree, except cht-gen's unshared
// files (the lock, temporary files), and reports whether there is any.
func (c *Clone) Stage() (changed bool, err error) {
	// Excludes applies to both Add and Status: an untracked lock is
	// neither staged nor a change.
	c.wt.Excludes = nil
	for _, p := range unshared {
		c.wt.Excludes = append(c.wt.Excludes, gitignore.ParsePattern(p, nil))
	}
	if err := c.wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return false, err
	}
	status, err := c.wt.Status()
	if err != nil {
		return false, err
	}
	return !status.IsClean(), nil
}

// CommitOnBranch creates branch at HEAD, makes it HEAD and commits the
// staged change on it.
func (c *Clone) CommitOnBranch(branch, message, authorName, authorEmail string) error {
	head, err := c.repo.Head()
	if err != nil {
		return err
	}
	ref := plumbing.NewBranchReferenceName(branch)
	if err := c.repo.Storer.SetReference(plumbing.NewHashReference(ref, head.Hash())); err != nil {
		return err
	}
	if err := c.repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref)); err != nil {
		return err
	}
	sig := &object.Signature{Name: authorName, Email: authorEmail, When: time.Now()}
	_, err = c.wt.Commit(message, &git.CommitOptions{Author: sig})
	return err
}

// RemoteHasTree reports whether the remote's branch (as fetched by the
// clone) already has HEAD's tree.
func (c *Clone) RemoteHasTree(branch string) (bool, error) {
	head, err := c.repo.Head()
	if err != nil {
		return false, err
	}
	return c.sameTreeOnRemote(branch, head.Hash())
}

// Push force-pushes branch (it is cht-gen's).
func (c *Clone) Push(ctx context.Context, branch string) error {
	spec := config.RefSpec("+refs/heads/" + branch + ":refs/heads/" + branch)
	// The remote says why it refuses a push (a protected branch, a
	// repository rule, a hook) on the progress channel only.
	var said remoteSaid
	err := c.repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: c.remote.auth(c.url), Progress: &said})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		if why := said.String(); why != "" {
			err = fmt.Errorf("%w (the remote said: %s)", err, why)
		}
		return fmt.Errorf("push %s: %w", branch, c.remote.explain(err))
	}
	return nil
}

// remoteSaid keeps what a remote printed during a push (at most 4 KiB),
// without the progress meters.
type remoteSaid struct{ b []byte }

func (r *remoteSaid) Write(p []byte) (int, error) {
	if room := 4096 - len(r.b); room > 0 {
		r.b = append(r.b, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

// String is the remote's message lines joined, meters and blanks left out.
func (r *remoteSaid) String() string {
	var lines []string
	for _, l := range strings.FieldsFunc(string(r.b), func(c rune) bool { return c == '\n' || c == '\r' }) {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "remote:"))
		if l == "" || strings.Contains(l, "%") && (strings.HasPrefix(l, "Resolving") || strings.HasPrefix(l, "Counting") || strings.HasPrefix(l, "Compressing") || strings.HasPrefix(l, "Writing") || strings.HasPrefix(l, "Total")) {
			continue
		}
		lines = append(lines, strings.Map(printable, ansiEscape.ReplaceAllString(l, "")))
	}
	return strings.Join(lines, "; ")
}

// ansiEscape is a terminal colour or cursor sequence.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// printable drops control characters (a remote's colours) from messages.
func printable(r rune) rune {
	if r < ' ' || r == 0x7f {
		return -1
	}
	return r
}

// Commit is a commit on a branch cht-gen proposes a change on.
type Commit struct {
	Hash, Author, Message string
	Merge                 bool // two or more parents
}

// BranchCommits lists the commits of the remote's branch (as fetched by
// the clone) that the remote's base branch lacks, newest first; none when
// the remote has no such branch.
func (c *Clone) BranchCommits(branch, base string) ([]Commit, error) {
	tip, err := c.repo.Reference(plumbing.NewRemoteReferenceName("origin", branch), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	baseRef, err := c.repo.Reference(plumbing.NewRemoteReferenceName("origin", base), true)
	if err != nil {
		return nil, fmt.Errorf("base branch %s in the clone: %w", base, err)
	}
	onBase := map[plumbing.Hash]bool{}
	baseLog, err := c.repo.Log(&git.LogOptions{From: baseRef.Hash()})
	if err != nil {
		return nil, err
	}
	if err := baseLog.ForEach(func(cm *object.Commit) error { onBase[cm.Hash] = true; return nil }); err != nil {
		return nil, err
	}
	first, err := c.repo.CommitObject(tip.Hash())
	if err != nil {
		return nil, err
	}
	var out []Commit
	err = object.NewCommitPreorderIter(first, onBase, nil).ForEach(func(cm *object.Commit) error {
		out = append(out, Commit{Hash: cm.Hash.String(), Author: cm.Author.Name + " <" + cm.Author.Email + ">", Message: cm.Message, Merge: cm.NumParents() > 1})
		return nil
	})
	return out, err
}

// sameTreeOnRemote reports whether the remote branch (fetched by the
// clone) already has commit's tree.
func (c *Clone) sameTreeOnRemote(branch string, commit plumbing.Hash) (bool, error) {
	ref, err := c.repo.Reference(plumbing.NewRemoteReferenceName("origin", branch), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	theirs, err := c.repo.CommitObject(ref.Hash())
	if err != nil {
		return false, err
	}
	ours, err := c.repo.CommitObject(commit)
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
