package github

import (
	"context"
	"sort"

	gh "github.com/google/go-github/v60/github"

	"github.com/cht-gen/cht-gen/generator/model"
)

// CHT Core's repository.
const (
	CoreOwner = model.CoreOwner
	CoreRepo  = model.CoreRepo
)

// Release is one CHT Core release of a line cht-gen renders (4.x, 5.x).
type Release = model.Release

// Releases lists CHT Core 5.x and 4.x releases, newest first. Drafts, tags
// that are not 4.x or 5.x versions and (unless beta) pre-releases are left
// out; a release is a pre-release when GitHub marks it so, whatever its tag.
func (c *Client) Releases(ctx context.Context, beta bool) ([]Release, error) {
	var out []Release
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.gh.Repositories.ListReleases(ctx, CoreOwner, CoreRepo, opts)
		if err != nil {
			return nil, c.explain("list CHT Core releases", err)
		}
		for _, r := range page {
			if r.GetDraft() {
				continue
			}
			v, err := model.ParseVersion(r.GetTagName())
			if err != nil {
				continue
			}
			pre := r.GetPrerelease() || v.Prerelease() != ""
			if pre && !beta {
				continue
			}
			out = append(out, Release{Version: v.String(), Tag: r.GetTagName(), Prerelease: pre, URL: r.GetHTMLURL(), Published: r.GetPublishedAt().Time})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := model.ParseVersion(out[i].Version)
		b, _ := model.ParseVersion(out[j].Version)
		return a.GreaterThan(b)
	})
	return out, nil
}
