package reference

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestLoad_EmbeddedManifest(t *testing.T) {
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	// What the tests read, by folder: each must be pinned.
	for _, rel := range []string{
		"cht/cht-core/4.0.0/scripts/build/cht-couchdb-cluster.yml.template",
		"cht/cht-core/4.22.0/rendered-docker-compose/cht-core.yml",
		"cht/cht-core/5.2.0/scripts/build/helm/templates/couchdb/deployment.yaml",
		"cht/cht-core/5.3.0/scripts/build/helm/Chart.yaml",
		"cht/cht-core/5.3.0/scripts/build/helm/values/base.yaml",
		"cht/helm-charts/charts/cht-chart-4x/values.yaml",
		"cht/cht-upgrade-service/docker-compose.yml",
		"cht/cht-docs/docker-adding-tls-certificates.md",
		"cht/cht-docs/migration-preparing-for-5.md",
		"crds/argocd-application.yaml",
		"crds/flux-kustomizations.yaml",
	} {
		if !m.Covers(rel) {
			t.Errorf("%s is not pinned", rel)
		}
	}
	if !m.Covers("cht/cht-core/5.1.0") || m.Covers("cht/cht-core/5.1") || m.Covers("cht/SOURCES.md") {
		t.Error("Covers: a folder holding pinned files is covered, a name prefix or an unpinned file is not")
	}
	// Verbatim files come from a commit, never a branch or a tag that
	// could move.
	atCommit := regexp.MustCompile(`^https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/[^?#]+$`)
	for _, e := range m.Entries() {
		if e.Source.URL != "" && !atCommit.MatchString(e.Remote()) {
			t.Errorf("%s: %s is not a raw GitHub URL at a commit", e.Path, e.Remote())
		}
	}
}

func TestParse_RefusesBadManifests(t *testing.T) {
	const sum = "0000000000000000000000000000000000000000000000000000000000000000"
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", "sources:\n- name: a\n  dir: a/\n  url: https://x/\n  file: {}\n", "field file not found"},
		{"bad hash", "sources:\n- name: a\n  dir: a/\n  url: https://x/\n  files: {f: {sha256: ABC}}\n", `sha256 "ABC"`},
		{"no kind", "sources:\n- name: a\n  dir: a/\n  files: {f: {sha256: " + sum + "}}\n", "exactly one of url, archive and derive"},
		{"two kinds", "sources:\n- name: a\n  dir: a/\n  url: https://x/\n  derive: {vars: {}}\n  files: {f: {sha256: " + sum + "}}\n", "exactly one"},
		{"dir outside", "sources:\n- name: a\n  dir: ../a/\n  url: https://x/\n  files: {f: {sha256: " + sum + "}}\n", `dir "../a/"`},
		{"dir without slash", "sources:\n- name: a\n  dir: a\n  url: https://x/\n  files: {f: {sha256: " + sum + "}}\n", `dir "a"`},
		{"file outside", "sources:\n- name: a\n  dir: a/\n  url: https://x/\n  files: {../../f: {sha256: " + sum + "}}\n", "not a relative path"},
		{"absolute file", "sources:\n- name: a\n  dir: a/\n  url: https://x/\n  files: {/f: {sha256: " + sum + "}}\n", "not a relative path"},
		{"pinned twice", "sources:\n- name: a\n  dir: a/\n  url: https://x/\n  files: {f: {sha256: " + sum + "}}\n- name: b\n  dir: a/\n  url: https://y/\n  files:\n    f: {sha256: " + sum + "}\n", `manifest.yaml:10: source "b": file "a/f" is pinned twice`},
		{"line of the source", "sources:\n- name: a\n  dir: a/\n  url: https://x/\n  files: {f: {sha256: " + sum + "}}\n- name: b\n  dir: /b/\n  url: https://x/\n  files: {f: {sha256: " + sum + "}}\n", `manifest.yaml:6: source "b": dir "/b/"`},
		{"template not pinned before", "sources:\n- name: a\n  dir: a/\n  derive: {vars: {x: y}}\n  files: {f: {sha256: " + sum + ", from: a/t}}\n", `template "a/t"`},
		{"archive without digest", "sources:\n- name: a\n  dir: a/\n  archive: {urls: [https://x/a.tgz]}\n  files: {f: {sha256: " + sum + "}}\n", "needs urls and a sha256"},
		{"no files", "sources:\n- name: a\n  dir: a/\n  url: https://x/\n", "no files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// writeTree writes files (slash paths) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func small(t *testing.T) *Manifest {
	t.Helper()
	m, err := Parse([]byte(fmt.Sprintf("sources:\n- name: s\n  dir: cht/x/\n  url: https://h/\n  files:\n    a.yml: {sha256: %s}\n    sub/b.yml: {sha256: %s}\n", Sum([]byte("a")), Sum([]byte("b")))))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestVerify(t *testing.T) {
	m := small(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"cht/x/a.yml": "a", "cht/x/sub/b.yml": "b", "cht/x/extra": "not pinned"})
	if err := Verify(dir, m); err != nil {
		t.Fatalf("complete folder: %v", err)
	}
	writeTree(t, dir, map[string]string{"cht/x/a.yml": "changed"})
	var bad *MismatchError
	if err := Verify(dir, m); !errors.As(err, &bad) || len(bad.Files) != 1 || bad.Files[0].Path != "cht/x/a.yml" || bad.Files[0].Got != Sum([]byte("changed")) {
		t.Fatalf("changed file: got %v, want a MismatchError naming cht/x/a.yml", err)
	}
	if Absent(bad) {
		t.Error("a changed file counts as absent: tests would skip instead of failing")
	}
	os.Remove(filepath.Join(dir, "cht/x/a.yml"))
	var miss *MissingError
	if err := Verify(dir, m); !errors.As(err, &miss) || len(miss.Paths) != 1 || miss.Paths[0] != "cht/x/a.yml" || !Absent(err) {
		t.Fatalf("missing file: got %v, want a MissingError naming cht/x/a.yml", err)
	}
	if err := Verify(filepath.Join(dir, "nowhere"), m); !errors.As(err, &miss) || len(miss.Paths) != 2 {
		t.Fatalf("absent folder: got %v, want a MissingError with both files", err)
	}
	// A link out of the folder is refused, not followed.
	other := t.TempDir()
	writeTree(t, other, map[string]string{"a.yml": "a"})
	os.Remove(filepath.Join(dir, "cht/x/sub/b.yml"))
	if err := os.Symlink(filepath.Join(other, "a.yml"), filepath.Join(dir, "cht/x/a.yml")); err != nil {
		t.Fatal(err)
	}
	if err := Verify(dir, m); err == nil {
		t.Fatal("Verify followed a link out of the reference folder")
	}
}

func TestLocate_Order(t *testing.T) {
	base := t.TempDir()
	repo := filepath.Join(base, "cht-gen")
	pkg := filepath.Join(repo, "generator", "compose")
	shared := filepath.Join(base, "shared", "reference")
	cacheRoot := filepath.Join(base, "cache")
	writeTree(t, repo, map[string]string{"go.mod": "module x\n", "generator/compose/x.go": ""})
	env := map[string]string{EnvCache: cacheRoot}
	getenv := func(k string) string { return env[k] }

	if _, err := Locate(pkg, getenv); !Absent(err) {
		t.Fatalf("nothing anywhere: got %v, want NotFoundError", err)
	}
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	want := func(dir string, origin Origin) {
		t.Helper()
		loc, err := Locate(pkg, getenv)
		if err != nil || loc.Dir != dir || loc.Origin != origin {
			t.Fatalf("got %+v, %v; want %s from %s", loc, err, dir, origin)
		}
	}
	want(shared, FromShared)
	cache := filepath.Join(cacheRoot, EmbeddedVersion())
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	want(cache, FromCache)
	// Another manifest version's folder is not this one's cache.
	if err := os.Rename(cache, filepath.Join(cacheRoot, "0123456789abcdef")); err != nil {
		t.Fatal(err)
	}
	want(shared, FromShared)
	// CHT_REFERENCE_DIR wins, relative to the repository's root, even
	// when it does not exist (then Verify reports every file missing).
	env[EnvDir] = "../elsewhere"
	want(filepath.Join(base, "elsewhere"), FromEnv)
	env[EnvDir] = "/abs/mirror"
	want("/abs/mirror", FromEnv)
}

func TestCacheRoot(t *testing.T) {
	env := map[string]string{"XDG_CACHE_HOME": "/xdg"}
	got, err := CacheRoot(func(k string) string { return env[k] })
	if err != nil || got != "/xdg/cht-gen/reference" {
		t.Fatalf("got %q, %v", got, err)
	}
	env[EnvCache] = "/c"
	if got, _ := CacheRoot(func(k string) string { return env[k] }); got != "/c" {
		t.Fatalf("%s: got %q", EnvCache, got)
	}
}

// recorder is a testing.TB that records Skip and Fatal instead of ending
// the goroutine.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped, r.msg = true, fmt.Sprint(args...) }
func (r *recorder) Fatal(args ...any) { r.failed, r.msg = true, fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

func TestReport_SkipsOrFails(t *testing.T) {
	missing := fmt.Errorf("x: %w", &MissingError{Dir: "d", Paths: []string{"cht/a"}})
	for _, tc := range []struct {
		name            string
		err             error
		required        bool
		skipped, failed bool
	}{
		{"found", nil, true, false, false},
		{"absent", missing, false, true, false},
		{"absent, required (CI)", missing, true, false, true},
		{"no folder, required", &NotFoundError{Looked: []string{"a"}}, true, false, true},
		{"mirror folder does not exist", fs.ErrNotExist, false, true, false},
		{"differs", &MismatchError{Dir: "d", Files: []Mismatch{{Path: "cht/a"}}}, false, false, true},
		{"unreadable", fs.ErrPermission, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			report(r, tc.err, tc.required)
			if r.skipped != tc.skipped || r.failed != tc.failed {
				t.Fatalf("skipped %v failed %v (%s), want skipped %v failed %v", r.skipped, r.failed, r.msg, tc.skipped, tc.failed)
			}
			if Absent(tc.err) && !strings.Contains(r.msg, "make reference") {
				t.Errorf("the message does not name make reference: %s", r.msg)
			}
		})
	}
}

// The reference folder in use holds no file of Medic's that the manifest
// leaves out: a version added to ../shared/reference must be pinned (with
// its URL) before tests can rely on it anywhere else.
func TestManifest_PinsEveryMirroredFile(t *testing.T) {
	dir := Dir(t)
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	pinned := map[string]bool{}
	for _, e := range m.Entries() {
		pinned[e.Path] = true
	}
	n := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "cht/SOURCES.md" || !(strings.HasPrefix(rel, "cht/") || strings.HasPrefix(rel, "crds/")) {
			return nil // cht-gen's notes on the sources, not Medic's
		}
		n++
		if !pinned[rel] {
			t.Errorf("%s is in %s but not pinned in %s", rel, dir, ManifestFile)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(pinned) {
		t.Errorf("%d files under %s, %d pinned", n, dir, len(pinned))
	}
}

func TestPath(t *testing.T) {
	r := &recorder{TB: t}
	Path(r, "cht", "not-pinned.txt")
	if !r.failed || !strings.Contains(r.msg, "not pinned") {
		t.Fatalf("an unpinned path: failed %v (%s)", r.failed, r.msg)
	}
	r = &recorder{TB: t}
	Path(r, "..", "etc")
	if !r.failed {
		t.Fatal("a path out of the reference was accepted")
	}
	p := Path(t, "cht", "cht-core", "5.2.0", "scripts", "build", "helm")
	if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err != nil {
		t.Fatal(err)
	}
}
