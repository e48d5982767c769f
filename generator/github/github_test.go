package github_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cht-gen/cht-gen/generator/github"
	"github.com/cht-gen/cht-gen/generator/model"
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
		{Tag: "4.23.0-beta.1", Prerelease: true}, {Tag: "4.22.0"}, {Tag: "5.0.0"}, {Tag: "5.1.0", Prerelease: true},
		{Tag: "4.21.1"}, {Tag: "4.22.1", Draft: true}, {Tag: "not-a-version"}, {Tag: "4.5.3"}, {Tag: "6.0.0"}, {Tag: "3.17.0"},
	}
	return f
}

func TestReleases_ChannelsPagesAndFilters(t *testing.T) {
	f := fake(t)
	c := client(t, f, token)
	for _, tc := range []struct {
		beta bool
		want string
	}{
		// 5.1.0 is a plain tag GitHub marks as a pre-release: hidden on stable.
		{false, "5.0.0,4.22.0,4.21.1,4.5.3"},
		{true, "5.1.0,5.0.0,4.23.0-beta.1,4.22.0,4.21.1,4.5.3"},
	} {
		rels, err := c.Releases(context.Background(), tc.beta)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rels {
			got = append(got, r.Version)
			if r.Prerelease != (r.Version == "5.1.0" || r.Version == "4.23.0-beta.1") {
				t.Errorf("%s: prerelease %v", r.Version, r.Prerelease)
			}
			if !strings.HasSuffix(r.URL, "/releases/tag/"+r.Version) {
				t.Errorf("%s notes URL %s", r.Version, r.URL)
			}
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("beta=%v: %v, want %s", tc.beta, got, tc.want)
		}
	}
	if n := f.Count("GET /repos/medic/cht-core/releases"); n != 10 {
		t.Errorf("%d release pages fetched, want 5 per listing", n)
	}
}

func TestClient_RetriesTransientFailures(t *testing.T) {
	f := fake(t)
	f.Fail["GET /repos/medic/cht-core/releases"] = []int{http.StatusBadGateway, http.StatusForbidden, http.StatusServiceUnavailable}
	rels, err := client(t, f, token).Releases(context.Background(), false)
	if err != nil {
		t.Fatalf("not retried: %v", err)
	}
	if len(rels) != 4 {
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

func TestCheckAccess(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tok   string
		repos map[string]map[string]bool
		want  string // empty: allowed
	}{
		{"no token", "", nil, "GITHUB_TOKEN is unset"},
		{"refused token", "wrong", nil, "GitHub refused the credentials (401)"},
		{"unknown repository", token, map[string]map[string]bool{"moh/other": nil}, "no such repository, or GITHUB_TOKEN cannot see it (404)"},
		{"read only", token, map[string]map[string]bool{"moh/cht-hosting": {"pull": true, "push": false}}, "not push"},
		{"user token with push", token, map[string]map[string]bool{"moh/cht-hosting": {"pull": true, "push": true}}, ""},
		{"installation token (no permissions reported)", token, map[string]map[string]bool{"moh/cht-hosting": nil}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fake(t)
			f.Repos = tc.repos
			err := client(t, f, tc.tok).CheckAccess(context.Background(), "moh", "cht-hosting")
			if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
			if tc.tok == "" && f.Count("GET ") != 0 {
				t.Errorf("asked GitHub without a token: %v", f.Requests)
			}
		})
	}
}

func TestLastClosed(t *testing.T) {
	f := fake(t)
	c := client(t, f, token)
	ctx := context.Background()
	pr := github.PullRequest{Owner: "moh", Repo: "cht-hosting", Head: "cht-gen/main/bump-prod-5.2.0", Base: "main", Title: "t"}
	check := func(want int) {
		t.Helper()
		got, err := c.LastClosed(ctx, "moh", "cht-hosting", pr.Head, pr.Base)
		if err != nil {
			t.Fatal(err)
		}
		if n := 0; got != nil {
			n = got.Number
			if n != want {
				t.Errorf("closed #%d, want #%d", n, want)
			}
		} else if want != 0 {
			t.Errorf("no closed pull request found, want #%d", want)
		}
	}
	check(0)
	if _, err := c.UpsertPullRequest(ctx, pr); err != nil {
		t.Fatal(err)
	}
	check(0) // open
	f.ClosePR(1, false)
	check(1)
	other := pr
	other.Base = "release"
	if got, _ := c.LastClosed(ctx, "moh", "cht-hosting", other.Head, other.Base); got != nil {
		t.Errorf("a PR into main counted for release: %+v", got)
	}
	if up, err := c.UpsertPullRequest(ctx, pr); err != nil || !up.Created || up.Number != 2 {
		t.Fatalf("reopen: %+v %v", up, err)
	}
	check(0) // #2 is open
	f.ClosePR(2, true)
	check(1) // merged ones are not a reviewer's "no"
}

// GitHub opened the pull request but its answer was lost (502): the
// library's retry meets "A pull request already exists", which is this
// run's own pull request, not a failure.
func TestUpsertPullRequest_RetryAfterALostAnswer(t *testing.T) {
	f := fake(t)
	c := client(t, f, token)
	f.FailAfter["POST /repos/moh/cht-hosting/pulls"] = []int{http.StatusBadGateway}
	up, err := c.UpsertPullRequest(context.Background(), github.PullRequest{Owner: "moh", Repo: "cht-hosting", Head: "cht-gen/main/bump-prod-4.22.0", Base: "main",
		Title: "Bump prod to CHT 4.22.0", Body: "body", Labels: []string{"cht-upgrade"}})
	if err != nil {
		t.Fatal(err)
	}
	if !up.Created || up.Number != 1 || len(f.PRs) != 1 || strings.Join(f.PRs[0].Labels, ",") != "cht-upgrade" {
		t.Errorf("got %+v, PRs %+v", up, f.PRs)
	}
	if n := f.Count("POST /repos/moh/cht-hosting/pulls"); n != 2 {
		t.Errorf("%d POSTs, want the lost one and its retry", n)
	}
}

// ReleasesOrKnown: GitHub's list when it answers (naming what this cht-gen
// does not know yet), else the list built into cht-gen with the reason.
func TestReleasesOrKnown(t *testing.T) {
	f := fake(t)
	f.Releases = append(f.Releases, fakegithub.Release{Tag: "5.9.0"})
	l := client(t, f, token).ReleasesOrKnown(context.Background(), false)
	if l.Offline != nil || l.Source() != "github" || l.Releases[0].Version != "5.9.0" || strings.Join(l.Unknown, ",") != "5.9.0" {
		t.Errorf("GitHub answering: %+v", l)
	}

	// GitHub refuses (bad token): the known list, saying why.
	l = client(t, f, "ghs_wrong").ReleasesOrKnown(context.Background(), false)
	if l.Offline == nil || l.Source() != "cht-gen" || len(l.Releases) < 50 || l.Releases[0].Version != model.KnownReleases()[0].Version {
		t.Errorf("GitHub refusing: %v, %d releases", l.Offline, len(l.Releases))
	}
	for _, r := range l.Releases {
		if r.Prerelease {
			t.Errorf("stable listing has %s", r.Version)
		}
	}
	if beta := client(t, f, "ghs_wrong").ReleasesOrKnown(context.Background(), true); len(beta.Releases) != len(model.KnownReleases()) {
		t.Errorf("beta listing: %d releases, want all %d", len(beta.Releases), len(model.KnownReleases()))
	}

	// Nothing listens: no retries (with an hour between them this test
	// would never end), the known list.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	c, err := github.New(github.Options{APIURL: down.URL, RetryWaitMin: time.Hour, RetryWaitMax: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if l := c.ReleasesOrKnown(context.Background(), false); l.Offline == nil || len(l.Releases) == 0 {
		t.Errorf("GitHub unreachable: %+v", l.Offline)
	}
	var none *github.Client
	if l := none.ReleasesOrKnown(context.Background(), false); l.Offline == nil || len(l.Releases) == 0 {
		t.Errorf("no client: %+v", l.Offline)
	}
}
