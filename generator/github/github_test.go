package github_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cht-gen/cht-gen/generator/github"
	"github.com/cht-gen/cht-gen/internal/fakegithub"
)

const token = "ghs_sentinelTOKEN123"

func client(t *testing.T, f *fakegithub.Server, tok string) *github.Client {
	t.Helper()
	c, err := github.New(github.Options{APIURL: f.URL, Token: tok, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fake(t *testing.T) *fakegithub.Server {
	f := fakegithub.New(t, token)
	f.Releases = []fakegithub.Release{
		{Tag: "4.23.0-beta.1", Prerelease: true}, {Tag: "4.22.0"}, {Tag: "5.0.0"},
		{Tag: "4.21.1"}, {Tag: "4.22.1", Draft: true}, {Tag: "not-a-version"}, {Tag: "4.5.3"},
	}
	return f
}

func TestReleases_ChannelsPagesAndFilters(t *testing.T) {
	f := fake(t)
	c := client(t, f, token)
	for _, tc := range []struct {
		beta bool
		want string
	}{{false, "4.22.0,4.21.1,4.5.3"}, {true, "4.23.0-beta.1,4.22.0,4.21.1,4.5.3"}} {
		rels, err := c.Releases(context.Background(), tc.beta)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rels {
			got = append(got, r.Version)
			if !strings.HasSuffix(r.URL, "/releases/tag/"+r.Version) {
				t.Errorf("%s notes URL %s", r.Version, r.URL)
			}
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("beta=%v: %v, want %s", tc.beta, got, tc.want)
		}
	}
	if n := f.Count("GET /repos/medic/cht-core/releases"); n != 8 {
		t.Errorf("%d release pages fetched, want 4 per listing", n)
	}
}

func TestClient_RetriesTransientFailures(t *testing.T) {
	f := fake(t)
	f.Fail["GET /repos/medic/cht-core/releases"] = []int{http.StatusBadGateway, http.StatusForbidden, http.StatusServiceUnavailable}
	rels, err := client(t, f, token).Releases(context.Background(), false)
	if err != nil {
		t.Fatalf("not retried: %v", err)
	}
	if len(rels) != 3 {
		t.Errorf("%d releases", len(rels))
	}
}

func TestClient_PermanentErrorsSayWhatToFix(t *testing.T) {
	for _, tc := range []struct {
		name string
		tok  string
		fail []int
		want string
	}{
		{"401 bad token", "wrong-" + token, nil, "GitHub refused the credentials (401): set GITHUB_TOKEN"},
		{"502 forever", token, []int{502, 502, 502, 502, 502, 502}, "GitHub answered 502"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fake(t)
			f.Fail["GET /repos/medic/cht-core/releases"] = tc.fail
			_, err := client(t, f, tc.tok).Releases(context.Background(), false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("token in error: %v", err)
			}
		})
	}
}

func TestUpsertPullRequest_OpensOnceThenUpdates(t *testing.T) {
	f := fake(t)
	c := client(t, f, token)
	pr := github.PullRequest{Owner: "moh", Repo: "cht-hosting", Head: "cht-gen/bump-prod-4.22.0", Base: "main",
		Title: "Bump prod to CHT 4.22.0", Body: "first", Labels: []string{"cht-upgrade"}}
	up, err := c.UpsertPullRequest(context.Background(), pr)
	if err != nil {
		t.Fatal(err)
	}
	if !up.Created || up.Number != 1 || !strings.HasSuffix(up.URL, "/moh/cht-hosting/pull/1") {
		t.Errorf("first: %+v", up)
	}
	pr.Body = "second"
	up, err = c.UpsertPullRequest(context.Background(), pr)
	if err != nil {
		t.Fatal(err)
	}
	if up.Created || up.Number != 1 {
		t.Errorf("second: %+v", up)
	}
	if len(f.PRs) != 1 || f.PRs[0].Body != "second" || f.PRs[0].Head != pr.Head || f.PRs[0].Base != "main" {
		t.Errorf("PRs %+v", f.PRs[0])
	}
	if n := f.Count("POST /repos/moh/cht-hosting/pulls"); n != 1 {
		t.Errorf("%d PRs created", n)
	}
}
