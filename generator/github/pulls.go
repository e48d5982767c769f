package github

import (
	"context"

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
	created := false
	if len(open) > 0 {
		pr, _, err = c.gh.PullRequests.Edit(ctx, p.Owner, p.Repo, open[0].GetNumber(), &gh.PullRequest{
			Title: gh.String(p.Title), Body: gh.String(p.Body),
		})
		if err != nil {
			return nil, c.explain("update pull request", err)
		}
	} else {
		pr, _, err = c.gh.PullRequests.Create(ctx, p.Owner, p.Repo, &gh.NewPullRequest{
			Title: gh.String(p.Title), Head: gh.String(p.Head), Base: gh.String(p.Base), Body: gh.String(p.Body),
			MaintainerCanModify: gh.Bool(true),
		})
		if err != nil {
			return nil, c.explain("open pull request", err)
		}
		created = true
	}
	if len(p.Labels) > 0 {
		if _, _, err := c.gh.Issues.AddLabelsToIssue(ctx, p.Owner, p.Repo, pr.GetNumber(), p.Labels); err != nil {
			return nil, c.explain("label pull request", err)
		}
	}
	return &Upserted{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Created: created}, nil
}
