package bump_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

const devEnv = "package environments\n\nenvironments: dev: {\n\ttarget:  \"compose\"\n\tversion: \"4.21.0\"\n\thost:    \"localhost\"\n}\n"

// fakeGit is a remote whose base branch holds devEnv; it records what a
// bump does with its clone.
type fakeGit struct {
	base      string // the remote's default branch
	written   []string
	clone     *fakeClone
	cloneBase string
	envRel    string // where the user's environments are in the work tree; default environments
}

func (g *fakeGit) Display(dir string) string { return filepath.Base(dir) }

func (g *fakeGit) CheckOutput(dir string, set files.Set) error { return nil }

func (g *fakeGit) WriteOutput(dir string, set files.Set) error {
	g.written = append(g.written, dir)
	for _, p := range set.Paths() {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, set[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (g *fakeGit) Remote(envDir, outDir, name string) (bump.Remote, error) {
	envRel := "environments"
	if g.envRel != "" {
		envRel = g.envRel
	}
	return bump.Remote{Name: name, URL: "https://github.com/medic-hosts/fleet.git", EnvRel: envRel, OutRel: "deploy"}, nil
}

func (g *fakeGit) DefaultBranch(context.Context, bump.Remote) (string, error) { return g.base, nil }

func (g *fakeGit) Clone(ctx context.Context, r bump.Remote, base, dir string) (bump.Clone, error) {
	g.cloneBase = base
	envDir := filepath.Join(dir, "environments")
	if err := os.MkdirAll(envDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(envDir, "dev.cue"), []byte(devEnv), 0o644); err != nil {
		return nil, err
	}
	return g.clone, nil
}

type fakeClone struct {
	unchanged, sameTree bool
	branch, message     string
	pushed              []string
	onBranch            []bump.Commit // the remote branch's commits
}

func (c *fakeClone) BranchCommits(branch, base string) ([]bump.Commit, error) { return c.onBranch, nil }

func (c *fakeClone) Stage() (bool, error) { return !c.unchanged, nil }

func (c *fakeClone) CommitOnBranch(branch, message, name, email string) error {
	if name == "" || email == "" {
		return errors.New("commit without an author")
	}
	c.branch, c.message = branch, message
	return nil
}

func (c *fakeClone) RemoteHasTree(string) (bool, error) { return c.sameTree, nil }

func (c *fakeClone) Push(_ context.Context, branch string) error {
	c.pushed = append(c.pushed, branch)
	return nil
}

type fakeGitHub struct {
	upsertErr error
	denied    error
	closed    *bump.PullRequest
	checked   string
	upserts   []bump.Request
}

func (h *fakeGitHub) CheckAccess(_ context.Context, owner, repo string) error {
	h.checked = owner + "/" + repo
	return h.denied
}

func (h *fakeGitHub) LastClosed(_ context.Context, owner, repo, head, base string) (*bump.PullRequest, error) {
	return h.closed, nil
}

func (h *fakeGitHub) Upsert(_ context.Context, r bump.Request) (*bump.PullRequest, error) {
	if h.upsertErr != nil {
		return nil, h.upsertErr
	}
	h.upserts = append(h.upserts, r)
	return &bump.PullRequest{Number: 7, URL: "https://github.com/medic-hosts/fleet/pull/7", Created: true}, nil
}

func toVersion(v string) bump.Plan {
	return func(envs []model.Environment) (bump.Proposal, error) {
		e := envs[0]
		return bump.Proposal{Targets: []bump.Target{{Env: e.Name, From: e.Version, To: v, Platform: e.Target}}}, nil
	}
}

func pushOptions() bump.Options {
	return bump.Options{EnvDir: "environments", OutDir: "deploy", Push: true, Labels: []string{"cht-upgrade"}, AuthorName: "cht-gen", AuthorEmail: "cht-gen@example.org"}
}

func TestPushOpensPullRequest(t *testing.T) {
	clone := &fakeClone{}
	git, gh := &fakeGit{base: "main", clone: clone}, &fakeGitHub{}
	res, err := bump.New(git, gh).Run(context.Background(), toVersion("4.22.0"), pushOptions())
	if err != nil {
		t.Fatal(err)
	}
	if gh.checked != "medic-hosts/fleet" || git.cloneBase != "main" {
		t.Errorf("checked %q, cloned %q: want the remote's repository and default branch", gh.checked, git.cloneBase)
	}
	const branch = "cht-gen/main/bump-dev-4.22.0"
	if res.Branch != branch || clone.branch != branch || len(clone.pushed) != 1 || clone.pushed[0] != branch || !res.Pushed {
		t.Errorf("branch %q, committed on %q, pushed %q (%v)", res.Branch, clone.branch, clone.pushed, res.Pushed)
	}
	if !strings.HasPrefix(clone.message, "Bump dev to CHT 4.22.0\n\ndev: ") {
		t.Errorf("commit message %q", clone.message)
	}
	if len(gh.upserts) != 1 {
		t.Fatalf("%d pull requests", len(gh.upserts))
	}
	pr := gh.upserts[0]
	if pr.Head != branch || pr.Base != "main" || pr.Title != "Bump dev to CHT 4.22.0" || strings.Join(pr.Labels, ",") != "cht-upgrade" {
		t.Errorf("pull request %+v", pr)
	}
	for _, want := range []string{"**dev**: CHT 4.21.0 → 4.22.0", "releases/tag/4.22.0", "dev: ", "### Before merging"} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, pr.Body)
		}
	}
	if res.PR == nil || res.PR.Number != 7 || !res.PR.Created {
		t.Errorf("result PR %+v", res.PR)
	}
	if len(git.written) != 1 || !strings.HasSuffix(git.written[0], "deploy") {
		t.Errorf("output written to %q, want the clone's deploy", git.written)
	}
}

func TestPushNothingToPropose(t *testing.T) {
	for _, tc := range []struct {
		name     string
		clone    *fakeClone
		gh       *fakeGitHub
		opts     func(*bump.Options)
		wantPR   bool
		wantPush bool
		skipped  bool
	}{
		{name: "base already has the versions", clone: &fakeClone{unchanged: true}, gh: &fakeGitHub{}},
		{name: "reviewer closed it", clone: &fakeClone{}, gh: &fakeGitHub{closed: &bump.PullRequest{Number: 3}}, skipped: true},
		{name: "reopened", clone: &fakeClone{}, gh: &fakeGitHub{closed: &bump.PullRequest{Number: 3}}, opts: func(o *bump.Options) { o.Reopen = true }, wantPR: true, wantPush: true},
		{name: "remote branch has the tree", clone: &fakeClone{sameTree: true}, gh: &fakeGitHub{}, wantPR: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := pushOptions()
			if tc.opts != nil {
				tc.opts(&o)
			}
			res, err := bump.New(&fakeGit{base: "main", clone: tc.clone}, tc.gh).Run(context.Background(), toVersion("4.22.0"), o)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(tc.gh.upserts) == 1; got != tc.wantPR || (res.PR != nil) != tc.wantPR {
				t.Errorf("pull request opened: %v, want %v", got, tc.wantPR)
			}
			if got := len(tc.clone.pushed) == 1; got != tc.wantPush || res.Pushed != tc.wantPush {
				t.Errorf("pushed: %v, want %v", got, tc.wantPush)
			}
			if (res.Skipped != nil) != tc.skipped {
				t.Errorf("skipped %+v, want %v", res.Skipped, tc.skipped)
			}
			if !tc.wantPR && tc.clone.branch != "" {
				t.Errorf("committed on %s with nothing to propose", tc.clone.branch)
			}
		})
	}
}

func TestPushRefusedBeforeCloning(t *testing.T) {
	git := &fakeGit{base: "main", clone: &fakeClone{}}
	denied := errors.New("GitHub forbids it (403)")
	_, err := bump.New(git, &fakeGitHub{denied: denied}).Run(context.Background(), toVersion("4.22.0"), pushOptions())
	if !errors.Is(err, denied) || git.cloneBase != "" {
		t.Errorf("err %v, cloned %q: a refused token must stop the bump before anything is cloned", err, git.cloneBase)
	}
	if _, err := bump.New(git, nil).Run(context.Background(), toVersion("4.22.0"), pushOptions()); err == nil || !strings.Contains(err.Error(), "GitHub") {
		t.Errorf("no GitHub: %v", err)
	}
}

func TestPushBaseFlagAndRepoFlag(t *testing.T) {
	git, gh := &fakeGit{base: "main", clone: &fakeClone{}}, &fakeGitHub{}
	o := pushOptions()
	o.Base, o.Repo = "release", "other/fleet"
	res, err := bump.New(git, gh).Run(context.Background(), toVersion("4.22.0"), o)
	if err != nil {
		t.Fatal(err)
	}
	if git.cloneBase != "release" || gh.checked != "other/fleet" || res.Branch != "cht-gen/release/bump-dev-4.22.0" {
		t.Errorf("cloned %q, checked %q, branch %q", git.cloneBase, gh.checked, res.Branch)
	}
	o.Repo = "no-slash"
	if _, err := bump.New(git, gh).Run(context.Background(), toVersion("4.22.0"), o); err == nil || !strings.Contains(err.Error(), "want owner/name") {
		t.Errorf("bad --repo: %v", err)
	}
}

// A re-run force-pushes its branch only while every commit on it that the
// base lacks is cht-gen's (or a merge, e.g. GitHub's "Update branch"): a
// reviewer's commit is never thrown away.
func TestPushKeepsOthersCommits(t *testing.T) {
	mine := bump.Commit{Hash: "aaaa", Author: "cht-gen <cht-gen@example.org>", Message: "Bump dev to CHT 4.22.0\n\ndev: x\n\n" + bump.Trailer + "\n"}
	merge := bump.Commit{Hash: "bbbb", Author: "GitHub <noreply@github.com>", Message: "Merge branch 'main' into cht-gen/main/bump-dev-4.22.0", Merge: true}
	theirs := bump.Commit{Hash: "0123456789abcdef", Author: "Ana <ana@moh.example>", Message: "Fix the host name\n\nlonger text"}
	for _, tc := range []struct {
		name     string
		onBranch []bump.Commit
		wantErr  string
	}{
		{name: "no branch yet"},
		{name: "cht-gen's and a merge", onBranch: []bump.Commit{merge, mine}},
		{name: "a reviewer's commit", onBranch: []bump.Commit{theirs, mine}, wantErr: `has commits cht-gen did not make (0123456789ab "Fix the host name" by Ana <ana@moh.example>)`},
		{name: "an older cht-gen's commit without the trailer", onBranch: []bump.Commit{{Hash: "cccc", Author: "cht-gen", Message: "Bump dev to CHT 4.22.0\n"}}, wantErr: "nothing was pushed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clone, gh := &fakeClone{onBranch: tc.onBranch}, &fakeGitHub{}
			_, err := bump.New(&fakeGit{base: "main", clone: clone}, gh).Run(context.Background(), toVersion("4.22.0"), pushOptions())
			if tc.wantErr == "" {
				if err != nil || len(clone.pushed) != 1 || len(gh.upserts) != 1 {
					t.Errorf("err %v, pushed %v, %d pull requests", err, clone.pushed, len(gh.upserts))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || len(clone.pushed) != 0 || len(gh.upserts) != 0 {
				t.Errorf("err %v, pushed %v, %d pull requests; want %q and nothing pushed", err, clone.pushed, len(gh.upserts), tc.wantErr)
			}
		})
	}
	clone := &fakeClone{}
	if _, err := bump.New(&fakeGit{base: "main", clone: clone}, &fakeGitHub{}).Run(context.Background(), toVersion("4.22.0"), pushOptions()); err != nil || !strings.HasSuffix(clone.message, "\n\n"+bump.Trailer+"\n") {
		t.Errorf("commit message %q lacks the trailer (%v)", clone.message, err)
	}
}

// GitHub failing after the push (retries exhausted) leaves the branch on
// the remote: the error says so and that a re-run opens the pull request.
func TestPushPullRequestFailsAfterThePush(t *testing.T) {
	clone := &fakeClone{}
	gherr := errors.New("open pull request: GitHub answered 502: Server Error")
	_, err := bump.New(&fakeGit{base: "main", clone: clone}, &fakeGitHub{upsertErr: gherr}).Run(context.Background(), toVersion("4.22.0"), pushOptions())
	want := "cht-gen/main/bump-dev-4.22.0 is on origin but its pull request was not opened or updated: open pull request: GitHub answered 502: Server Error; run the same command again"
	if !errors.Is(err, gherr) || !strings.Contains(err.Error(), want) || len(clone.pushed) != 1 {
		t.Errorf("err %v, pushed %v; want %q", err, clone.pushed, want)
	}
}

// Environments the base branch does not have (renamed or added locally,
// not pushed) are named as such, not as an unreadable folder.
func TestPushEnvironmentsNotOnTheBase(t *testing.T) {
	clone := &fakeClone{}
	_, err := bump.New(&fakeGit{base: "main", clone: clone, envRel: "hosting/envs"}, &fakeGitHub{}).Run(context.Background(), toVersion("4.22.0"), pushOptions())
	if err == nil || !strings.Contains(err.Error(), "hosting/envs is not on origin's branch main: --push works on that branch") || len(clone.pushed) != 0 {
		t.Errorf("err %v, pushed %v", err, clone.pushed)
	}
}

// A fleet bumped together gets a branch Git can store (a ref is a file:
// 255 bytes at most) and a readable title; the same targets always give
// the same branch, so a re-run finds it.
func TestTopicAndTitleOfAFleet(t *testing.T) {
	fleet := func(n int, mixed bool) []bump.Target {
		var ts []bump.Target
		for i := range n {
			to := "4.22.0"
			if mixed && i == n-1 {
				to = "4.21.1"
			}
			ts = append(ts, bump.Target{Env: fmt.Sprintf("district-health-office-%02d", i), From: "4.20.0", To: to})
		}
		return ts
	}
	for _, tc := range []struct {
		targets      []bump.Target
		topic, title string
	}{
		{[]bump.Target{{Env: "prod", To: "4.22.0"}}, "bump-prod-4.22.0", "Bump prod to CHT 4.22.0"},
		{[]bump.Target{{Env: "prod", To: "4.22.0"}, {Env: "uat", To: "5.2.0"}}, "bump-prod-4.22.0-uat-5.2.0", "Bump CHT: prod to 4.22.0, uat to 5.2.0"},
		{fleet(46, false), "bump-46-environments-4.22.0-", "Bump 46 environments to CHT 4.22.0"},
		{fleet(46, true), "bump-46-environments-mixed-", "Bump CHT of 46 environments"},
	} {
		topic, title := bump.Topic(tc.targets), bump.Title(tc.targets)
		if !strings.HasPrefix(topic, tc.topic) || len(bump.BranchName("production", topic)) > 120 || title != tc.title {
			t.Errorf("%d targets: topic %q (want prefix %q), title %q (want %q)", len(tc.targets), topic, tc.topic, title, tc.title)
		}
		if again := bump.Topic(tc.targets); again != topic {
			t.Errorf("topic not stable: %q then %q", topic, again)
		}
	}
	if bump.Topic(fleet(46, false)) == bump.Topic(fleet(45, false)) || bump.Topic(fleet(46, false)[1:]) == bump.Topic(fleet(46, false)[:45]) {
		t.Error("two fleets share a branch")
	}
}
