package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// PullRequest is what a bump asks for.
type PullRequest struct {
	Owner, Repo string
	Head, Base  string // branch names in Owner/Repo
	Title, Body string
	Labels      []string
}

// Upserted is the pull request after UpsertPullRequest.
type Upserted struct {
	Number  int
	URL     string
	Created bool
}

// Closed is a pull request a reviewer closed without merging.
type Closed struct {
	Number   int
	URL      string
	ClosedAt time.Time
}

// CheckAccess asks GitHub, before anything is pushed, whether the token
// may open pull requests on owner/repo: a missing token, a refused one or
// a repository the token cannot see or write fails here, with what to fix,
// instead of after a branch was left on the remote.
func (c *Client) CheckAccess(ctx context.Context, owner, repo string) error {
	if c.token == "" {
		return fmt.Errorf("GITHUB_TOKEN is unset: --push opens the pull request through the GitHub API, which needs a token with contents and pull-requests write access on %s/%s", owner, repo)
	}
	r, _, err := c.gh.Repositories.Get(ctx, owner, repo)
	var ge *gh.ErrorResponse
	if errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode == http.StatusNotFound {
		return fmt.Errorf("check access to %s/%s: GitHub has no such repository, or GITHUB_TOKEN cannot see it (404): check --repo or the remote URL, and the token's repository access", owner, repo)
	}
	if err != nil {
		return c.explain(fmt.Sprintf("check access to %s/%s", owner, repo), err)
	}
	if r.GetArchived() {
		return fmt.Errorf("%s/%s is archived on GitHub: it takes no pushes or pull requests", owner, repo)
	}
	// Tokens of users report their permissions; GitHub App installation
	// tokens (Actions' GITHUB_TOKEN) do not, and are checked by the push.
	if p := r.Permissions; p != nil && !p["push"] {
		return fmt.Errorf("GITHUB_TOKEN can read %s/%s but not push to it: it needs contents and pull-requests write access", owner, repo)
	}
	return nil
}

// LastClosed returns the newest pull request from head into base that was
// closed without being merged, when no pull request for them is open: a
// reviewer's "no" that the next scheduled bump must not overrule.
func (c *Client) LastClosed(ctx context.Context, owner, repo, head, base string) (*Closed, error) {
	prs, _, err := c.gh.PullRequests.List(ctx, owner, repo, &gh.PullRequestListOptions{
		Head: owner + ":" + head, Base: base, State: "all", Sort: "created", Direction: "desc",
		ListOptions: gh.ListOptions{PerPage: 100},
	})
	if err != nil {
		return nil, c.explain("find pull requests for "+head, err)
	}
	for _, pr := range prs {
		if pr.GetState() == "open" {
			return nil, nil
		}
	}
	for _, pr := range prs {
		if pr.MergedAt == nil {
			return &Closed{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), ClosedAt: pr.GetClosedAt().Time}, nil
		}
	}
	return nil, nil
}

// UpsertPullRequest opens the pull request, or, when one is already open
// for the same head branch, updates its title and body: re-running a bump
// never opens a second one.
func (c *Client) UpsertPullRequest(ctx context.Context, p PullRequest) (*Upserted, error) {
	open, _, err := c.gh.PullRequests.List(ctx, p.Owner, p.Repo, &gh.PullRequestListOptions{
		Head: p.Owner + ":" + p.Head, Base: p.Base, State: "open",
	})
	if err != nil {
		return nil, c.explain("find the open pull request for "+p.Head, err)
	}
	var pr *gh.PullRequest
	created := len(open) == 0
	if created {
		pr, _, err = c.gh.PullRequests.Create(ctx, p.Owner, p.Repo, &gh.NewPullRequest{
			Title: gh.String(p.Title), Head: gh.String(p.Head), Base: gh.String(p.Base), Body: gh.String(p.Body),
			MaintainerCanModify: gh.Bool(true),
		})
		if alreadyExists(err) {
			// A retry after GitHub opened it but its answer was lost
			// (a 502, a timeout): look it up, do not fail on it.
			open, _, err = c.gh.PullRequests.List(ctx, p.Owner, p.Repo, &gh.PullRequestListOptions{
				Head: p.Owner + ":" + p.Head, Base: p.Base, State: "open",
			})
			if err == nil && len(open) == 0 {
				err = fmt.Errorf("GitHub says a pull request for %s exists but lists no open one", p.Head)
			}
			if err == nil {
				pr = open[0]
			}
		}
		if err != nil {
			return nil, c.explain("open pull request", err)
		}
	} else {
		pr, _, err = c.gh.PullRequests.Edit(ctx, p.Owner, p.Repo, open[0].GetNumber(), &gh.PullRequest{
			Title: gh.String(p.Title), Body: gh.String(p.Body),
		})
		if err != nil {
			return nil, c.explain("update pull request", err)
		}
	}
	if len(p.Labels) > 0 {
		if _, _, err := c.gh.Issues.AddLabelsToIssue(ctx, p.Owner, p.Repo, pr.GetNumber(), p.Labels); err != nil {
			return nil, c.explain("label pull request", err)
		}
	}
	return &Upserted{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Created: created}, nil
}

// alreadyExists is GitHub's 422 for a second pull request from one head
// into one base.
func alreadyExists(err error) bool {
	var ge *gh.ErrorResponse
	if !errors.As(err, &ge) || ge.Response == nil || ge.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range ge.Errors {
		if strings.Contains(e.Message, "already exists") {
			return true
		}
	}
	return false
}
