package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
)

var testSum = strings.Repeat("ab", 32)

// gitRepo is a fresh `git init` with origin set (go-git, as a host would
// have after creating the repository on GitHub).
func gitRepo(t *testing.T, origin string) string {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{origin}}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestInit_FreshRepositoryWorksOnFirstPush(t *testing.T) {
	dir := gitRepo(t, "https://user:S3NTINEL@github.com/moh/cht-hosting")
	code, out, errs := runCLI(t, "init", dir, "--release-version", "1.4.0", "--release-sha256", testSum)
	if code != 0 {
		t.Fatalf("init exit %d: %s%s", code, out, errs)
	}
	for _, p := range []string{".github/workflows/cht-gen.yml", ".github/workflows/cht-gen-bump.yml", ".gitignore", "README.md",
		"environments/gitops.cue", "environments/example-vm.cue", "environments/example-k8s.cue",
		"deploy/compose/example-vm/cht-core.yml", "deploy/kubernetes/overlays/example-k8s/kustomization.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	gitops, _ := os.ReadFile(filepath.Join(dir, "environments/gitops.cue"))
	if !strings.Contains(string(gitops), `branch:     "master"`) {
		t.Errorf("gitops.cue does not follow the repository's branch (master, go-git's PlainInit default):\n%s", gitops)
	}
	if !strings.Contains(string(gitops), `repoURL:    "https://github.com/moh/cht-hosting"`) || strings.Contains(string(gitops), "S3NTINEL") {
		t.Errorf("gitops.cue: want the origin without credentials:\n%s", gitops)
	}
	wf, _ := os.ReadFile(filepath.Join(dir, ".github/workflows/cht-gen.yml"))
	for _, want := range []string{"uses: cht-gen/cht-gen@v1.4.0", `version: "1.4.0"`, `branches: ["master"]`, `sha256: "` + testSum + `"`, "cht-gen validate", "cht-gen render --check", "gh pr comment"} {
		if !strings.Contains(string(wf), want) {
			t.Errorf("cht-gen.yml lacks %q", want)
		}
	}
	bump, _ := os.ReadFile(filepath.Join(dir, ".github/workflows/cht-gen-bump.yml"))
	for _, want := range []string{"schedule:", "workflow_dispatch:", "args+=(--all)", "args+=(--latest)", "--push", "uses: cht-gen/cht-gen@v1.4.0"} {
		if !strings.Contains(string(bump), want) {
			t.Errorf("cht-gen-bump.yml lacks %q", want)
		}
	}
	gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if !strings.Contains(string(gi), "\n.env\n") || !strings.Contains(string(gi), "!.env.example") {
		t.Errorf(".gitignore: %s", gi)
	}
	// `git add deploy` takes the manifest, never the lock file.
	r, _ := git.PlainOpen(dir)
	wt, _ := r.Worktree()
	st, _ := wt.Status()
	_, locked := st["deploy/.cht-gen.lock"]
	if manifest := st.File("deploy/.cht-gen-manifest").Worktree; locked || manifest != git.Untracked {
		t.Errorf("git status after init: lock listed %v, manifest %q; want the manifest to add and the lock ignored", locked, manifest)
	}
	// The repository checks out as CI would: validate, render --check.
	envs, deploy := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	if code, _, errs := runCLI(t, "validate", "-e", envs); code != 0 {
		t.Fatalf("validate: %s", errs)
	}
	if code, out, errs := runCLI(t, "render", "--check", "-e", envs, "--out", deploy); code != 0 {
		t.Fatalf("render --check after init: %s%s", out, errs)
	}
	if bin, err := exec.LookPath("actionlint"); err == nil {
		cmd := exec.Command(bin, ".github/workflows/cht-gen.yml", ".github/workflows/cht-gen-bump.yml")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("actionlint: %v\n%s", err, out)
		}
	} else {
		t.Log("actionlint not on PATH (make test installs it): workflows not linted")
	}

	// Twice: nothing changes.
	before := snapshot(t, dir)
	if code, out, errs := runCLI(t, "init", dir, "--release-version", "1.4.0", "--release-sha256", testSum); code != 0 || strings.Contains(out, "created") || strings.Contains(out, "replaced") {
		t.Fatalf("second init: exit %d %s%s", code, out, errs)
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("second init changed files:\nbefore %s\nafter  %s", before, after)
	}

	// Once the host has environments of its own, deleted examples stay deleted.
	os.WriteFile(filepath.Join(dir, "environments", "prod.cue"), []byte("package environments\n\nenvironments: prod: {target: \"compose\", version: \"5.2.0\", host: \"prod.example.org\"}\n"), 0o644)
	os.Remove(filepath.Join(dir, "environments", "example-vm.cue"))
	if code, out, errs := runCLI(t, "init", dir, "--release-version", "1.4.0", "--release-sha256", testSum); code != 0 || strings.Contains(out, "created") || !strings.Contains(errs, "no examples written") {
		t.Fatalf("init with own environments: exit %d %s%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "environments", "example-vm.cue")); err == nil {
		t.Error("init re-created a deleted example")
	}

	// The README is the host's once it exists: an edited one is kept
	// byte for byte, with and without --force. A file cht-gen owns (the
	// workflows pin 1.4.0) is not replaced without --force; nothing is
	// written then.
	readme := filepath.Join(dir, "README.md")
	os.WriteFile(readme, []byte("our own README\n"), 0o644)
	before = snapshot(t, dir)
	code, out, errs = runCLI(t, "init", dir, "--release-version", "1.5.0", "--release-sha256", testSum)
	if code != 1 || !strings.Contains(errs, "cht-gen.yml") || !strings.Contains(errs, "--force") || strings.Contains(errs, "README.md") {
		t.Fatalf("init over edited workflows: exit %d %s%s", code, out, errs)
	}
	if after := snapshot(t, dir); after != before {
		t.Error("a refused init wrote files")
	}
	code, out, errs = runCLI(t, "init", dir, "--force", "--release-version", "1.5.0", "--release-sha256", testSum)
	if code != 0 || strings.Contains(out, "README.md") || !strings.Contains(out, "replaced "+filepath.Join(dir, ".github/workflows/cht-gen.yml")) ||
		!strings.Contains(errs, "kept "+readme+": it exists (cht-gen writes it only when absent)\n") {
		t.Fatalf("init --force: exit %d %s%s", code, out, errs)
	}
	if b, _ := os.ReadFile(readme); string(b) != "our own README\n" {
		t.Errorf("init --force replaced the host's README: %q", b)
	}
}

// TestInit_KeepsTheREADMEAndGitignoreGitHubCreated: a repository created on
// GitHub starts with both; init (also --force, which the no-origin message
// suggests) leaves them byte for byte, says so, and names what the
// .gitignore lacks to keep credentials out of Git.
func TestInit_KeepsTheREADMEAndGitignoreGitHubCreated(t *testing.T) {
	const readmeText = "# cht-hosting\nOur CHT instances.\n"
	const gitignoreText = "# Go\n*.exe\n*.test\n\n# env file\n.env\n"
	for _, args := range [][]string{{}, {"--force"}} {
		t.Run(fmt.Sprint("init", args), func(t *testing.T) {
			dir := gitRepo(t, "https://github.com/moh/cht-hosting")
			readme, gitignore := filepath.Join(dir, "README.md"), filepath.Join(dir, ".gitignore")
			os.WriteFile(readme, []byte(readmeText), 0o644)
			os.WriteFile(gitignore, []byte(gitignoreText), 0o644)
			code, out, errs := runCLI(t, append([]string{"init", dir, "--release-version", "1.4.0", "--release-sha256", testSum}, args...)...)
			if code != 0 {
				t.Fatalf("init: exit %d %s%s", code, out, errs)
			}
			wantErrs := "kept " + gitignore + ": it exists (cht-gen writes it only when absent)\n" +
				"kept " + readme + ": it exists (cht-gen writes it only when absent)\n" +
				gitignore + " lets Git commit files that must stay out of it (credentials in .env files, cht-gen's lock file): add these lines to it: *.env .env.* .cht-gen.lock\n"
			if errs != wantErrs {
				t.Errorf("stderr:\n%s\nwant:\n%s", errs, wantErrs)
			}
			if strings.Contains(out, "README.md") || strings.Contains(out, ".gitignore") || !strings.Contains(out, "created  "+filepath.Join(dir, "environments/gitops.cue")) {
				t.Errorf("stdout:\n%s", out)
			}
			if b, _ := os.ReadFile(readme); string(b) != readmeText {
				t.Errorf("README.md changed: %q", b)
			}
			if b, _ := os.ReadFile(gitignore); string(b) != gitignoreText {
				t.Errorf(".gitignore changed: %q", b)
			}
		})
	}
}

func TestInit_WithoutOriginWritesAPlaceholderValidationRejects(t *testing.T) {
	dir := gitRepo(t, "")
	code, _, errs := runCLI(t, "init", dir, "--release-version", "1.4.0", "--release-sha256", testSum)
	if code != 1 || !strings.Contains(errs, "no origin remote") {
		t.Fatalf("init without origin: exit %d %s", code, errs)
	}
	code, _, errs = runCLI(t, "validate", "-e", filepath.Join(dir, "environments"))
	if code != 1 || !strings.Contains(errs, "gitops.cue:") || !strings.Contains(errs, "SET-ME") {
		t.Fatalf("validate with the placeholder: exit %d %s", code, errs)
	}
	code, _, errs = runCLI(t, "init", dir, "--force", "--repo-url", "https://github.com/moh/x", "--release-version", "1.4.0", "--release-sha256", testSum)
	if code != 0 {
		t.Fatalf("init --repo-url: %s", errs)
	}
	if code, _, errs := runCLI(t, "validate", "-e", filepath.Join(dir, "environments")); code != 0 {
		t.Fatalf("validate after --repo-url: %s", errs)
	}
}

func TestInit_ReadsTheChecksumOfItsRelease(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path != "/v2.0.1/cht-gen_2.0.1_checksums.txt" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "%s  cht-gen_2.0.1_darwin_arm64.tar.gz\n%s  cht-gen_2.0.1_linux_amd64.tar.gz\n", strings.Repeat("0", 64), testSum)
	}))
	defer srv.Close()
	dir := gitRepo(t, "https://github.com/moh/x")
	code, _, errs := runCLI(t, "init", dir, "--release-version", "2.0.1", "--releases-url", srv.URL)
	if code != 0 {
		t.Fatalf("init: %s (requests %v)", errs, paths)
	}
	wf, _ := os.ReadFile(filepath.Join(dir, ".github/workflows/cht-gen.yml"))
	if !strings.Contains(string(wf), testSum) {
		t.Errorf("workflow does not pin the linux amd64 checksum:\n%s", wf)
	}
	code, _, errs = runCLI(t, "init", t.TempDir(), "--repo-url", "https://github.com/moh/x", "--release-version", "9.9.9", "--releases-url", srv.URL)
	if code != 1 || !strings.Contains(errs, "404") || !strings.Contains(errs, "--release-sha256") {
		t.Errorf("missing release: exit %d %s", code, errs)
	}
	code, _, errs = runCLI(t, "init", t.TempDir(), "--repo-url", "https://github.com/moh/x")
	if code != 1 || !strings.Contains(errs, "development build") {
		t.Errorf("dev build without --release-version: exit %d %s", code, errs)
	}
	code, _, errs = runCLI(t, "init", t.TempDir(), "--repo-url", "https://github.com/moh/x\"\n  evil: 1", "--release-version", "1.0.0", "--release-sha256", testSum)
	if code != 1 || !strings.Contains(errs, "repository URL") {
		t.Errorf("hostile repo URL: exit %d %s", code, errs)
	}
	code, _, errs = runCLI(t, "init", t.TempDir(), "--repo-url", "https://github.com/moh/x", "--branch", "main\"]\non: push", "--release-version", "1.0.0", "--release-sha256", testSum)
	if code != 1 || !strings.Contains(errs, "not a plain Git branch name") {
		t.Errorf("hostile branch: exit %d %s", code, errs)
	}
}

func TestAdoptionCommands_Help(t *testing.T) {
	for _, args := range [][]string{{"init"}, {"import"}, {"import", "helm"}, {"import", "compose"}} {
		code, out, _ := runCLI(t, append(args, "--help")...)
		if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "Examples:") {
			t.Errorf("%v --help: %d %s", args, code, out)
		}
	}
	if code, _, errs := runCLI(t, "import", "helm"); code != 2 || !strings.Contains(errs, "--help") {
		t.Errorf("import helm without files: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "import", "helm", "--name", "a", "x.yaml", "y.yaml"); code != 2 || !strings.Contains(errs, "one values file") {
		t.Errorf("--name with two files: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "import", "helm", "--cluster", "../etc", "x.yaml"); code != 2 || !strings.Contains(errs, "not a valid name") {
		t.Errorf("--cluster ../etc: exit %d %s", code, errs)
	}
}

// A subfolder of a repository is refused before anything is written:
// GitHub would never run its .github/workflows, and Flux / Argo CD would
// read deploy/ from the root (pathPrefix "deploy").
func TestInit_RefusesASubfolderOfARepository(t *testing.T) {
	root := gitRepo(t, "git@github.com:moh/hosting.git")
	for _, sub := range []string{"sub dir", "new/folder"} {
		dir := filepath.Join(root, sub)
		if sub == "sub dir" {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		code, out, errs := runCLI(t, "init", dir, "--release-version", "1.4.0", "--release-sha256", testSum)
		if code != 1 || !strings.Contains(errs, "init scaffolds a repository's root") || !strings.Contains(errs, filepath.Join(root, ".github", "workflows")) || out != "" {
			t.Errorf("init %s: exit %d\n%s%s", sub, code, out, errs)
		}
	}
	entries, _ := os.ReadDir(root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, ","); got != ".git,sub dir" {
		t.Errorf("init wrote into the repository: %s", got)
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "sub dir")); len(entries) != 0 {
		t.Errorf("init wrote into the subfolder: %v", entries)
	}
	// The root itself is fine.
	if code, _, errs := runCLI(t, "init", root, "--release-version", "1.4.0", "--release-sha256", testSum); code != 0 {
		t.Errorf("init at the root: %s", errs)
	}
}

// deploy/ as a link out of the repository is refused before the scaffold
// is written: init renders into the repository only.
func TestInit_RefusesDeployLinkedOutOfTheRepository(t *testing.T) {
	dir, outside := gitRepo(t, "https://github.com/moh/x"), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "deploy")); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "init", dir, "--release-version", "1.4.0", "--release-sha256", testSum)
	if code != 1 || !strings.Contains(errs, "through a symbolic link") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("rendered outside the repository: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "environments")); err == nil {
		t.Error("the scaffold was written although deploy/ was refused")
	}
}

// With a detached HEAD (a checkout of a tag or commit) the branch Flux /
// Argo CD follow and CI checks is origin's default branch, not "main".
func TestInit_DetachedHeadFollowsOriginsDefaultBranch(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	tmp := t.TempDir()
	gitRun := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun(tmp, "init", "-q", "--bare", "-b", "develop", "origin.git")
	gitRun(tmp, "clone", "-q", filepath.Join(tmp, "origin.git"), "seed")
	gitRun(filepath.Join(tmp, "seed"), "commit", "-q", "--allow-empty", "-m", "first")
	gitRun(filepath.Join(tmp, "seed"), "push", "-q", "origin", "HEAD:develop")
	gitRun(tmp, "clone", "-q", filepath.Join(tmp, "origin.git"), "work")
	work := filepath.Join(tmp, "work")
	gitRun(work, "checkout", "-q", "--detach")
	code, _, errs := runCLI(t, "init", work, "--repo-url", "https://github.com/moh/x", "--release-version", "1.4.0", "--release-sha256", testSum)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	gitops, _ := os.ReadFile(filepath.Join(work, "environments", "gitops.cue"))
	wf, _ := os.ReadFile(filepath.Join(work, ".github", "workflows", "cht-gen.yml"))
	if !strings.Contains(string(gitops), `branch:     "develop"`) || !strings.Contains(string(wf), `branches: ["develop"]`) {
		t.Errorf("detached HEAD: want origin's develop:\n%s", gitops)
	}
}
