package repo

import (
	"context"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// bareOrigin is a bare repository whose main holds deploy/a.yml.
func bareOrigin(t *testing.T) string {
	t.Helper()
	bare := filepath.Join(t.TempDir(), "origin.git")
	if _, err := git.PlainInit(bare, true); err != nil {
		t.Fatal(err)
	}
	seed := t.TempDir()
	r, err := git.PlainInitWithOptions(seed, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(seed, "deploy"), 0o755)
	os.WriteFile(filepath.Join(seed, "deploy", "a.yml"), []byte("a: 1\n"), 0o644)
	wt, _ := r.Worktree()
	wt.AddWithOptions(&git.AddOptions{All: true})
	if _, err := wt.Commit("seed", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.org", When: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{bare}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(&git.PushOptions{RemoteName: "origin"}); err != nil {
		t.Fatal(err)
	}
	return bare
}

// pushedFiles lists the files of branch on the bare repository.
func pushedFiles(t *testing.T, bare, branch string) []string {
	t.Helper()
	r, _ := git.PlainOpen(bare)
	ref, err := r.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		t.Fatalf("branch %s: %v", branch, err)
	}
	c, _ := r.CommitObject(ref.Hash())
	tree, _ := c.Tree()
	var out []string
	tree.Files().ForEach(func(f *object.File) error {
		out = append(out, f.Name)
		return nil
	})
	sort.Strings(out)
	return out
}

// A bump's clone stages what cht-gen rendered and the manifest, never the
// lock or a temporary file a write left behind; those alone are no change.
func TestClone_StageLeavesUnsharedFilesOut(t *testing.T) {
	bare := bareOrigin(t)
	dir := t.TempDir()
	c, err := Remote{}.Clone(context.Background(), bare, "main", dir)
	if err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		t.Helper()
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("deploy/"+LockName, "")
	write("deploy/"+manifestTemp, "partial")
	write("deploy/compose/prod/"+filepath.Base(tempName("cht-core.yml", "abc123")), "partial")
	if changed, err := c.Stage(); err != nil || changed {
		t.Fatalf("only unshared files: changed %v, %v", changed, err)
	}

	write("deploy/a.yml", "a: 2\n")
	write("deploy/"+ManifestName, "# manifest\n")
	if changed, err := c.Stage(); err != nil || !changed {
		t.Fatalf("a rendered change: changed %v, %v", changed, err)
	}
	if err := c.CommitOnBranch("cht-gen/main/x", "x", "cht-gen", "cht-gen@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Push(context.Background(), "cht-gen/main/x"); err != nil {
		t.Fatal(err)
	}
	got := pushedFiles(t, bare, "cht-gen/main/x")
	if want := []string{"deploy/" + ManifestName, "deploy/a.yml"}; !slices.Equal(got, want) {
		t.Errorf("pushed %v, want %v", got, want)
	}
}

// httpOrigin serves bare over smart HTTP through the real
// git-http-backend, which runs the repository's hooks (go-git's file
// transport does not).
func httpOrigin(t *testing.T, bare string) string {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git is not installed:", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("no git-http-backend:", err)
	}
	srv := httptest.NewServer(&cgi.Handler{Path: backend, Env: []string{
		"GIT_PROJECT_ROOT=" + filepath.Dir(bare), "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true",
	}})
	t.Cleanup(srv.Close)
	return srv.URL + "/" + filepath.Base(bare)
}

// A refused push says why, in the remote's words (a protected branch, a
// repository rule): "pre-receive hook declined" alone names no cause.
func TestClone_PushSaysWhyTheRemoteRefused(t *testing.T) {
	bare := bareOrigin(t)
	url := httpOrigin(t, bare)
	os.MkdirAll(filepath.Join(bare, "hooks"), 0o755)
	hook := "#!/bin/sh\necho 'error: GH006: Protected branch update failed for refs/heads/cht-gen/main/x.' >&2\nprintf '\\033[31mcontact your admin\\033[0m\\n' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bare, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c, err := Remote{}.Clone(context.Background(), url, "main", dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "deploy", "a.yml"), []byte("a: 2\n"), 0o644)
	if changed, err := c.Stage(); err != nil || !changed {
		t.Fatalf("changed %v, %v", changed, err)
	}
	if err := c.CommitOnBranch("cht-gen/main/x", "x", "cht-gen", "cht-gen@example.org"); err != nil {
		t.Fatal(err)
	}
	err = c.Push(context.Background(), "cht-gen/main/x")
	want := "(the remote said: error: GH006: Protected branch update failed for refs/heads/cht-gen/main/x.; contact your admin)"
	if err == nil || !strings.HasSuffix(err.Error(), want) || !strings.Contains(err.Error(), "pre-receive hook declined") {
		t.Fatalf("got %v\nwant it to end %q", err, want)
	}
	// Without a refusal the remote's chatter is not reported.
	os.Remove(filepath.Join(bare, "hooks", "pre-receive"))
	if err := c.Push(context.Background(), "cht-gen/main/x"); err != nil {
		t.Fatal(err)
	}
}

// A base branch the remote lacks is named as such.
func TestClone_MissingBaseBranch(t *testing.T) {
	_, err := Remote{}.Clone(context.Background(), bareOrigin(t), "develop", t.TempDir())
	if err == nil || err.Error() != `the remote has no branch "develop": name an existing one with --base` {
		t.Errorf("got %v", err)
	}
}

// A remote that refuses the token's push (403) or wants credentials (401)
// says what the token lacks, and never prints it.
func TestClone_PushRefusedCredentials(t *testing.T) {
	const tok = "ghs_pushTOKENsentinel"
	for _, tc := range []struct {
		status int
		want   string
	}{
		{http.StatusForbidden, "it needs contents write access; in GitHub Actions, permissions: contents: write"},
		{http.StatusUnauthorized, "the remote refused GITHUB_TOKEN"},
	} {
		bare := bareOrigin(t)
		upstream, _ := url.Parse(httpOrigin(t, bare))
		proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: upstream.Scheme, Host: upstream.Host})
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, _ := r.BasicAuth(); u != "x-access-token" || p != tok {
				t.Errorf("%s %s: basic auth %q", r.Method, r.URL, u)
			}
			if strings.Contains(r.URL.String(), "receive-pack") {
				http.Error(w, "Permission denied", tc.status)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		installFileProtocol()
		client.InstallProtocol("https", githttp.NewClient(srv.Client()))
		dir := t.TempDir()
		g := Remote{Token: tok}
		c, err := g.Clone(context.Background(), srv.URL+upstream.Path, "main", dir)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "deploy", "a.yml"), []byte("a: 2\n"), 0o644)
		c.Stage()
		c.CommitOnBranch("cht-gen/main/x", "x", "cht-gen", "cht-gen@example.org")
		err = c.Push(context.Background(), "cht-gen/main/x")
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tok) {
			t.Errorf("%d: got %v, want %q", tc.status, err, tc.want)
		}
		srv.Close()
	}
	client.InstallProtocol("https", githttp.DefaultClient)
}
