package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI_ExamplesValidateAndRender(t *testing.T) {
	code, out, errs := runCLI(t, "validate", "--environments", "../../environments")
	if code != 0 {
		t.Fatalf("validate exit %d: %s", code, errs)
	}
	if n := strings.Count(out, "\nok ") + strings.Count(out[:3], "ok "); n != 6 {
		t.Errorf("want 6 environments:\n%s", out)
	}
	dir := filepath.Join(t.TempDir(), "deploy")
	if code, _, errs := runCLI(t, "render", "--environments", "../../environments", "--out", dir); code != 0 {
		t.Fatalf("render exit %d: %s", code, errs)
	}
	for _, p := range []string{"compose/dev/cht-core.yml", "compose/district-vm/cht-couchdb.yml", "kubernetes/overlays/prod/kustomization.yaml", "kubernetes/base/kustomization.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	if code, _, errs := runCLI(t, "render", "--check", "--environments", "../../environments", "--out", dir); code != 0 {
		t.Fatalf("check on a fresh render: exit %d %s", code, errs)
	}
	before := snapshot(t, dir)
	if code, _, errs := runCLI(t, "render", "--environments", "../../environments", "--out", dir); code != 0 || !strings.Contains(errs, "(0 created, 0 updated, ") {
		t.Fatalf("second render: exit %d, want nothing created or updated: %s", code, errs)
	}
	if stray, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".*")); len(stray) > 0 {
		t.Errorf("render left %v beside the output", stray)
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("re-render with no change rewrote files:\nbefore %s\nafter  %s", before, after)
	}
	os.WriteFile(filepath.Join(dir, "compose/dev/cht-core.yml"), []byte("edited"), 0o644)
	code, out, _ = runCLI(t, "render", "--check", "--environments", "../../environments", "--out", dir)
	if code != 1 || !strings.Contains(out, "stale") {
		t.Fatalf("check after an edit: exit %d %s", code, out)
	}
}

func TestCLI_BadEnvironmentExitsOneWithPosition(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.cue"), []byte("package environments\nenvironments: dev: {target: \"compose\", version: \"4.22.0\", host: \"x\", couchdb: node: 3}\n"), 0o644)
	out := filepath.Join(t.TempDir(), "deploy")
	code, _, errs := runCLI(t, "render", "--environments", dir, "--out", out)
	if code != 1 || !strings.Contains(errs, "a.cue:2:") || !strings.Contains(errs, "environments.dev.couchdb.node: field not allowed") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("output written for a bad environment")
	}
}

func TestCLI_SecretsNeverOverwriteAndAreURLSafe(t *testing.T) {
	f := filepath.Join(t.TempDir(), "dev.env")
	if code, _, errs := runCLI(t, "secrets", "dev", "--environments", "../../environments", "--out", f); code != 0 {
		t.Fatal(errs)
	}
	info, _ := os.Stat(f)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", info.Mode())
	}
	b, _ := os.ReadFile(f)
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && (k == "COUCHDB_PASSWORD" || k == "COUCHDB_SECRET") {
			if len(v) < 32 || strings.ContainsAny(v, ":@/% ") {
				t.Errorf("%s is weak or not URL-safe: %q", k, v)
			}
		}
	}
	if code, _, errs := runCLI(t, "secrets", "dev", "--environments", "../../environments", "--out", f); code == 0 || !strings.Contains(errs, "never overwrites") {
		t.Fatalf("overwrote: %d %s", code, errs)
	}
}

// Every command in the tree, subcommands included, has --help with usage
// and examples: walked from the root, so a new command cannot be missed.
func TestCLI_HelpOnEveryCommand(t *testing.T) {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue // cobra's own
			}
			p := append(append([]string(nil), path...), sub.Name())
			paths = append(paths, p)
			walk(sub, p)
		}
	}
	walk(newRootCmd(&shared{stdout: io.Discard, stderr: io.Discard, stdin: strings.NewReader("")}), nil)
	if len(paths) < 12 {
		t.Fatalf("%d commands found, want at least 12: %v", len(paths), paths)
	}
	for _, p := range paths {
		t.Run(strings.Join(p, " "), func(t *testing.T) {
			code, out, errs := runCLI(t, append(p, "--help")...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			for _, want := range []string{"Usage:\n  cht-gen " + strings.Join(p, " "), "\nExamples:\n", "\nFlags:\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("--help lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// snapshot is every file's path, size, mtime and content hash.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %d %x\n", p, info.Size(), info.ModTime().UnixNano(), sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWorkflowsPassActionlint(t *testing.T) {
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		t.Skip("actionlint not on PATH (make test installs it into ./bin)")
	}
	wf, _ := filepath.Glob("../../.github/workflows/*.yml")
	if len(wf) < 2 {
		t.Fatalf("workflows: %v", wf)
	}
	cmd := exec.Command(bin, wf...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
	bump, _ := os.ReadFile("../../.github/workflows/bump.yml")
	for _, want := range []string{"schedule:", "workflow_dispatch:", "bin/cht-gen bump"} {
		if !strings.Contains(string(bump), want) {
			t.Errorf("bump.yml lacks %q", want)
		}
	}
	ci, _ := os.ReadFile("../../.github/workflows/ci.yml")
	for _, want := range []string{"pull_request:", "make test", "render --check", "cht-gen diff"} {
		if !strings.Contains(string(ci), want) {
			t.Errorf("ci.yml lacks %q", want)
		}
	}
}
