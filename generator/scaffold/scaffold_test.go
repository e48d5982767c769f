package scaffold_test

import (
	"github.com/cht-gen/cht-gen/generator/model"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/scaffold"
)

func files(t *testing.T) []scaffold.File {
	t.Helper()
	fs, err := scaffold.Files(scaffold.Options{Version: "1.4.0", SHA256: strings.Repeat("ab", 32), RepoURL: "https://github.com/moh/x"})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func scaffoldData(t *testing.T, path string) []byte {
	t.Helper()
	for _, f := range files(t) {
		if f.Path == path {
			return f.Data
		}
	}
	t.Fatalf("the scaffold has no %s", path)
	return nil
}

// README.md, .gitignore and the examples (a host may have edited an
// example into a real environment) are written only when absent.
func TestFiles_WhichAreCreateOnly(t *testing.T) {
	var createOnly []string
	for _, f := range files(t) {
		if f.CreateOnly {
			createOnly = append(createOnly, f.Path)
		}
	}
	if want := []string{".gitignore", "README.md", "environments/example-k8s.cue", "environments/example-vm.cue"}; !slices.Equal(createOnly, want) {
		t.Errorf("create-only files %v, want %v", createOnly, want)
	}
}

// TestApply_KeepsTheOwnersREADMEAndGitignore: an existing README.md or
// .gitignore, whatever it holds, is kept byte for byte with and without
// force and is no conflict; the files cht-gen owns keep the conflict rule.
func TestApply_KeepsTheOwnersREADMEAndGitignore(t *testing.T) {
	workflow := ".github/workflows/cht-gen.yml"
	for _, tc := range []struct {
		name        string
		existing    map[string]string // path -> content ("->target" makes a symbolic link)
		force       bool
		wantErr     string // "" when Apply succeeds; else the error ends so
		wantKept    []string
		wantReplace []string
	}{
		{name: "GitHub's README and .gitignore", existing: map[string]string{"README.md": "# cht-hosting\n", ".gitignore": "*.log\n"},
			wantKept: []string{".gitignore", "README.md"}},
		{name: "GitHub's README and .gitignore, force", existing: map[string]string{"README.md": "# cht-hosting\n", ".gitignore": "*.log\n"}, force: true,
			wantKept: []string{".gitignore", "README.md"}},
		{name: "empty README", existing: map[string]string{"README.md": ""}, force: true,
			wantKept: []string{"README.md"}},
		{name: "README a symbolic link", existing: map[string]string{"docs/README.md": "docs\n", "README.md": "->docs/README.md"}, force: true,
			wantKept: []string{"README.md"}},
		{name: "edited workflow beside an own README", existing: map[string]string{"README.md": "# ours\n", workflow: "on: push\n"},
			wantErr: "--force replaces them): " + workflow, wantKept: []string{"README.md"}, wantReplace: []string{workflow}},
		{name: "edited workflow beside an own README, force", existing: map[string]string{"README.md": "# ours\n", workflow: "on: push\n"}, force: true,
			wantKept: []string{"README.md"}, wantReplace: []string{workflow}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for p, content := range tc.existing {
				full := filepath.Join(root, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				var err error
				if target, ok := strings.CutPrefix(content, "->"); ok {
					err = os.Symlink(target, full)
				} else {
					err = os.WriteFile(full, []byte(content), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			plan, err := scaffold.Apply(root, files(t), tc.force)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Apply: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.HasSuffix(err.Error(), tc.wantErr)):
				t.Fatalf("Apply: error %v, want one ending %q", err, tc.wantErr)
			}
			if !slices.Equal(plan.Kept, tc.wantKept) || !slices.Equal(plan.Replace, tc.wantReplace) {
				t.Errorf("kept %v replaced %v, want kept %v replaced %v", plan.Kept, plan.Replace, tc.wantKept, tc.wantReplace)
			}
			for p, content := range tc.existing {
				full := filepath.Join(root, p)
				if target, ok := strings.CutPrefix(content, "->"); ok {
					if got, err := os.Readlink(full); err != nil || got != target {
						t.Errorf("%s: link %q %v, want it kept pointing at %s", p, got, err, target)
					}
					continue
				}
				want := content
				if slices.Contains(tc.wantReplace, p) && err == nil {
					want = string(scaffoldData(t, p))
				}
				if got, _ := os.ReadFile(full); string(got) != want {
					t.Errorf("%s holds %q, want %q", p, got, want)
				}
			}
			// A refused Apply writes nothing; one that succeeds writes the rest.
			for _, f := range files(t) {
				if _, ok := tc.existing[f.Path]; ok {
					continue
				}
				if _, statErr := os.Lstat(filepath.Join(root, f.Path)); (statErr == nil) != (err == nil) {
					t.Errorf("%s: created %v, Apply returned %v", f.Path, statErr == nil, err)
				}
			}
		})
	}
}

func TestApply_WritesREADMEAndGitignoreWhenAbsent(t *testing.T) {
	root := t.TempDir()
	plan, err := scaffold.Apply(root, files(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Kept) != 0 || !slices.Contains(plan.Create, "README.md") || !slices.Contains(plan.Create, ".gitignore") {
		t.Fatalf("plan %+v", plan)
	}
	for _, p := range []string{"README.md", ".gitignore"} {
		if got, _ := os.ReadFile(filepath.Join(root, p)); string(got) != string(scaffoldData(t, p)) {
			t.Errorf("%s: %q", p, got)
		}
	}
	// Again: they are the owner's now (kept, not "same").
	plan, err = scaffold.Apply(root, files(t), true)
	if err != nil || !slices.Equal(plan.Kept, []string{".gitignore", "README.md", "environments/example-k8s.cue", "environments/example-vm.cue"}) || len(plan.Create)+len(plan.Replace) != 0 {
		t.Errorf("second Apply: %+v %v", plan, err)
	}
}

func TestMissingIgnores(t *testing.T) {
	all := []string{".env", "*.env", ".env.*", ".cht-gen.lock"}
	for _, tc := range []struct {
		name      string
		gitignore string // "" no file; "->x" a symbolic link to x
		want      []string
	}{
		{name: "no .gitignore: init writes its own"},
		{name: "the scaffold's own", gitignore: "scaffold"},
		{name: "GitHub's Go template", gitignore: "*.exe\n*.test\n*.out\n\n# env file\n.env\n", want: []string{"*.env", ".env.*", ".cht-gen.lock"}},
		{name: "one pattern for all three", gitignore: "*.env*\n", want: []string{".cht-gen.lock"}},
		{name: "equivalent patterns, CRLF", gitignore: "**/.env\r\n*.env\r\n.env.*\r\n**/.cht-gen.lock\r\n"},
		{name: "only commented out", gitignore: "# .env\n# *.env\n# .env.*\n", want: all},
		{name: "anchored at the root: not in deploy/compose/<env>/", gitignore: "/.env\n/*.env\n.env.*\n", want: []string{".env", "*.env", ".cht-gen.lock"}},
		{name: "negated afterwards", gitignore: ".env\n*.env\n.env.*\n!prod.env\n.cht-gen.lock\n", want: []string{"*.env"}},
		{name: "empty", gitignore: "\n", want: all},
		{name: "a symbolic link (Git does not follow it)", gitignore: "->other", want: all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			full := filepath.Join(root, ".gitignore")
			switch target, link := strings.CutPrefix(tc.gitignore, "->"); {
			case tc.gitignore == "":
			case link:
				os.WriteFile(filepath.Join(root, target), scaffoldData(t, ".gitignore"), 0o644)
				if err := os.Symlink(target, full); err != nil {
					t.Fatal(err)
				}
			case tc.gitignore == "scaffold":
				os.WriteFile(full, scaffoldData(t, ".gitignore"), 0o644)
			default:
				os.WriteFile(full, []byte(tc.gitignore), 0o644)
			}
			got, err := scaffold.MissingIgnores(root)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("MissingIgnores: %q %v, want %q", got, err, tc.want)
			}
		})
	}
}

// An existing gitops.cue keeps the host's edits: init changes only the
// repository URL it found (with --force, as for any changed file), and
// nothing without a URL.
func TestApply_GitopsCueGetsOnlyTheRepositoryURL(t *testing.T) {
	const edited = `package environments

// Our hosting repository.
gitops: {
	repoURL:    "https://github.com/moh/old"
	branch:     "production" // not main
	pathPrefix: "infra/deploy"
	secretRef:  "git-credentials"
}
`
	for _, tc := range []struct {
		name, repoURL string
		force         bool
		want          string // the file after; "" edited as it was
		conflict      bool
	}{
		{name: "URL found, --force", repoURL: "https://github.com/moh/x", force: true,
			want: strings.Replace(edited, `"https://github.com/moh/old"`, `"https://github.com/moh/x"`, 1)},
		{name: "URL found, no --force: a conflict, nothing written", repoURL: "https://github.com/moh/x", conflict: true},
		{name: "no URL: kept as it is", force: true},
		{name: "the same URL: kept as it is", repoURL: "https://github.com/moh/old"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "environments", "gitops.cue")
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(edited), 0o644)
			fs, err := scaffold.Files(scaffold.Options{Version: "1.4.0", SHA256: strings.Repeat("ab", 32), RepoURL: tc.repoURL, NoExamples: true})
			if err != nil {
				t.Fatal(err)
			}
			var gitops []scaffold.File
			for _, f := range fs {
				if f.Path == "environments/gitops.cue" {
					gitops = append(gitops, f)
				}
			}
			_, err = scaffold.Apply(root, gitops, tc.force)
			if (err != nil) != tc.conflict {
				t.Fatalf("Apply: %v, want a conflict: %v", err, tc.conflict)
			}
			want := tc.want
			if want == "" {
				want = edited
			}
			if got, _ := os.ReadFile(p); string(got) != want {
				t.Errorf("gitops.cue is\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// A folder of the scaffold that is a symbolic link out of the repository
// (.github/workflows -> elsewhere) is refused before anything is written;
// one that stays inside it is followed.
func TestApply_RefusesLinksOutOfTheRepository(t *testing.T) {
	files, err := scaffold.Files(scaffold.Options{Version: "1.4.0", SHA256: strings.Repeat("a", 64), RepoURL: "https://github.com/moh/x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{".github/workflows", ".github", "environments"} {
		t.Run(link, func(t *testing.T) {
			root, outside := t.TempDir(), t.TempDir()
			os.MkdirAll(filepath.Dir(filepath.Join(root, link)), 0o755)
			if err := os.Symlink(outside, filepath.Join(root, link)); err != nil {
				t.Fatal(err)
			}
			_, err := scaffold.Apply(root, files, true)
			if err == nil || !strings.Contains(err.Error(), "through a symbolic link") {
				t.Errorf("err %v", err)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("wrote outside the repository: %v", entries)
			}
			if _, err := os.Stat(filepath.Join(root, "README.md")); err == nil {
				t.Error("wrote README.md although another file was refused")
			}
		})
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "config", "envs"), 0o755)
	os.Symlink(filepath.Join("config", "envs"), filepath.Join(root, "environments"))
	if _, err := scaffold.Apply(root, files, false); err != nil {
		t.Fatalf("a link inside the repository: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "config", "envs", "gitops.cue")); err != nil {
		t.Error(err)
	}
}

// init writes new hosts' examples on the newest release cht-gen knows, so a
// release added to generator/model/releases.txt moves them too.
func TestCHTVersion_IsTheNewestKnown(t *testing.T) {
	if want := model.NewestKnownIn(5); scaffold.CHTVersion != want {
		t.Errorf("scaffold.CHTVersion = %s, the newest known release is %s", scaffold.CHTVersion, want)
	}
}
