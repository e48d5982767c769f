package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// encryptLikeSOPS shapes a --secret-only manifest as `sops --encrypt
// --encrypted-regex '^(data|stringData)$'` writes it (no sops binary here;
// cht-gen never decrypts, it checks the shape).
func encryptLikeSOPS(manifest string) string {
	return regexp.MustCompile(`(?m)^(  [A-Z_]+): (.+)$`).ReplaceAllString(manifest, `$1: ENC[AES256_GCM,data:eA==,iv:aXY=,tag:dGFn,type:str]`) +
		"sops:\n    age:\n        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            eA==\n            -----END AGE ENCRYPTED FILE-----\n" +
		"    lastmodified: \"2026-11-25T09:00:00Z\"\n    mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n    encrypted_regex: ^(data|stringData)$\n    version: 3.9.1\n"
}

// TestCLI_SOPSFileIsTheUsers walks the SOPS flow: validate and render
// refuse a sopsFile that is not there, accept it once it is, list it in the
// overlay and never write, own or prune it.
func TestCLI_SOPSFileIsTheUsers(t *testing.T) {
	dir, commit := hostingRepo(t)
	envs, out := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	cli := func(args ...string) (int, string, string) {
		return runCLI(t, append(args, "-e", envs, "--out", out)...)
	}
	cue := filepath.Join(envs, "cluster.cue")
	src, _ := os.ReadFile(cue)
	const hint = `// credentials: sopsFile: "secrets/prod.enc.yaml"`
	if !strings.Contains(string(src), hint) {
		t.Fatalf("cluster.cue lacks %q", hint)
	}
	os.WriteFile(cue, []byte(strings.Replace(string(src), hint, `credentials: sopsFile: "secrets/prod.enc.yaml"`, 1)), 0o644)
	kust := filepath.Join(out, "kubernetes/overlays/prod/kustomization.yaml")
	before, _ := os.ReadFile(kust)

	const missing = "environments.prod.credentials.sopsFile: deploy/kubernetes/overlays/prod/secrets/prod.enc.yaml does not exist"
	for _, cmd := range []string{"validate", "render"} {
		code, _, errs := cli(cmd)
		if code != 1 || !strings.Contains(errs, missing) || !strings.Contains(errs, "environments/cluster.cue:") {
			t.Errorf("%s without the file: exit %d, want 1 and %q:\n%s", cmd, code, missing, errs)
		}
	}
	if after, _ := os.ReadFile(kust); string(after) != string(before) {
		t.Error("a failed render changed the overlay")
	}

	code, secret, errs := runCLI(t, "secrets", "prod", "--secret-only", "-e", envs)
	if code != 0 {
		t.Fatalf("secrets --secret-only: %s", errs)
	}
	file := filepath.Join(out, "kubernetes/overlays/prod/secrets/prod.enc.yaml")
	os.MkdirAll(filepath.Dir(file), 0o755)

	// A symbolic link out of the output tree is not followed.
	outside := filepath.Join(t.TempDir(), "prod.enc.yaml")
	os.WriteFile(outside, []byte(encryptLikeSOPS(secret)), 0o600)
	os.Symlink(outside, file)
	if code, _, errs := cli("validate"); code != 1 || !strings.Contains(errs, "environments.prod.credentials.sopsFile: deploy/kubernetes/overlays/prod/secrets/prod.enc.yaml") || strings.Contains(errs, "does not exist") {
		t.Errorf("validate with a symlink out of the tree: exit %d\n%s", code, errs)
	}
	os.Remove(file)

	code, secret, errs = runCLI(t, "secrets", "prod", "--secret-only", "-e", envs)
	if code != 0 {
		t.Fatalf("secrets --secret-only: %s", errs)
	}
	if strings.Contains(secret, "kind: Namespace") || strings.Count(secret, "kind: Secret") != 1 {
		t.Fatalf("--secret-only printed:\n%s", secret)
	}
	enc := encryptLikeSOPS(secret)
	os.WriteFile(file, []byte(enc), 0o600)

	for _, args := range [][]string{{"validate"}, {"render"}, {"render", "--check"}} {
		if code, _, errs := cli(args...); code != 0 {
			t.Fatalf("%v with the encrypted file: exit %d\n%s", args, code, errs)
		}
	}
	if k, _ := os.ReadFile(kust); !strings.Contains(string(k), "- secrets/prod.enc.yaml\n") {
		t.Errorf("overlay does not list the file:\n%s", k)
	}
	if b, _ := os.ReadFile(file); string(b) != enc {
		t.Error("render changed the user's encrypted file")
	}
	if m, _ := os.ReadFile(filepath.Join(out, ".cht-gen-manifest")); strings.Contains(string(m), "prod.enc.yaml") {
		t.Error("the manifest claims the user's file: a later render would prune it")
	}
	commit("prod credentials from SOPS")
	if code, stdout, errs := cli("diff", "--exit-code"); code != 0 {
		t.Errorf("diff after commit: exit %d\n%s%s", code, stdout, errs)
	}
	// The JSON modes judge the same tree, the user's file included.
	for _, args := range [][]string{{"diff", "--output", "json", "--exit-code"}, {"render", "--check", "--output", "json"}} {
		if code, stdout, errs := cli(args...); code != 0 || !strings.Contains(stdout, `"ok": true`) {
			t.Errorf("%v with a SOPS file: exit %d\n%s%s", args, code, stdout, errs)
		}
	}
	// A local bump renders with the file too (it used to fail: "no output
	// directory given"), and leaves it alone.
	if code, stdout, errs := cli("bump", "prod", "--to", "4.22.0"); code != 0 || !strings.Contains(stdout+errs, "prod") {
		t.Errorf("bump with a SOPS file: exit %d\n%s%s", code, stdout, errs)
	}
	if b, _ := os.ReadFile(file); string(b) != enc {
		t.Error("bump changed the user's encrypted file")
	}

	// Back to a Secret made by hand: the file stays, unlisted.
	os.WriteFile(cue, src, 0o644)
	if code, _, errs := cli("render"); code != 0 {
		t.Fatal(errs)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != enc {
		t.Errorf("render without sopsFile removed or changed the user's file: %v", err)
	}
}

func TestCLI_DiffSaysAnEnvironmentIsSuspended(t *testing.T) {
	dir, _ := hostingRepo(t)
	envs, out := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	cue := filepath.Join(envs, "cluster.cue")
	src, _ := os.ReadFile(cue)
	os.WriteFile(cue, []byte(strings.Replace(string(src), `version: "4.22.0"
	host:    "uat.cht.example.org"`, `version: "4.22.0"
	suspended: true
	host:    "uat.cht.example.org"`, 1)), 0o644)
	code, stdout, errs := runCLI(t, "diff", "--stat", "-e", envs, "--out", out)
	if code != 0 {
		t.Fatalf("diff: exit %d %s", code, errs)
	}
	for _, want := range []string{"uat: suspended: Flux Kustomization cht-uat has spec.suspend: true; Flux applies, changes and deletes nothing in cht-uat", "clusters/moh-eks: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "prod: suspended") {
		t.Error("prod said suspended")
	}
	// --output json says it too, for the other tools.
	code, stdout, errs = runCLI(t, "diff", "--stat", "--output", "json", "-e", envs, "--out", out)
	var d diffJSON
	if err := json.Unmarshal([]byte(stdout), &d); code != 0 || err != nil {
		t.Fatalf("diff --output json: exit %d, %v\n%s%s", code, err, stdout, errs)
	}
	if len(d.Suspended) != 1 || d.Suspended[0].Name != "uat" || !strings.Contains(d.Suspended[0].Note, "spec.suspend: true") {
		t.Errorf("diff --output json suspended: %+v", d.Suspended)
	}
}
