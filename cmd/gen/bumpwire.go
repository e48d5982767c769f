package main

import (
	"context"
	"os"

	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/github"
	"github.com/cht-gen/cht-gen/generator/repo"
)

// newBumper wires bump to the user's Git repository (generator/repo) and,
// when a pull request is to be opened, to GitHub.
func newBumper(gh *github.Client) *bump.Bumper {
	g := bumpGit{remote: repo.Remote{Token: os.Getenv("GITHUB_TOKEN")}}
	if gh == nil {
		return bump.New(g, nil)
	}
	return bump.New(g, bumpGitHub{gh})
}

// bumpGit is bump.Git on generator/repo.
type bumpGit struct{ remote repo.Remote }

func (bumpGit) Display(dir string) string { return repo.DisplayPath(dir) }

func (bumpGit) CheckOutput(dir string, set files.Set) error {
	_, err := repo.Diff(dir, set)
	return err
}

func (bumpGit) WriteOutput(dir string, set files.Set) error {
	_, err := repo.Write(dir, set, repo.Options{})
	return err
}

func (g bumpGit) Remote(envDir, outDir, name string) (bump.Remote, error) {
	r, err := g.remote.Find(envDir, outDir, name)
	return bump.Remote(r), err
}

func (g bumpGit) DefaultBranch(ctx context.Context, r bump.Remote) (string, error) {
	return g.remote.DefaultBranch(ctx, repo.RemoteInfo(r))
}

func (g bumpGit) Clone(ctx context.Context, r bump.Remote, base, dir string) (bump.Clone, error) {
	c, err := g.remote.Clone(ctx, r.URL, base, dir)
	if err != nil {
		return nil, err
	}
	return bumpClone{c}, nil
}

// bumpClone is bump.Clone on repo.Clone.
type bumpClone struct{ *repo.Clone }

func (c bumpClone) BranchCommits(branch, base string) ([]bump.Commit, error) {
	commits, err := c.Clone.BranchCommits(branch, base)
	out := make([]bump.Commit, len(commits))
	for i, cm := range commits {
		out[i] = bump.Commit(cm)
	}
	return out, err
}

// bumpGitHub is bump.GitHub on generator/github.
type bumpGitHub struct{ c *github.Client }

func (h bumpGitHub) CheckAccess(ctx context.Context, owner, name string) error {
	return h.c.CheckAccess(ctx, owner, name)
}

func (h bumpGitHub) LastClosed(ctx context.Context, owner, name, head, base string) (*bump.PullRequest, error) {
	pr, err := h.c.LastClosed(ctx, owner, name, head, base)
	if pr == nil || err != nil {
		return nil, err
	}
	return &bump.PullRequest{Number: pr.Number, URL: pr.URL}, nil
}

func (h bumpGitHub) Upsert(ctx context.Context, r bump.Request) (*bump.PullRequest, error) {
	pr, err := h.c.UpsertPullRequest(ctx, github.PullRequest(r))
	if pr == nil || err != nil {
		return nil, err
	}
	return &bump.PullRequest{Number: pr.Number, URL: pr.URL, Created: pr.Created}, nil
}
