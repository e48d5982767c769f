package scaffold_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/scaffold"
)

// The bump workflow's form fields reach cht-gen as arguments: run its
// script with bash and a cht-gen that prints them, and check a name typed
// in the form can never be an option.
func TestBumpWorkflow_FormFieldsAreNeverOptions(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	script := bumpScript(t)
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "cht-gen"), []byte("#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\n"), 0o755)
	for _, tc := range []struct{ environments, version, want string }{
		{"", "", "[bump][--push][--label][cht-upgrade][--latest][--all]"},
		{"prod uat", "5.2.1", "[bump][--push][--label][cht-upgrade][--to=5.2.1][--][prod][uat]"},
		{"--base=attacker --all prod", "--reopen", "[bump][--push][--label][cht-upgrade][--to=--reopen][--][--base=attacker][--all][prod]"},
		{"$(touch pwned) `id` ;rm", "$(id)", "[bump][--push][--label][cht-upgrade][--to=$(id)][--][$(touch][pwned)][`id`][;rm]"},
	} {
		cmd := exec.Command("bash", "-e", "-c", script)
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "ENVIRONMENTS=" + tc.environments, "VERSION=" + tc.version}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.environments, err, out)
		}
		if string(out) != tc.want {
			t.Errorf("ENVIRONMENTS=%q VERSION=%q:\n got  %s\n want %s", tc.environments, tc.version, out, tc.want)
		}
		if entries, _ := os.ReadDir(cmd.Dir); len(entries) != 0 {
			t.Errorf("%q: the script ran a command from the form", tc.environments)
		}
	}
}

// bumpScript is the run: script of the scaffold's bump step.
func bumpScript(t *testing.T) string {
	t.Helper()
	files, err := scaffold.Files(scaffold.Options{Version: "1.4.0", SHA256: strings.Repeat("a", 64)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path != ".github/workflows/cht-gen-bump.yml" {
			continue
		}
		var wf struct {
			Jobs map[string]struct {
				Steps []struct{ Name, Run string }
			}
		}
		if err := yaml.Unmarshal(f.Data, &wf); err != nil {
			t.Fatal(err)
		}
		for _, job := range wf.Jobs {
			for _, s := range job.Steps {
				if s.Name == "Bump" {
					return s.Run
				}
			}
		}
	}
	t.Fatal("no Bump step in the scaffold's cht-gen-bump.yml")
	return ""
}
