package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cht-gen/cht-gen/internal/fakegithub"
)

func TestOutputJSON_Releases(t *testing.T) {
	gh := fakegithub.New(t, "")
	day := time.Date(2026, 11, 3, 9, 30, 0, 0, time.FixedZone("EAT", 3*3600))
	gh.Releases = []fakegithub.Release{{Tag: "4.22.0", Published: day}, {Tag: "5.1.0-beta.1"}, {Tag: "5.0.0", Published: day.AddDate(0, -1, 0)}, {Tag: "4.22.1", Prerelease: true}}
	t.Setenv("GITHUB_API_URL", gh.URL)
	t.Setenv("GITHUB_TOKEN", "")
	code, out, errs := runCLI(t, "releases", "--channel", "beta", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	var r releasesJSON
	decodeJSON(t, out, &r)
	want := []releaseJSON{
		{Version: "5.1.0-beta.1", Tag: "5.1.0-beta.1", Major: 5, Prerelease: true, URL: gh.URL + "/medic/cht-core/releases/tag/5.1.0-beta.1"},
		{Version: "5.0.0", Tag: "5.0.0", Major: 5, Date: "2026-10-03T06:30:00Z", URL: gh.URL + "/medic/cht-core/releases/tag/5.0.0"},
		{Version: "4.22.1", Tag: "4.22.1", Major: 4, Prerelease: true, URL: gh.URL + "/medic/cht-core/releases/tag/4.22.1"},
		{Version: "4.22.0", Tag: "4.22.0", Major: 4, Date: "2026-11-03T06:30:00Z", URL: gh.URL + "/medic/cht-core/releases/tag/4.22.0"},
	}
	if !r.OK || r.Channel != "beta" || r.Errors == nil || len(r.Releases) != len(want) {
		t.Fatalf("%+v", r)
	}
	for i := range want {
		if r.Releases[i] != want[i] {
			t.Errorf("release %d: got %+v, want %+v", i, r.Releases[i], want[i])
		}
	}
	// Text stays the default, in the same order.
	code, text, _ := runCLI(t, "releases")
	if code != 0 || strings.Contains(text, "{") || strings.Index(text, "5.0.0") > strings.Index(text, "4.22.0") || strings.Contains(text, "4.22.1") {
		t.Errorf("text output: exit %d\n%s", code, text)
	}
}

func TestOutputJSON_Bump(t *testing.T) {
	work, _ := hostingRepo(t)
	envs, deploy := filepath.Join(work, "environments"), filepath.Join(work, "deploy")
	cli := func(args ...string) (int, string, string) {
		code, out, errs := runCLI(t, append(args, "-e", envs, "--out", deploy)...)
		if out != "" && !json.Valid([]byte(out)) {
			t.Errorf("stdout is not one JSON document:\n%s", out)
		}
		return code, out, errs
	}

	// A refusal changes nothing and names the environment's file, line and field.
	snap := snapshot(t, work)
	code, out, errs := cli("bump", "prod", "--to", "4.20.0", "--output", "json")
	var refused bumpJSON
	decodeJSON(t, out, &refused)
	if code != 1 || refused.OK || len(refused.Errors) != 1 || len(refused.Environments) != 0 {
		t.Fatalf("refused: exit %d %+v %s", code, refused, errs)
	}
	if e := refused.Errors[0]; !strings.HasSuffix(e.File, "environments/cluster.cue") || e.Line == 0 || e.Column == 0 ||
		e.Path != "environments.prod.version" || !strings.Contains(e.Message, "older than its current 4.21.1") {
		t.Errorf("refusal: %+v", e)
	}
	if snapshot(t, work) != snap {
		t.Error("a refused bump changed the work tree")
	}

	code, out, errs = cli("bump", "prod", "staging", "--to", "4.22.0", "--output", "json")
	var r bumpJSON
	decodeJSON(t, out, &r)
	if code != 0 || !r.OK || len(r.Errors) != 0 || len(r.Environments) != 1 || len(r.Current) != 1 {
		t.Fatalf("exit %d %+v %s", code, r, errs)
	}
	if c := r.Current[0]; c != (currentJSON{Name: "staging", Version: "4.22.0"}) {
		t.Errorf("current: %+v", c)
	}
	e := r.Environments[0]
	if e.Name != "prod" || e.From != "4.21.1" || e.To != "4.22.0" || !strings.HasSuffix(e.File, "environments/cluster.cue") ||
		e.Summary == "" || e.Changed == 0 || len(e.Images) == 0 {
		t.Fatalf("environment: %+v", e)
	}
	for _, i := range e.Images {
		if i.Object == "" || i.Container == "" || !strings.HasSuffix(i.From, ":4.21.1") || !strings.HasSuffix(i.To, ":4.22.0") {
			t.Errorf("image change: %+v", i)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(envs, "cluster.cue")); !strings.Contains(string(b), "environments: prod: _eks & {\n\tversion: \"4.22.0\"") {
		t.Errorf("prod not edited:\n%s", b)
	}

	// promote shares the path: prod now runs staging's version.
	code, out, _ = cli("promote", "staging", "prod", "--output", "json")
	var p bumpJSON
	decodeJSON(t, out, &p)
	if code != 0 || !p.OK || len(p.Environments) != 0 || len(p.Current) != 1 || p.Current[0].Name != "prod" {
		t.Errorf("promote: exit %d %+v", code, p)
	}

	if code, out, errs := cli("bump", "prod", "--to", "4.22.1", "--push", "--output", "json"); code != 2 || out != "" || !strings.Contains(errs, "without --push") {
		t.Errorf("--push --output json: exit %d\n%s%s", code, out, errs)
	}
}
