package github

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

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

// Listing is a list of CHT Core releases and where it comes from.
type Listing struct {
	Releases []Release // newest first
	// Offline is why GitHub's list could not be read; Releases is then
	// the list this cht-gen knows (model.KnownReleases). nil: GitHub's.
	Offline error
	// Unknown are the releases GitHub lists that are newer than every
	// release this cht-gen knows: validate refuses them until cht-gen is
	// upgraded (or allowUnlistedVersion is set), so they are worth saying.
	Unknown []string
}

// Source names where the list comes from: "github" or "cht-gen" (the
// list built into this cht-gen).
func (l Listing) Source() string {
	if l.Offline != nil {
		return "cht-gen"
	}
	return "github"
}

// Warnings say that the list is cht-gen's own (GitHub could not be read)
// or that GitHub lists releases this cht-gen does not know.
func (l Listing) Warnings() []string {
	var out []string
	if l.Offline != nil {
		out = append(out, fmt.Sprintf("GitHub's list of CHT releases could not be read (%v): using the releases this cht-gen knows, up to %s; a newer release needs a newer cht-gen (docs/versions.md)",
			l.Offline, model.KnownReleases()[0].Version))
	}
	if len(l.Unknown) > 0 {
		out = append(out, fmt.Sprintf("GitHub lists %s, newer than every release this cht-gen knows: validate refuses it until cht-gen is upgraded, or an environment sets allowUnlistedVersion: true (docs/versions.md)",
			strings.Join(l.Unknown, ", ")))
	}
	return out
}

// ReleasesOrKnown is Releases when GitHub answers, else the releases this
// cht-gen knows, with the reason (bump --latest and releases work offline).
// A connection that cannot be made is not retried (retrying an unreachable
// GitHub took 15 s before failing): the known list is the answer then. c
// may be nil (no client could be made): the known list.
func (c *Client) ReleasesOrKnown(ctx context.Context, beta bool) Listing {
	if c == nil {
		return Listing{Releases: knownReleases(beta), Offline: errors.New("no GitHub client")}
	}
	rels, err := c.Releases(context.WithValue(ctx, noDialRetry{}, true), beta)
	if err != nil {
		return Listing{Releases: knownReleases(beta), Offline: err}
	}
	l := Listing{Releases: rels}
	newest, _ := model.ParseVersion(model.KnownReleases()[0].Version)
	for _, r := range rels {
		if v, err := model.ParseVersion(r.Version); err == nil && v.GreaterThan(newest) {
			l.Unknown = append(l.Unknown, r.Version)
		}
	}
	return l
}

// knownReleases is model.KnownReleases for a channel.
func knownReleases(beta bool) []Release {
	var out []Release
	for _, r := range model.KnownReleases() {
		if beta || !r.Prerelease {
			out = append(out, r)
		}
	}
	return out
}
