package repo

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// In a shallow clone (CI's default checkout) a base that was not fetched
// is explained, with how to fetch it; in a full clone it is not.
func TestReadCommitted_ShallowCloneSaysHowToFetchTheBase(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	bare := bareOrigin(t)
	seed := t.TempDir()
	gitRun := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun(seed, "clone", "-q", "-b", "main", bare, ".")
	gitRun(seed, "commit", "-q", "--allow-empty", "-m", "second")
	gitRun(seed, "push", "-q", "origin", "HEAD:main")

	for _, tc := range []struct {
		depth string
		ref   string
		hint  bool
	}{
		{"--depth=1", "HEAD~1", true},
		{"--depth=1", "origin/other", true},
		{"", "origin/other", false},
	} {
		dir := t.TempDir()
		args := []string{"clone", "-q", "-b", "main", "file://" + bare, "."}
		if tc.depth != "" {
			args = append(args, tc.depth)
		}
		gitRun(dir, args...)
		_, err := ReadCommitted(filepath.Join(dir, "deploy"), tc.ref)
		if err == nil || !strings.Contains(err.Error(), "no such revision") {
			t.Fatalf("%s %s: %v", tc.depth, tc.ref, err)
		}
		if got := strings.Contains(err.Error(), "shallow clone") && strings.Contains(err.Error(), "fetch-depth: 0"); got != tc.hint {
			t.Errorf("clone %q, --base %s: hint %v, want %v: %v", tc.depth, tc.ref, got, tc.hint, err)
		}
	}
	// The full clone reads HEAD~1.
	dir := t.TempDir()
	gitRun(dir, "clone", "-q", "-b", "main", bare, ".")
	if set, err := ReadCommitted(filepath.Join(dir, "deploy"), "HEAD~1"); err != nil || len(set) != 1 {
		t.Errorf("HEAD~1 in a full clone: %v %v", set, err)
	}
}
