package scaffold_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/scaffold"
)

// TestPlanInit decides what init writes without the CLI: the values it
// finds, the examples it leaves out, the .gitignore lines it names, and
// the refusals, each before anything is written.
func TestPlanInit(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	release := scaffold.Options{Version: "1.4.0", SHA256: sum, RepoURL: "https://github.com/moh/x", Branch: "main"}
	for _, tc := range []struct {
		name       string
		existing   map[string]string
		opts       scaffold.InitOptions
		later      string // a symbolic link out of the repository at this path
		wantErr    any    // a pointer to the error type errors.As must find
		wantText   string
		wantOwn    bool
		wantIgnore bool
		wantFile   string
	}{
		{name: "a fresh folder", opts: scaffold.InitOptions{Options: release}, wantFile: "environments/example-vm.cue"},
		{name: "a development build", opts: scaffold.InitOptions{Options: scaffold.Options{SHA256: sum, RepoURL: release.RepoURL}, BinaryVersion: "dev"},
			wantErr: new(*scaffold.DevBuildError), wantText: "--release-version"},
		{name: "a dirty build", opts: scaffold.InitOptions{Options: scaffold.Options{SHA256: sum, RepoURL: release.RepoURL}, BinaryVersion: "v1.4.0-dirty"},
			wantErr: new(*scaffold.DevBuildError)},
		{name: "environments of its own", existing: map[string]string{"environments/prod.cue": "package environments\n"},
			opts: scaffold.InitOptions{Options: release}, wantOwn: true, wantFile: "environments/gitops.cue"},
		{name: "a .gitignore that lets .env in", existing: map[string]string{".gitignore": "*.log\n"},
			opts: scaffold.InitOptions{Options: release}, wantIgnore: true},
		{name: "the render's folder leads out", opts: scaffold.InitOptions{Options: release, Later: []string{"deploy/.cht-gen.lock"}},
			later: "deploy", wantText: "leads out of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			for p, body := range tc.existing {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
				os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644)
			}
			if tc.later != "" {
				os.MkdirAll(dir, 0o755)
				os.Symlink(t.TempDir(), filepath.Join(dir, tc.later))
			}
			tc.opts.Dir = dir
			before, _ := os.ReadDir(dir)
			plan, err := scaffold.PlanInit(context.Background(), tc.opts)
			if tc.wantErr != nil || tc.wantText != "" && plan == nil {
				if err == nil {
					t.Fatal("planned, want a refusal")
				}
				if tc.wantErr != nil && !errors.As(err, tc.wantErr) {
					t.Errorf("error %T %v is not %T", err, err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantText) {
					t.Errorf("error %q lacks %q", err, tc.wantText)
				}
				if after, _ := os.ReadDir(dir); len(after) != len(before) {
					t.Errorf("a refused plan wrote: %v, before %v", after, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.OwnEnvironments != tc.wantOwn {
				t.Errorf("OwnEnvironments %v, want %v", plan.OwnEnvironments, tc.wantOwn)
			}
			if (len(plan.MissingIgnores) > 0) != tc.wantIgnore {
				t.Errorf("MissingIgnores %v, want some: %v", plan.MissingIgnores, tc.wantIgnore)
			}
			var paths []string
			for _, f := range plan.Files {
				paths = append(paths, f.Path)
			}
			if tc.wantFile != "" && !slices.Contains(paths, tc.wantFile) {
				t.Errorf("plan lacks %s: %v", tc.wantFile, paths)
			}
			if tc.wantOwn && slices.Contains(paths, "environments/example-vm.cue") {
				t.Errorf("examples planned beside environments of its own: %v", paths)
			}
			if _, err := os.Stat(filepath.Join(dir, ".github")); err == nil {
				t.Error("planning wrote the scaffold")
			}
			applied, err := plan.Apply()
			if err != nil {
				t.Fatal(err)
			}
			if len(applied.Create) == 0 {
				t.Error("Apply created nothing")
			}
		})
	}
}
