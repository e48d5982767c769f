package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/cueedit"
	"github.com/cht-gen/cht-gen/generator/repo"
	"github.com/cht-gen/cht-gen/internal/fakegithub"
)

const testToken = "ghs_sentinelTOKENdo-not-print"

// pinnedVersions are the versions the bump tests start from, whatever the
// example environments hold.
var pinnedVersions = map[string]string{"prod": "4.21.1", "staging": "4.22.0", "uat": "4.22.0", "dev": "4.22.0"}

// setVersions sets environments' versions in the *.cue files of envDir
// through cueedit.SetVersion.
func setVersions(t *testing.T, envDir string, versions map[string]string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(envDir, "*.cue"))
	for env, v := range versions {
		hits := 0
		for _, p := range paths {
			b, _ := os.ReadFile(p)
			out, ok, err := cueedit.SetVersion(p, b, env, v)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				hits++
				os.WriteFile(p, out, 0o644)
			}
		}
		if hits != 1 {
			t.Fatalf("%s: version set in %d files", env, hits)
		}
	}
}

// remoteSetup is a bare repository on disk as origin (default branch main)
// and the user's work tree (hostingRepo, at pinnedVersions) pushed to it.
func remoteSetup(t *testing.T) (work, bare string) {
	t.Helper()
	work, commit := hostingRepo(t)
	setVersions(t, filepath.Join(work, "environments"), pinnedVersions)
	if code, _, errs := runCLI(t, "render", "-e", filepath.Join(work, "environments"), "--out", filepath.Join(work, "deploy")); code != 0 {
		t.Fatalf("render: %s", errs)
	}
	if r, _ := git.PlainOpen(work); r != nil {
		wt, _ := r.Worktree()
		if st, _ := wt.Status(); !st.IsClean() {
			commit("pin versions")
		}
	}
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
	gh.Releases = []fakegithub.Release{{Tag: "4.22.0-beta.1", Prerelease: true}, {Tag: "4.22.0"}, {Tag: "4.21.1"}}
	t.Setenv("GITHUB_API_URL", gh.URL)
	t.Setenv("GITHUB_TOKEN", testToken)
	cli := func(args ...string) (int, string, string) {
		code, out, errs := runCLI(t, append(args, "-e", filepath.Join(work, "environments"), "--out", filepath.Join(work, "deploy"))...)
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
	branch := "cht-gen/main/bump-prod-4.22.0"
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

	// Already current on main: nothing to do, no pull request touched.
	before := gh.Count("POST ") + gh.Count("PATCH ")
	code, out, _ = cli("bump", "staging", "--to", "4.22.0", "--push", "--repo", "moh/cht-hosting")
	if code != 0 || !strings.Contains(out, "staging: already at 4.22.0, nothing to do") || gh.Count("POST ")+gh.Count("PATCH ") != before {
		t.Errorf("already current: exit %d %s, %v", code, out, gh.Requests)
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
		{[]string{"bump", "prod", "--to", "6.0.0"}, "6.x release"},
		{[]string{"bump", "prod", "--to", "3.17.0"}, "3.x release"},
		{[]string{"bump", "prod", "--to", "4.22.0-beta.1"}, `follows the stable channel`},
		{[]string{"bump", "prod", "--to", "4.22"}, "--to 4.22"},
		{[]string{"bump", "nope", "--to", "4.22.0"}, `no environment "nope"`},
		{[]string{"bump", "prod"}, "exactly one of --to VERSION or --latest"},
		{[]string{"bump", "--to", "4.22.0"}, "name environments or pass --all"},
		{[]string{"promote", "prod", "staging"}, "older than its current 4.22.0"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errs := runCLI(t, append(tc.args, "-e", envs, "--out", filepath.Join(work, "deploy"))...)
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
	deploy := filepath.Join(work, "deploy")
	devVersion := func() string {
		b, _ := os.ReadFile(filepath.Join(envs, "dev.cue"))
		i := strings.Index(string(b), `version: "`) + len(`version: "`)
		return string(b[i : i+strings.Index(string(b[i:]), `"`)])
	}
	at43 := func() { setVersions(t, envs, map[string]string{"dev": "4.3.0"}) }

	// Medic: 4.0-4.4 must reach 4.5 or later before 5.x; within 4.x any step.
	at43()
	snap := snapshot(t, work)
	code, _, errs := runCLI(t, "bump", "dev", "--to", "5.2.0", "-e", envs, "--out", deploy)
	if code == 0 || !strings.Contains(errs, "4.3.0 -> 5.2.0 is not a supported upgrade: CHT 4.0 to 4.4 must be upgraded to 4.5 or later before 5.x") ||
		!strings.Contains(errs, "preparing-for-5") {
		t.Errorf("4.3.0 -> 5.2.0: exit %d: %s", code, errs)
	}
	if snapshot(t, work) != snap {
		t.Error("a refused bump changed the work tree")
	}
	if code, _, errs := runCLI(t, "bump", "dev", "--to", "4.22.0", "-e", envs, "--out", deploy); code != 0 || devVersion() != "4.22.0" {
		t.Errorf("4.3.0 -> 4.22.0 refused: exit %d: %s", code, errs)
	}

	gh := fakegithub.New(t, "")
	gh.Releases = []fakegithub.Release{{Tag: "5.2.0"}, {Tag: "5.0.0"}, {Tag: "4.22.0", Prerelease: true}, {Tag: "4.21.1"}, {Tag: "4.6.0"}, {Tag: "4.5.2"}, {Tag: "4.4.0"}}
	t.Setenv("GITHUB_API_URL", gh.URL)
	t.Setenv("GITHUB_TOKEN", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		// dev follows "beta": 4.22.0, a plain tag GitHub marks as a
		// pre-release here, is allowed to it; 5.x only with --major, and
		// from 4.3 not at all.
		{[]string{"--latest"}, "4.22.0"},
		{[]string{"--latest", "--major"}, "4.22.0"},
	} {
		at43()
		code, out, errs := runCLI(t, append([]string{"bump", "dev", "-e", envs, "--out", deploy}, tc.args...)...)
		if code != 0 || devVersion() != tc.want {
			t.Errorf("%v from 4.3.0: exit %d, at %s, want %s\n%s%s", tc.args, code, devVersion(), tc.want, out, errs)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{{[]string{"--latest"}, "4.22.0"}, {[]string{"--latest", "--major"}, "5.2.0"}} {
		setVersions(t, envs, map[string]string{"dev": "4.21.1"})
		code, out, errs := runCLI(t, append([]string{"bump", "dev", "-e", envs, "--out", deploy}, tc.args...)...)
		if code != 0 || devVersion() != tc.want {
			t.Errorf("%v from 4.21.1: exit %d, at %s, want %s\n%s%s", tc.args, code, devVersion(), tc.want, out, errs)
		}
	}
}

// TestCLI_BumpLatestSkipsReleasesGitHubMarksPreRelease: 4.22.0 is a plain
// tag with prerelease: true (here); prod follows stable.
func TestCLI_BumpLatestSkipsReleasesGitHubMarksPreRelease(t *testing.T) {
	work, _ := remoteSetup(t)
	gh := fakegithub.New(t, "")
	gh.Releases = []fakegithub.Release{{Tag: "4.22.0", Prerelease: true}, {Tag: "4.21.1"}, {Tag: "4.21.0"}}
	t.Setenv("GITHUB_API_URL", gh.URL)
	t.Setenv("GITHUB_TOKEN", "")
	setVersions(t, filepath.Join(work, "environments"), map[string]string{"prod": "4.21.0"})
	code, out, errs := runCLI(t, "bump", "prod", "--latest", "-e", filepath.Join(work, "environments"), "--out", filepath.Join(work, "deploy"))
	b, _ := os.ReadFile(filepath.Join(work, "environments", "cluster.cue"))
	if code != 0 || !strings.Contains(string(b), "environments: prod: _eks & {\n\tversion: \"4.21.1\"") {
		t.Errorf("exit %d\n%s%s\n%s", code, out, errs, b)
	}
	code, out, _ = runCLI(t, "releases")
	if code != 0 || strings.Contains(out, "4.22.0") || !strings.Contains(out, "4.21.1") {
		t.Errorf("releases lists a pre-release on stable: exit %d\n%s", code, out)
	}
}

// The commit a bump pushes holds the re-rendered manifest (the next run,
// anywhere, needs it to know which files cht-gen owns) but not the lock
// file the render created in the clone: it is this machine's. origin's
// main does not track the lock, as in a repository that ignores it.
func TestCLI_BumpPushCommitsTheManifestNotTheLock(t *testing.T) {
	work, bare := remoteSetup(t)
	r, _ := git.PlainOpen(work)
	wt, _ := r.Worktree()
	if _, err := wt.Remove("deploy/" + repo.LockName); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Commit("untrack the lock", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.org", When: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(&git.PushOptions{RemoteName: "origin"}); err != nil {
		t.Fatal(err)
	}
	pushEnv(t, testToken)
	if code, out, errs := pushCLI(t, work)("bump", "prod", "--to", "4.22.0"); code != 0 {
		t.Fatalf("bump: exit %d\n%s%s", code, out, errs)
	}
	branch := "cht-gen/main/bump-prod-4.22.0"
	manifest, c := fileAt(t, bare, branch, "deploy/"+repo.ManifestName)
	patch, _ := fileAt(t, bare, branch, "deploy/kubernetes/overlays/prod/patch-api.yaml")
	if sum := sha256.Sum256([]byte(patch)); !strings.Contains(manifest, hex.EncodeToString(sum[:])+"  kubernetes/overlays/prod/patch-api.yaml\n") {
		t.Errorf("the pushed manifest does not list the re-rendered patch-api.yaml:\n%s", manifest)
	}
	tree, _ := c.Tree()
	tree.Files().ForEach(func(f *object.File) error {
		if path.Base(f.Name) == repo.LockName || strings.HasSuffix(f.Name, ".tmp") {
			t.Errorf("the pushed commit holds %s", f.Name)
		}
		return nil
	})
}

// originCommit changes environments' versions on branch of the bare origin
// (someone else's merged change the user has not pulled).
func originCommit(t *testing.T, bare, branch string, versions map[string]string) {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainClone(dir, false, &git.CloneOptions{URL: bare, ReferenceName: plumbing.NewBranchReferenceName(branch)})
	if err != nil {
		t.Fatal(err)
	}
	setVersions(t, filepath.Join(dir, "environments"), versions)
	wt, _ := r.Worktree()
	wt.AddWithOptions(&git.AddOptions{All: true})
	if _, err := wt.Commit("merged elsewhere", &git.CommitOptions{Author: &object.Signature{Name: "o", Email: "o@example.org", When: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(&git.PushOptions{}); err != nil {
		t.Fatal(err)
	}
}

// originBranches lists the branches of the bare origin.
func originBranches(t *testing.T, bare string) []string {
	t.Helper()
	r, err := git.PlainOpen(bare)
	if err != nil {
		t.Fatal(err)
	}
	refs, _ := r.Branches()
	var out []string
	refs.ForEach(func(ref *plumbing.Reference) error {
		out = append(out, ref.Name().Short())
		return nil
	})
	sort.Strings(out)
	return out
}

func pushEnv(t *testing.T, tok string) *fakegithub.Server {
	gh := fakegithub.New(t, testToken)
	gh.Releases = []fakegithub.Release{{Tag: "5.2.0"}, {Tag: "4.22.0"}, {Tag: "4.21.1"}}
	t.Setenv("GITHUB_API_URL", gh.URL)
	t.Setenv("GITHUB_TOKEN", tok)
	return gh
}

func pushCLI(t *testing.T, work string) func(args ...string) (int, string, string) {
	return func(args ...string) (int, string, string) {
		args = append(args, "--push", "--repo", "moh/cht-hosting", "-e", filepath.Join(work, "environments"), "--out", filepath.Join(work, "deploy"))
		code, out, errs := runCLI(t, args...)
		if strings.Contains(out+errs, testToken) {
			t.Errorf("token printed:\n%s%s", out, errs)
		}
		return code, out, errs
	}
}

// The checks and the body use the version on origin's base branch, not the
// user's stale checkout (prod 4.21.1 locally, 4.22.0 on origin).
func TestCLI_BumpChecksTheBaseBranch(t *testing.T) {
	work, bare := remoteSetup(t)
	originCommit(t, bare, "main", map[string]string{"prod": "4.22.0", "dev": "4.3.0"})
	gh := pushEnv(t, testToken)
	cli := pushCLI(t, work)

	// 4.21.1 is prod's version locally (nothing to do there) and older than origin's.
	code, _, errs := cli("bump", "prod", "--to", "4.21.1")
	if code == 0 || !strings.Contains(errs, "4.21.1 is older than its current 4.22.0") {
		t.Errorf("downgrade against origin not refused: exit %d: %s", code, errs)
	}
	code, _, errs = cli("bump", "dev", "--to", "5.2.0")
	if code == 0 || !strings.Contains(errs, "4.3.0 -> 5.2.0 is not a supported upgrade") || !strings.Contains(errs, "4.5 or later") {
		t.Errorf("4.3 on origin -> 5.2 not refused: exit %d: %s", code, errs)
	}
	if b := originBranches(t, bare); strings.Join(b, ",") != "main" || len(gh.PRs) != 0 {
		t.Fatalf("a refused bump left branches %v, PRs %d", b, len(gh.PRs))
	}
	code, out, errs := cli("bump", "prod", "--to", "5.0.0")
	if code != 0 || len(gh.PRs) != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if body := gh.PRs[0].Body; !strings.Contains(body, "**prod**: CHT 4.22.0 → 5.0.0") || !strings.Contains(body, "image 4.22.0 -> 5.0.0") {
		t.Errorf("body does not describe origin's version:\n%s", body)
	}
	code, out, _ = cli("bump", "prod", "--to", "4.22.0")
	if code != 0 || !strings.Contains(out, "prod: already at 4.22.0, nothing to do") {
		t.Errorf("already at 4.22.0 on origin: exit %d\n%s", code, out)
	}
}

// Nothing reaches origin before GitHub said the token may open the pull
// request; an unset GITHUB_TOKEN is named.
func TestCLI_BumpChecksGitHubAccessBeforePushing(t *testing.T) {
	for _, tc := range []struct {
		name, tok string
		repos     map[string]map[string]bool
		want      string
	}{
		{"unset", "", nil, "GITHUB_TOKEN is unset"},
		{"refused", "ghs_wrong", nil, "GitHub refused the credentials (401)"},
		{"no such repository", testToken, map[string]map[string]bool{"moh/other": nil}, "no such repository, or GITHUB_TOKEN cannot see it"},
		{"read only", testToken, map[string]map[string]bool{"moh/cht-hosting": {"pull": true, "push": false}}, "not push"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work, bare := remoteSetup(t)
			gh := pushEnv(t, tc.tok)
			gh.Repos = tc.repos
			code, _, errs := pushCLI(t, work)("bump", "prod", "--to", "4.22.0")
			if code == 0 || !strings.Contains(errs, tc.want) || strings.Contains(errs, "not found (404)") && tc.tok == "" {
				t.Errorf("exit %d, want %q:\n%s", code, tc.want, errs)
			}
			if b := originBranches(t, bare); strings.Join(b, ",") != "main" {
				t.Errorf("branches on origin after a refused push: %v", b)
			}
		})
	}
}

// Bumps against two base branches never share (and force-push) a branch.
func TestCLI_BumpBranchNamesTheBase(t *testing.T) {
	work, bare := remoteSetup(t)
	r, _ := git.PlainOpen(work)
	if err := r.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{"refs/heads/main:refs/heads/release"}}); err != nil {
		t.Fatal(err)
	}
	gh := pushEnv(t, testToken)
	cli := pushCLI(t, work)
	for _, base := range []string{"main", "release"} {
		if code, out, errs := cli("bump", "prod", "--to", "4.22.0", "--base", base); code != 0 || !strings.Contains(out, "cht-gen/"+base+"/bump-prod-4.22.0 into "+base) {
			t.Fatalf("--base %s: exit %d\n%s%s", base, code, out, errs)
		}
	}
	if b := strings.Join(originBranches(t, bare), ","); b != "cht-gen/main/bump-prod-4.22.0,cht-gen/release/bump-prod-4.22.0,main,release" {
		t.Errorf("branches %s", b)
	}
	if len(gh.PRs) != 2 || gh.PRs[0].Base != "main" || gh.PRs[1].Base != "release" || gh.PRs[0].Head == gh.PRs[1].Head {
		t.Errorf("PRs %+v %+v", gh.PRs[0], gh.PRs[1])
	}
}

// A pull request a reviewer closed stays closed: the next run skips it and
// says so; --reopen proposes it again.
func TestCLI_BumpLeavesAClosedPullRequestClosed(t *testing.T) {
	work, bare := remoteSetup(t)
	gh := pushEnv(t, testToken)
	cli := pushCLI(t, work)
	if code, out, errs := cli("bump", "prod", "--to", "4.22.0"); code != 0 || len(gh.PRs) != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	gh.ClosePR(1, false)
	_, first := fileAt(t, bare, "cht-gen/main/bump-prod-4.22.0", "environments/cluster.cue")
	code, out, errs := cli("bump", "prod", "--to", "4.22.0")
	if code != 0 || !strings.Contains(out, "skipped Bump prod to CHT 4.22.0: pull request #1 ") || !strings.Contains(out, "--reopen") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
	if len(gh.PRs) != 1 || gh.PRs[0].State != "closed" || gh.Count("POST /repos/moh/cht-hosting/pulls") != 1 || gh.Count("PATCH ") != 0 {
		t.Errorf("a closed pull request was re-proposed: %v", gh.Requests)
	}
	if _, again := fileAt(t, bare, "cht-gen/main/bump-prod-4.22.0", "environments/cluster.cue"); again.Hash != first.Hash {
		t.Error("the skipped run pushed")
	}
	// Another version is another proposal.
	if code, out, _ := cli("bump", "prod", "--to", "5.0.0"); code != 0 || !strings.Contains(out, "opened pull request #2 ") {
		t.Errorf("5.0.0: exit %d\n%s", code, out)
	}
	code, out, errs = cli("bump", "prod", "--to", "4.22.0", "--reopen")
	if code != 0 || !strings.Contains(out, "opened pull request #3 ") || gh.PRs[2].Head != "cht-gen/main/bump-prod-4.22.0" {
		t.Errorf("--reopen: exit %d\n%s%s", code, out, errs)
	}
}

// 4.x -> 5.x as one pull request: only the version literal changes in the
// environment file, the output is re-rendered, and the body carries Medic's
// checklist for the target.
func TestCLI_BumpToFiveOpensOneReviewedPullRequest(t *testing.T) {
	work, bare := remoteSetup(t)
	gh := pushEnv(t, testToken)
	cli := pushCLI(t, work)
	code, out, errs := cli("bump", "prod", "--to", "5.2.0")
	if code != 0 || len(gh.PRs) != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	branch := "cht-gen/main/bump-prod-5.2.0"
	cue, _ := fileAt(t, bare, branch, "environments/cluster.cue")
	orig, _ := os.ReadFile(filepath.Join(work, "environments", "cluster.cue"))
	if cue != strings.Replace(string(orig), `version: "4.21.1"`, `version: "5.2.0"`, 1) {
		t.Errorf("pushed cluster.cue is not the original with one version changed:\n%s", cue)
	}
	if k, _ := fileAt(t, bare, branch, "deploy/kubernetes/overlays/prod/patch-api.yaml"); !strings.Contains(k, "cht-api:5.2.0") {
		t.Errorf("overlay not re-rendered:\n%s", k)
	}
	body := gh.PRs[0].Body
	for _, want := range []string{"**prod**: CHT 4.21.1 → 5.2.0", "prod: ", "image 4.21.1 -> 5.2.0", "### Moving to CHT 5.x",
		"Stage CHT 5.2.0 in the admin app", bump.Preparing5 + "#upgrade-service-removed-from-kubernetes", "`app_url`", "`needs_signoff`", "107"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}

	// A Compose host gets the items for Compose only.
	code, out, errs = cli("bump", "dev", "--to", "5.2.0")
	if code != 0 || len(gh.PRs) != 2 {
		t.Fatalf("dev: exit %d\n%s%s", code, out, errs)
	}
	if body := gh.PRs[1].Body; !strings.Contains(body, "### Moving to CHT 5.x") || strings.Contains(body, "Stage CHT") || strings.Contains(body, "kubectl") {
		t.Errorf("compose body:\n%s", body)
	}
}

// promote, like --latest, crosses a major line only when asked to.
func TestCLI_PromoteAcrossAMajorNeedsMajor(t *testing.T) {
	work, _ := remoteSetup(t)
	envs := filepath.Join(work, "environments")
	setVersions(t, envs, map[string]string{"staging": "5.2.0"})
	snap := snapshot(t, work)
	code, _, errs := runCLI(t, "promote", "staging", "prod", "-e", envs, "--out", filepath.Join(work, "deploy"))
	if code == 0 || !strings.Contains(errs, "staging runs 5.2.0 and prod 4.21.1: promoting crosses a major line; pass --major") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if snapshot(t, work) != snap {
		t.Error("a refused promote changed the work tree")
	}
	code, out, errs := runCLI(t, "promote", "staging", "prod", "--major", "-e", envs, "--out", filepath.Join(work, "deploy"))
	b, _ := os.ReadFile(filepath.Join(envs, "cluster.cue"))
	if code != 0 || strings.Count(string(b), `version: "5.2.0"`) != 2 {
		t.Errorf("--major: exit %d\n%s%s\n%s", code, out, errs, b)
	}
}

// --all: one environment refused does not hold the others back, and every
// refusal is reported.
func TestCLI_BumpAllReportsEveryRefusal(t *testing.T) {
	work, _ := remoteSetup(t)
	envs := filepath.Join(work, "environments")
	setVersions(t, envs, map[string]string{"prod": "4.21.0"})
	code, out, errs := runCLI(t, "bump", "--all", "--to", "4.21.1", "-e", envs, "--out", filepath.Join(work, "deploy"))
	b, _ := os.ReadFile(filepath.Join(envs, "cluster.cue"))
	if code == 0 || !strings.Contains(string(b), `version: "4.21.1"`) || strings.Contains(errs, "staging: staging:") {
		t.Errorf("exit %d, prod not bumped\n%s%s", code, out, errs)
	}
	for _, want := range []string{"staging: 4.21.1 is older than its current 4.22.0", "uat: 4.21.1 is older", "dev: 4.21.1 is older"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// A bump whose output write would be refused (a user's file where an
// overlay folder is rendered) leaves the environment files unedited too.
func TestCLI_BumpRefusedByTheOutputChangesNothing(t *testing.T) {
	dir, _ := hostingRepo(t)
	envs, out := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	overlay := filepath.Join(out, "kubernetes/overlays/uat")
	os.RemoveAll(overlay)
	os.WriteFile(overlay, []byte("mine"), 0o644)
	before, _ := os.ReadFile(filepath.Join(envs, "cluster.cue"))
	code, _, errs := runCLI(t, "bump", "prod", "--to", "4.22.0", "-e", envs, "--out", out)
	if code != 1 || !strings.Contains(errs, "is a file where cht-gen needs a folder") {
		t.Errorf("exit %d, want 1 naming the file:\n%s", code, errs)
	}
	if after, _ := os.ReadFile(filepath.Join(envs, "cluster.cue")); string(after) != string(before) {
		t.Error("the environment file was edited although the output could not be written")
	}
	if b, _ := os.ReadFile(overlay); string(b) != "mine" {
		t.Error("the user's file was changed")
	}
}

// A reviewer's commit on the pull request's branch survives the next run:
// nothing is force-pushed over it, and the error says what to do.
func TestCLI_BumpKeepsAReviewersCommit(t *testing.T) {
	work, bare := remoteSetup(t)
	gh := pushEnv(t, testToken)
	cli := pushCLI(t, work)
	const branch = "cht-gen/main/bump-prod-4.22.0"
	if code, out, errs := cli("bump", "prod", "--to", "4.22.0"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	// The reviewer pushes a fix on the branch.
	dir := t.TempDir()
	r, err := git.PlainClone(dir, false, &git.CloneOptions{URL: bare, ReferenceName: plumbing.NewBranchReferenceName(branch)})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("window: Sunday 02:00\n"), 0o644)
	wt, _ := r.Worktree()
	wt.Add("NOTES.md")
	theirs, err := wt.Commit("Note the window", &git.CommitOptions{Author: &object.Signature{Name: "Ana", Email: "ana@moh.example", When: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(&git.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	// main moves on: the next run's tree differs, so it would push.
	originCommit(t, bare, "main", map[string]string{"dev": "5.0.0"})

	code, out, errs := cli("bump", "prod", "--to", "4.22.0")
	if code != 1 || !strings.Contains(errs, branch+" on origin has commits cht-gen did not make ("+theirs.String()[:12]+` "Note the window" by Ana <ana@moh.example>)`) {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
	if _, tip := fileAt(t, bare, branch, "NOTES.md"); tip.Hash != theirs {
		t.Errorf("the reviewer's commit was replaced by %s %q", tip.Hash, tip.Message)
	}
	if n := gh.Count("PATCH /repos/moh/cht-hosting/pulls/1"); n != 0 {
		t.Errorf("pull request updated %d times although nothing was pushed", n)
	}
}

// Credentials in the remote's URL never reach the output, whatever their
// place (https://TOKEN@host is as common as https://user:TOKEN@host), and
// an SSH remote without an agent says what it needs.
func TestCLI_BumpRemoteURLs(t *testing.T) {
	const urlToken = "ghp_inTheRemoteURLnotGITHUB_TOKEN" // not GITHUB_TOKEN: nothing knows to mask it
	for _, tc := range []struct{ url, want string }{
		{"https://" + urlToken + "@127.0.0.1:1/moh/cht-hosting.git", "https://***@127.0.0.1:1/moh/cht-hosting.git"},
		{"https://x-access-token:" + urlToken + "@127.0.0.1:1/moh/cht-hosting.git", "https://x-access-token:***@127.0.0.1:1/moh/cht-hosting.git"},
		{"ssh://git@127.0.0.1:1/moh/cht-hosting.git", "ssh-agent running with the key loaded"},
	} {
		work, bare := remoteSetup(t)
		r, _ := git.PlainOpen(work)
		r.DeleteRemote("origin")
		if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{tc.url}}); err != nil {
			t.Fatal(err)
		}
		pushEnv(t, testToken)
		t.Setenv("SSH_AUTH_SOCK", "")
		for _, base := range []string{"", "main"} { // listing the default branch, cloning
			code, _, errs := pushCLI(t, work)("bump", "prod", "--to", "4.22.0", "--base", base)
			if code != 1 || !strings.Contains(errs, tc.want) || strings.Contains(errs, urlToken) {
				t.Errorf("%s (--base %q): exit %d, want %q:\n%s", tc.url, base, code, tc.want, errs)
			}
		}
		if b := originBranches(t, bare); len(b) != 1 {
			t.Errorf("branches %v", b)
		}
	}
}
