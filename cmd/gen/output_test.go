package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("not the documented JSON shape: %v\n%s", err, out)
	}
}

func TestOutputJSON_Validate(t *testing.T) {
	code, out, errs := runCLI(t, "validate", "--output", "json", "-e", "../../environments")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	var ok struct {
		OK           bool `json:"ok"`
		Environments []struct {
			Name, Target, Version, Host, Cluster, Namespace, GitOps, Project string
			Nodes                                                            int `json:"couchdbNodes"`
			Source                                                           jsonPos
		} `json:"environments"`
		Warnings []jsonError `json:"warnings"`
		Errors   []jsonError `json:"errors"`
	}
	decodeJSON(t, out, &ok)
	if !ok.OK || len(ok.Environments) < 2 || ok.Errors == nil || ok.Warnings == nil {
		t.Fatalf("%+v", ok)
	}
	for _, e := range ok.Environments {
		if e.Name == "" || e.Version == "" || e.Source.File == "" || e.Source.Line == 0 {
			t.Errorf("incomplete environment %+v", e)
		}
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.cue"), []byte("package environments\n\nenvironments: a: {target: \"compose\", version: \"4.22.0\", host: \"a.example.org\", couchdb: nodes: 99}\nenvironments: b: {target: \"compose\", version: \"4.22.0\", host: \"B_host\"}\n"), 0o644)
	code, out, _ = runCLI(t, "validate", "--output", "json", "-e", dir)
	var bad struct {
		OK     bool        `json:"ok"`
		Errors []jsonError `json:"errors"`
	}
	decodeJSON(t, out, &bad)
	if code != 1 || bad.OK || len(bad.Errors) < 2 {
		t.Fatalf("exit %d %+v", code, bad)
	}
	for _, e := range bad.Errors {
		if !strings.HasSuffix(e.File, "a.cue") || e.Line == 0 || e.Column == 0 || !strings.HasPrefix(e.Path, "environments.") || e.Message == "" {
			t.Errorf("error without file, line, column, path and message: %+v", e)
		}
	}
	if code, _, errs := runCLI(t, "validate", "--output", "yaml"); code != 2 || !strings.Contains(errs, "want text or json") {
		t.Errorf("--output yaml: exit %d %s", code, errs)
	}
}

func TestOutputJSON_RenderCheckAndDiff(t *testing.T) {
	dir := gitRepo(t, "https://github.com/moh/cht-hosting")
	if code, out, errs := runCLI(t, "init", dir, "--release-version", "1.4.0", "--release-sha256", testSum); code != 0 {
		t.Fatalf("init: %s%s", out, errs)
	}
	envs, deploy := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	code, out, _ := runCLI(t, "render", "--check", "--output", "json", "-e", envs, "--out", deploy)
	var check checkJSON
	decodeJSON(t, out, &check)
	if code != 0 || !check.OK || check.Files == 0 || len(check.Changes) != 0 {
		t.Fatalf("clean: exit %d %+v", code, check)
	}
	stale := filepath.Join(deploy, "compose/example-vm/cht-core.yml")
	os.WriteFile(stale, []byte("edited\n"), 0o644)
	code, out, _ = runCLI(t, "render", "--check", "--output", "json", "-e", envs, "--out", deploy)
	decodeJSON(t, out, &check)
	if code != 1 || check.OK || len(check.Changes) != 1 || check.Changes[0].Kind != "stale" || check.Changes[0].Path != filepath.ToSlash(stale) {
		t.Fatalf("stale: exit %d %+v", code, check)
	}
	if code, _, errs := runCLI(t, "render", "--output", "json", "-e", envs, "--out", deploy); code != 2 || !strings.Contains(errs, "--check") {
		t.Errorf("render --output json without --check: exit %d %s", code, errs)
	}
	runCLI(t, "render", "-e", envs, "--out", deploy)

	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := r.Worktree()
	if err := wt.AddGlob("."); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Commit("init", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.org", When: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	k8s := filepath.Join(envs, "example-k8s.cue")
	src, _ := os.ReadFile(k8s)
	os.WriteFile(k8s, []byte(strings.Replace(string(src), `version: "5.2.0"`, `version: "5.1.0"`, 1)), 0o644)
	code, out, errs := runCLI(t, "diff", "--output", "json", "--stat", "--exit-code", "-e", envs, "--out", deploy)
	var d diffJSON
	decodeJSON(t, out, &d)
	if code != 1 || !d.OK || !d.Differ || d.Base != "HEAD" {
		t.Fatalf("diff: exit %d %s %+v", code, errs, d)
	}
	found := false
	for _, u := range d.Environments {
		if u.Diff != "" {
			t.Errorf("--stat printed a diff for %s", u.Name)
		}
		if u.Name != "example-k8s" {
			if len(u.Images) != 0 || u.Changed != 0 {
				t.Errorf("%s changed: %+v", u.Name, u)
			}
			continue
		}
		for _, i := range u.Images {
			if i.Object == "Deployment/cht-api" && i.Container == "cht-api" && i.From == "public.ecr.aws/medic/cht-api:5.2.0" && i.To == "public.ecr.aws/medic/cht-api:5.1.0" {
				found = true
			}
		}
		if u.Changed == 0 {
			t.Errorf("example-k8s: %+v", u)
		}
	}
	if !found {
		t.Errorf("no cht-api image change 5.2.0 -> 5.1.0: %+v", d.Environments)
	}
}
