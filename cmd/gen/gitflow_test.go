package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// hostingRepo is a Git repository (branch main) in a temp dir holding a
// copy of the example environments at pinnedVersions, rendered and
// committed.
func hostingRepo(t *testing.T) (dir string, commit func(msg string)) {
	t.Helper()
	dir = t.TempDir()
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := filepath.Glob("../../environments/*.cue")
	os.MkdirAll(filepath.Join(dir, "environments"), 0o755)
	for _, f := range src {
		b, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(dir, "environments", filepath.Base(f)), b, 0o644)
	}
	// The tests below start from fixed versions, whatever the examples hold.
	setVersions(t, filepath.Join(dir, "environments"), pinnedVersions)
	wt, _ := r.Worktree()
	commit = func(msg string) {
		t.Helper()
		if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.org", When: time.Now()}}); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errs := runCLI(t, "render", "-e", filepath.Join(dir, "environments"), "--out", filepath.Join(dir, "deploy")); code != 0 {
		t.Fatalf("render: %s", errs)
	}
	commit("render examples")
	return dir, commit
}

func TestCLI_CheckAndDiffOnAGitRepository(t *testing.T) {
	dir, commit := hostingRepo(t)
	envs, out := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	cli := func(args ...string) (int, string, string) {
		return runCLI(t, append(args, "-e", envs, "--out", out)...)
	}

	code, stdout, errs := cli("diff", "--exit-code")
	if code != 0 || strings.Contains(stdout, "---") {
		t.Fatalf("fresh render differs from HEAD: exit %d\n%s%s", code, stdout, errs)
	}
	if !strings.Contains(stdout, "prod: unchanged\n") || !strings.Contains(stdout, "clusters/moh-eks: unchanged\n") || !strings.Contains(stdout, "dev: unchanged\n") {
		t.Errorf("summary:\n%s", stdout)
	}

	// A version bump in the environment file, not yet rendered.
	cue := filepath.Join(envs, "cluster.cue")
	b, _ := os.ReadFile(cue)
	os.WriteFile(cue, []byte(strings.Replace(string(b), `version: "4.21.1"`, `version: "4.22.0"`, 1)), 0o644)

	code, stdout, _ = cli("render", "--check")
	if code != 1 || !strings.Contains(stdout, "stale   "+out+"/kubernetes/overlays/prod/patch-api.yaml") {
		t.Errorf("check after a bump: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = cli("diff", "--exit-code")
	if code != 1 {
		t.Errorf("diff --exit-code after a bump: exit %d", code)
	}
	for _, want := range []string{
		"prod: cht-api, cht-couchdb-1, cht-couchdb-2, cht-couchdb-3, cht-haproxy, cht-haproxy-healthcheck, cht-sentinel image 4.21.1 -> 4.22.0; 7 changed, 0 added, 0 removed\n",
		"staging: unchanged\n",
		"-        image: public.ecr.aws/medic/cht-api:4.21.1\n+        image: public.ecr.aws/medic/cht-api:4.22.0\n",
		"--- HEAD: prod: Deployment/cht-api\n+++ working tree: prod: Deployment/cht-api\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "staging: Deployment") {
		t.Error("diff shows objects of an unchanged environment")
	}

	// Render and commit: clean again; the previous commit still shows the bump.
	if code, _, errs := cli("render"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := cli("render", "--check"); code != 0 {
		t.Fatalf("check after render: %s", errs)
	}
	commit("bump prod to 4.22.0")
	if code, stdout, _ := cli("diff", "--exit-code", "--stat"); code != 0 {
		t.Errorf("diff after commit: exit %d\n%s", code, stdout)
	}
	_, stdout, _ = cli("diff", "--stat", "--base", "HEAD~1")
	if !strings.Contains(stdout, "prod: cht-api, ") || !strings.Contains(stdout, "image 4.21.1 -> 4.22.0") {
		t.Errorf("diff --base HEAD~1:\n%s", stdout)
	}

	// Removing an environment shows it removed.
	os.WriteFile(filepath.Join(envs, "prod-vm.cue"), []byte("package environments\n"), 0o644)
	_, stdout, _ = cli("diff", "--stat")
	if !strings.Contains(stdout, "district-vm: removed (") {
		t.Errorf("diff after removing district-vm:\n%s", stdout)
	}
}

func TestCLI_DiffOutsideGit(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := runCLI(t, "diff", "-e", "../../environments", "--out", filepath.Join(dir, "deploy"))
	if code != 1 || !strings.Contains(errs, "not in a Git repository") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
