package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/model"
)

// unreachableGitHub points GITHUB_API_URL at a port nothing listens on.
func unreachableGitHub(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	t.Setenv("GITHUB_API_URL", down.URL)
	t.Setenv("GITHUB_TOKEN", "")
}

// Offline, releases lists the releases this cht-gen knows, says so, and
// exits 0 (it used to retry for 15 s and fail).
func TestCLI_ReleasesOffline(t *testing.T) {
	unreachableGitHub(t)
	code, out, errs := runCLI(t, "releases")
	newest := model.KnownReleases()[0].Version
	if code != 0 || !strings.HasPrefix(out, newest+" ") || !strings.Contains(errs, "warning: GitHub's list of CHT releases could not be read") ||
		!strings.Contains(errs, "up to "+newest) || strings.Contains(out, "-beta.") || !strings.Contains(out, "\n4.0.0 ") {
		t.Errorf("exit %d\n%s\n%s", code, errs, out)
	}
	code, out, errs = runCLI(t, "releases", "--channel", "beta", "--output", "json")
	var r releasesJSON
	decodeJSON(t, out, &r)
	if code != 0 || errs != "" || !r.OK || r.Source != "cht-gen" || len(r.Warnings) != 1 || len(r.Releases) != len(model.KnownReleases()) || r.Releases[0].Version != newest {
		t.Errorf("exit %d %s\n%+v", code, errs, r)
	}
}

// Offline, bump --latest moves an environment to the newest release this
// cht-gen knows that its channel and policy allow, with a warning.
func TestCLI_BumpLatestOffline(t *testing.T) {
	unreachableGitHub(t)
	work, _ := hostingRepo(t)
	setVersions(t, filepath.Join(work, "environments"), pinnedVersions)
	envs, deploy := filepath.Join(work, "environments"), filepath.Join(work, "deploy")
	code, out, errs := runCLI(t, "bump", "prod", "--latest", "-e", envs, "--out", deploy)
	b, _ := os.ReadFile(filepath.Join(envs, "cluster.cue"))
	if code != 0 || !strings.Contains(string(b), `version: "4.22.0"`) || !strings.Contains(errs, "warning: GitHub's list of CHT releases could not be read") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "bump", "prod", "--latest", "--major", "-e", envs, "-o", deploy, "--output", "json")
	var r bumpJSON
	decodeJSON(t, out, &r)
	if code != 0 || len(r.Environments) != 1 || r.Environments[0].To != model.KnownReleases()[0].Version || len(r.Warnings) != 1 {
		t.Errorf("--major offline: exit %d\n%s", code, out)
	}
}

// bump without --push prints Medic's 4.x -> 5.x checklist (text and JSON)
// with GitHub out of reach: the advice is built in.
func TestCLI_BumpPrintsTheChecklistWithoutGitHub(t *testing.T) {
	unreachableGitHub(t)
	work, _ := hostingRepo(t)
	envs, deploy := filepath.Join(work, "environments"), filepath.Join(work, "deploy")
	setVersions(t, envs, pinnedVersions)
	code, out, errs := runCLI(t, "bump", "prod", "dev", "--to", "5.3.1", "-e", envs, "--out", deploy)
	for _, want := range []string{"Moving to CHT 5.x: before merging", "- [ ] (prod) Stage CHT 5.3.1 in the admin app",
		"- [ ] (dev) CouchDB's disk has room", "#token-login-requires-app_url", "- [ ] Users' Chrome"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q: exit %d\n%s%s", want, code, out, errs)
		}
	}
	if code != 0 || strings.Contains(errs, "warning") {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}

	// Within 5.x: no checklist.
	code, out, _ = runCLI(t, "bump", "uat", "--to", "5.3.1", "-e", envs, "-o", deploy, "--output", "json")
	var r bumpJSON
	decodeJSON(t, out, &r)
	if code != 0 || r.Checklist == nil || len(r.Checklist) != 0 && !strings.HasPrefix(r.Environments[0].From, "4.") {
		t.Errorf("uat: exit %d\n%s", code, out)
	}
	work2, _ := hostingRepo(t)
	envs2 := filepath.Join(work2, "environments")
	setVersions(t, envs2, pinnedVersions)
	code, out, _ = runCLI(t, "bump", "prod", "--to", "5.3.1", "-e", envs2, "-o", filepath.Join(work2, "deploy"), "--output", "json")
	decodeJSON(t, out, &r)
	if code != 0 || len(r.Checklist) < 8 || strings.Join(r.Checklist[0].Environments, ",") != "prod" || !strings.Contains(r.Checklist[0].URL, "preparing-for-5") {
		t.Errorf("prod JSON checklist: exit %d\n%s", code, out)
	}
}
