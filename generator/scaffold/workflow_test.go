package scaffold_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
		{"prod uat", "5.3.1", "[bump][--push][--label][cht-upgrade][--to=5.3.1][--][prod][uat]"},
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

// Every workflow init writes, and cht-gen's own, pins third-party actions
// to a commit (a moved tag cannot change what runs with the token), keeps
// ${{ }} out of run: scripts (values reach them as environment variables)
// and declares its permissions.
func TestWorkflows_PinnedActionsNoExpressionsInRunPermissions(t *testing.T) {
	files, err := scaffold.Files(scaffold.Options{Version: "1.4.0", SHA256: strings.Repeat("a", 64)})
	if err != nil {
		t.Fatal(err)
	}
	workflows := map[string][]byte{}
	for _, f := range files {
		if strings.HasPrefix(f.Path, ".github/workflows/") {
			workflows["init: "+f.Path] = f.Data
		}
	}
	own, _ := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	for _, p := range own {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		workflows[p] = b
	}
	if len(workflows) < 5 {
		t.Fatalf("only %d workflows found", len(workflows))
	}
	pinned := regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	for name, data := range workflows {
		var wf struct {
			Permissions any
			Jobs        map[string]struct {
				Steps []struct {
					Uses, Run string
					With      map[string]any
				}
			}
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		scaffolded := strings.HasPrefix(name, "init: ")
		if wf.Permissions == nil {
			t.Errorf("%s: no top-level permissions (the token would get the repository's default)", name)
		}
		for job, j := range wf.Jobs {
			for _, s := range j.Steps {
				switch {
				case s.Uses == "", strings.HasPrefix(s.Uses, "./"), s.Uses == scaffold.ActionRepo+"@v1.4.0":
					// local, or cht-gen's own release, whose archive is checked against its SHA-256
				case !pinned.MatchString(s.Uses):
					t.Errorf("%s: job %s: %s is not pinned to a commit", name, job, s.Uses)
				}
				// cht-gen pushes with its own token: the checkout's
				// stays out of .git/config, where later steps could read it.
				if scaffolded && strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["persist-credentials"] != false {
					t.Errorf("%s: job %s: checkout keeps the token in .git/config (persist-credentials: false)", name, job)
				}
				if strings.Contains(s.Run, "${{") {
					t.Errorf("%s: job %s: ${{ }} inside run: (pass it through env:)\n%s", name, job, s.Run)
				}
			}
		}
	}
}
