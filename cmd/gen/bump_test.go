package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/cht-gen/cht-gen/internal/fakegithub"
)

const testToken = "ghs_sentinelTOKENdo-not-print"

// remoteSetup is a bare repository on disk as origin (default branch main)
// and the user's work tree (hostingRepo) pushed to it.
func remoteSetup(t *testing.T) (work, bare string) {
	t.Helper()
	work, _ = hostingRepo(t)
	bare = filepath.Join(t.TempDir(), "origin.git")
	b, err := git.PlainInit(bare, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName("main"))); err != nil {
		t.Fatal(err)
	}
	r, err := git.PlainOpen(work)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{bare}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{"refs/heads/main:refs/heads/main"}}); err != nil {
		t.Fatal(err)
	}
	return work, bare
}

// fileAt reads path on branch of the bare repository.
func fileAt(t *testing.T, bare, branch, path string) (string, *object.Commit) {
	t.Helper()
	r, err := git.PlainOpen(bare)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := r.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		t.Fatalf("branch %s on origin: %v", branch, err)
	}
	c, _ := r.CommitObject(ref.Hash())
	f, err := c.File(path)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := f.Contents()
	return s, c
}

func TestCLI_BumpOpensThenUpdatesAPullRequest(t *testing.T) {
	work, bare := remoteSetup(t)
	gh := fakegithub.New(t, testToken)
	gh.Releases = []fakegithub.Release{{Tag: "4.23.0-beta.1", Prerelease: true}, {Tag: "4.22.0"}, {Tag: "4.21.1"}}
	t.Setenv("GITHUB_API_URL", gh.URL)
	t.Setenv("GITHUB_TOKEN", testToken)
	cli := func(args ...string) (int, string, string) {
		code, out, errs := runCLI(t, append(args, "-e", filepath.Join(work, "environments"), "-o", filepath.Join(work, "deploy"))...)
		if strings.Contains(out+errs, testToken) {
			t.Errorf("token printed:\n%s%s", out, errs)
		}
		return code, out, errs
	}

	code, out, errs := cli("bump", "prod", "--latest", "--push", "--repo", "moh/cht-hosting", "--label", "cht-upgrade")
	if code != 0 {
		t.Fatalf("bump: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "opened pull request #1 ") || !strings.Contains(out, "prod: cht-api, ") {
		t.Errorf("output:\n%s", out)
	}
	branch := "cht-gen/bump-prod-4.22.0"
	cue, first := fileAt(t, bare, branch, "environments/cluster.cue")
	orig, _ := os.ReadFile(filepath.Join(work, "environments", "cluster.cue"))
	if cue != strings.Replace(string(orig), `version: "4.21.1"`, `version: "4.22.0"`, 1) {
		t.Errorf("pushed cluster.cue is not the original with one version changed:\n%s", cue)
	}
	if k, _ := fileAt(t, bare, branch, "deploy/kubernetes/overlays/prod/patch-api.yaml"); !strings.Contains(k, "public.ecr.aws/medic/cht-api:4.22.0") {
		t.Errorf("pushed overlay not re-rendered:\n%s", k)
	}
	if first.Author.Name != "cht-gen" || !strings.HasPrefix(first.Message, "Bump prod to CHT 4.22.0\n") || strings.Contains(first.Message, testToken) {
		t.Errorf("commit %q by %s", first.Message, first.Author.Name)
	}
	if len(gh.PRs) != 1 {
		t.Fatalf("%d pull requests", len(gh.PRs))
	}
	pr := gh.PRs[0]
	for _, want := range []string{"**prod**: CHT 4.21.1 → 4.22.0", "/medic/cht-core/releases/tag/4.22.0", "prod: cht-api, cht-couchdb-1", "- [ ] CouchDB data backed up", "staging"} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("PR body lacks %q:\n%s", want, pr.Body)
		}
	}
	if pr.Title != "Bump prod to CHT 4.22.0" || pr.Head != branch || pr.Base != "main" || strings.Join(pr.Labels, ",") != "cht-upgrade" {
		t.Errorf("PR %+v", pr)
	}

	// The user's work tree is untouched, clean and on main.
	r, _ := git.PlainOpen(work)
	wt, _ := r.Worktree()
	if st, _ := wt.Status(); !st.IsClean() {
		t.Errorf("work tree dirty after --push:\n%s", st)
	}
	if head, _ := r.Head(); head.Name().Short() != "main" {
		t.Errorf("work tree on %s", head.Name())
	}

	// Again: the same PR is updated, the branch is not rewritten.
	code, out, errs = cli("bump", "prod", "--to", "4.22.0", "--push", "--repo", "moh/cht-hosting")
	if code != 0 || !strings.Contains(out, "updated pull request #1 ") {
		t.Fatalf("second bump: exit %d\n%s%s", code, out, errs)
	}
	if _, again := fileAt(t, bare, branch, "environments/cluster.cue"); again.Hash != first.Hash {
		ft, _ := first.Tree()
		at, _ := again.Tree()
		ch, _ := ft.Diff(at)
		t.Errorf("second run rewrote the branch though nothing changed: %v", ch)
	}
	if len(gh.PRs) != 1 || gh.Count("POST /repos/moh/cht-hosting/pulls") != 1 || gh.Count("PATCH /repos/moh/cht-hosting/pulls/1") != 1 {
		t.Errorf("requests %v", gh.Requests)
	}

	// Already current: nothing to do, no request.
	before := len(gh.Requests)
	code, out, _ = cli("bump", "staging", "--to", "4.22.0", "--push", "--repo", "moh/cht-hosting")
	if code != 0 || !strings.Contains(out, "staging: already at 4.22.0, nothing to do") || len(gh.Requests) != before {
		t.Errorf("already current: exit %d %s, %d requests", code, out, len(gh.Requests)-before)
	}
}

func TestCLI_BumpRefusesWithReasons(t *testing.T) {
	work, _ := remoteSetup(t)
	envs := filepath.Join(work, "environments")
	snap := snapshot(t, work)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bump", "prod", "--to", "4.20.0"}, "older than its current 4.21.1"},
		{[]string{"bump", "prod", "--to", "5.0.0"}, "5.x"},
		{[]string{"bump", "prod", "--to", "4.23.0-beta.1"}, `follows the stable channel`},
		{[]string{"bump", "prod", "--to", "4.22"}, "--to 4.22"},
		{[]string{"bump", "nope", "--to", "4.22.0"}, `no environment "nope"`},
		{[]string{"bump", "prod"}, "exactly one of --to VERSION or --latest"},
		{[]string{"bump", "--to", "4.22.0"}, "name environments or pass --all"},
		{[]string{"promote", "prod", "staging"}, "older than its current 4.22.0"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errs := runCLI(t, append(tc.args, "-e", envs, "-o", filepath.Join(work, "deploy"))...)
			if code == 0 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, want an error about %q:\n%s", code, tc.want, errs)
			}
		})
	}
	if after := snapshot(t, work); after != snap {
		t.Error("a refused bump changed the work tree")
	}
}

func TestCLI_BumpUpgradePathFromTheSchema(t *testing.T) {
	work, _ := remoteSetup(t)
	envs := filepath.Join(work, "environments")
	b, _ := os.ReadFile(filepath.Join(envs, "dev.cue"))
	src := string(b)
	i := strings.Index(src, `version: "`)
	j := strings.Index(src[i+10:], `"`)
	os.WriteFile(filepath.Join(envs, "dev.cue"), []byte(src[:i]+`version: "4.3.0"`+src[i+10+j+1:]), 0o644)

	code, _, errs := runCLI(t, "bump", "dev", "--to", "4.22.0", "-e", envs, "-o", filepath.Join(work, "deploy"))
	if code == 0 || !strings.Contains(errs, "4.3.0 -> 4.22.0 is not a supported upgrade: CHT 4.0 to 4.4 must be upgraded to 4.5") {
		t.Errorf("exit %d: %s", code, errs)
	}
	gh := fakegithub.New(t, "")
	gh.Releases = []fakegithub.Release{{Tag: "4.22.0"}, {Tag: "4.6.0"}, {Tag: "4.5.2"}, {Tag: "4.5.1"}, {Tag: "4.4.0"}}
	t.Setenv("GITHUB_API_URL", gh.URL)
	t.Setenv("GITHUB_TOKEN", "")
	code, out, errs := runCLI(t, "bump", "dev", "--latest", "-e", envs, "-o", filepath.Join(work, "deploy"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got, _ := os.ReadFile(filepath.Join(envs, "dev.cue"))
	if !strings.Contains(string(got), `version: "4.5.2"`) || !strings.Contains(out, "dev: ") {
		t.Errorf("--latest from 4.3.0 should stop at 4.5.2:\n%s\n%s", got, out)
	}
}
