package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The writer as the CLI runs it: what render may and may not touch in the
// output directory, checked on real processes, trees compared byte for
// byte and foreign folders by inode and mode.

// fsNode is one path's kind and mode, inode and content (or link target).
type fsNode struct {
	mode fs.FileMode
	ino  uint64
	data string
}

// nodes maps every path under dir, without following links.
func nodes(t *testing.T, dir string) map[string]fsNode {
	t.Helper()
	out := map[string]fsNode{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		n := fsNode{mode: info.Mode(), ino: info.Sys().(*syscall.Stat_t).Ino}
		switch {
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			n.data = string(b)
		case info.Mode()&fs.ModeSymlink != 0:
			n.data, _ = os.Readlink(p)
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// regularFiles is path -> content of the regular files of a node map,
// without the lock file (it holds nothing) and the listed paths.
func regularFiles(all map[string]fsNode, except ...string) map[string]string {
	skip := map[string]bool{".cht-gen.lock": true}
	for _, e := range except {
		skip[e] = true
	}
	out := map[string]string{}
	for p, n := range all {
		if n.mode.IsRegular() && !skip[p] {
			out[p] = n.data
		}
	}
	return out
}

func sameFiles(t *testing.T, got, want map[string]string) {
	t.Helper()
	for p, w := range want {
		if g, ok := got[p]; !ok {
			t.Errorf("%s missing", p)
		} else if g != w {
			t.Errorf("%s differs from a fresh render", p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s is not in a fresh render", p)
		}
	}
}

func runIn(t *testing.T, bin, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "XDG_CACHE_HOME=" + os.Getenv("XDG_CACHE_HOME")}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// userData puts into a rendered repository what lives beside cht-gen's
// files on a VM whose composePath is deploy/compose/dev: CouchDB's data
// in srv (folders 0700, files 0600), an empty folder, the operator's
// files, and a .env in an environment that is about to be removed. It
// returns the paths to watch.
func userData(t *testing.T, repo string) []string {
	t.Helper()
	d := filepath.Join(repo, "deploy")
	for _, dir := range []string{"compose/dev/srv/couchdb/data/shards", "compose/dev/backups"} {
		if err := os.MkdirAll(filepath.Join(d, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{
		"compose/dev/srv/couchdb/data/_dbs.couch":         "couch data",
		"compose/dev/srv/couchdb/data/shards/medic.couch": "medic",
		"compose/dev/.env":                                "COUCHDB_PASSWORD=x",
		"compose/district-vm/.env":                        "COUCHDB_PASSWORD=y",
		"NOTES.md":                                        "mine",
	} {
		if err := os.WriteFile(filepath.Join(d, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return []string{".", "compose", "compose/dev", "compose/dev/srv", "compose/dev/srv/couchdb", "compose/dev/srv/couchdb/data",
		"compose/dev/srv/couchdb/data/shards", "compose/dev/srv/couchdb/data/_dbs.couch", "compose/dev/srv/couchdb/data/shards/medic.couch",
		"compose/dev/backups", "compose/dev/.env", "compose/district-vm", "compose/district-vm/.env", "NOTES.md", "kubernetes", "kubernetes/base"}
}

// notRendered are the files in the output after userData and
// changeEnvironments that a fresh render lacks: the user's, the removed
// environment's .gitignore (kept while its .env is there) and the
// manifest listing it (render --check vouches for it).
var notRendered = []string{"compose/dev/srv/couchdb/data/_dbs.couch", "compose/dev/srv/couchdb/data/shards/medic.couch",
	"compose/dev/.env", "compose/district-vm/.env", "NOTES.md", "compose/district-vm/.gitignore", ".cht-gen-manifest"}

// changeEnvironments bumps dev (compose) and removes district-vm, so a
// render replaces, adds and removes owned files.
func changeEnvironments(t *testing.T, repo string) {
	t.Helper()
	edit("environments/dev.cue", `version: "4.22.0"`, `version: "4.21.1"`)(t, repo)
	if err := os.Remove(filepath.Join(repo, "environments", "prod-vm.cue")); err != nil {
		t.Fatal(err)
	}
}

// freshRender renders repo's environments into an empty folder: its
// files but those in notRendered.
func freshRender(t *testing.T, bin, repo string) map[string]string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "fresh")
	if code, errs := runIn(t, bin, repo, nil, "render", "--out", out); code != 0 {
		t.Fatalf("fresh render: exit %d\n%s", code, errs)
	}
	return regularFiles(nodes(t, out), notRendered...)
}

func copyRepo(t *testing.T, template string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(template)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func checkWatched(t *testing.T, before, after map[string]fsNode, watched []string) {
	t.Helper()
	for _, p := range watched {
		if b, a := before[p], after[p]; a != b {
			t.Errorf("%s was touched: before %v %o ino %d, after %v %o ino %d", p, b.mode.Type(), b.mode.Perm(), b.ino, a.mode.Type(), a.mode.Perm(), a.ino)
		}
	}
}

func TestCLI_RenderTouchesOnlyWhatItOwns(t *testing.T) {
	bin := builtCLI(t)
	template, _ := hostingRepo(t)
	repo := copyRepo(t, template)
	watched := userData(t, repo)
	os.Chmod(filepath.Join(repo, "deploy/compose/dev"), 0o750)
	deploy := filepath.Join(repo, "deploy")
	before := nodes(t, deploy)
	changeEnvironments(t, repo)

	code, errs := runIn(t, bin, repo, nil, "render")
	if code != 0 {
		t.Fatalf("render: exit %d\n%s", code, errs)
	}
	after := nodes(t, deploy)
	checkWatched(t, before, after, watched)
	// Every folder that still holds something is the same folder.
	for p, b := range before {
		if a, ok := after[p]; ok && b.mode.IsDir() && a != b {
			t.Errorf("folder %s re-created or its mode changed: %o -> %o", p, b.mode.Perm(), a.mode.Perm())
		}
	}
	if _, ok := after["compose/district-vm/cht-core.yml"]; ok {
		t.Error("the removed environment's files stay")
	}
	if _, ok := after["compose/district-vm/upgrade-service"]; ok {
		t.Error("the removed environment's emptied folder stays")
	}
	if before["compose/dev/cht-couchdb.yml"] != after["compose/dev/cht-couchdb.yml"] && before["compose/dev/cht-couchdb.yml"].data == after["compose/dev/cht-couchdb.yml"].data {
		t.Error("an unchanged file was rewritten")
	}
	if before["compose/district-vm/.gitignore"] != after["compose/district-vm/.gitignore"] {
		t.Error("the removed environment's .gitignore went while its .env is still there")
	}
	sameFiles(t, regularFiles(after, notRendered...), freshRender(t, bin, repo))
	if code, errs := runIn(t, bin, repo, nil, "render", "--check"); code != 0 {
		t.Errorf("--check after render: exit %d\n%s", code, errs)
	}
}

func TestCLI_ForeignFileWhereANewEnvironmentRenders(t *testing.T) {
	bin := builtCLI(t)
	template, _ := hostingRepo(t)
	repo := copyRepo(t, template)
	dev, _ := os.ReadFile(filepath.Join(repo, "environments/dev.cue"))
	clone := strings.NewReplacer("environments: dev:", "environments: lab:", `"localhost"`, `"lab.example.org"`, "8080", "8081", "8443", "8444").Replace(string(dev))
	os.WriteFile(filepath.Join(repo, "environments/lab.cue"), []byte(clone), 0o644)
	os.MkdirAll(filepath.Join(repo, "deploy/compose/lab"), 0o755)
	os.WriteFile(filepath.Join(repo, "deploy/compose/lab/cht-core.yml"), []byte("the operator's own compose file\n"), 0o644)
	before := snapshot(t, repo)

	code, errs := runIn(t, bin, repo, nil, "render")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, errs)
	}
	for _, want := range []string{"deploy/compose/lab/cht-core.yml exists and cht-gen does not own it", "never overwrites it", "nothing was changed"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not say %q:\n%s", want, errs)
		}
	}
	if after := snapshot(t, repo); after != before {
		t.Errorf("the repository changed:\n%s", firstDifference(before, after))
	}
}

func TestCLI_HandEditNamedAndRestored(t *testing.T) {
	bin := builtCLI(t)
	template, _ := hostingRepo(t)
	repo := copyRepo(t, template)
	p := filepath.Join(repo, "deploy/compose/dev/cht-core.yml")
	want, _ := os.ReadFile(p)
	os.WriteFile(p, []byte("edited\n"), 0o644)
	code, errs := runIn(t, bin, repo, nil, "render")
	if code != 0 || !strings.Contains(errs, "deploy/compose/dev/cht-core.yml had been edited by hand: restored") {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
		t.Error("not restored")
	}
}

func TestCLI_WritesNeverFollowALinkOutOfTheOutput(t *testing.T) {
	bin := builtCLI(t)
	template, _ := hostingRepo(t)
	repo := copyRepo(t, template)
	// The operator moved deploy/compose/dev to the VM's composePath and
	// linked it back.
	outside := filepath.Join(t.TempDir(), "opt-cht")
	if err := os.Rename(filepath.Join(repo, "deploy/compose/dev"), outside); err != nil {
		t.Fatal(err)
	}
	os.Symlink(outside, filepath.Join(repo, "deploy/compose/dev"))
	edit("environments/dev.cue", `version: "4.22.0"`, `version: "4.21.1"`)(t, repo)
	outsideBefore := nodes(t, outside)
	before := nodes(t, repo)
	code, errs := runIn(t, bin, repo, nil, "render")
	if code != 1 || !strings.Contains(errs, "deploy/compose/dev: a symbolic link on this path leads outside deploy") {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	checkWatched(t, outsideBefore, nodes(t, outside), sortedPaths(outsideBefore))
	after := nodes(t, repo)
	checkWatched(t, before, after, sortedPaths(before))
	if len(after) != len(before) {
		t.Errorf("paths added or removed: %d -> %d", len(before), len(after))
	}
}

func TestCLI_OutputThatIsALinkIsFollowed(t *testing.T) {
	bin := builtCLI(t)
	template, _ := hostingRepo(t)
	repo := copyRepo(t, template)
	os.Rename(filepath.Join(repo, "deploy"), filepath.Join(repo, "real-deploy"))
	os.Symlink("real-deploy", filepath.Join(repo, "deploy"))
	real := nodes(t, filepath.Join(repo, "real-deploy"))
	changeEnvironments(t, repo)
	if code, errs := runIn(t, bin, repo, nil, "render"); code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	if info, err := os.Lstat(filepath.Join(repo, "deploy")); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Fatal("--out deploy, a symbolic link, was replaced")
	}
	after := nodes(t, filepath.Join(repo, "real-deploy"))
	checkWatched(t, real, after, []string{".", "compose", "compose/dev", "kubernetes"})
	sameFiles(t, regularFiles(after, notRendered...), freshRender(t, bin, repo))

	os.Remove(filepath.Join(repo, "deploy"))
	os.Symlink("nowhere", filepath.Join(repo, "deploy"))
	code, errs := runIn(t, bin, repo, nil, "render")
	if code != 1 || !strings.Contains(errs, "is a symbolic link to nowhere, which does not exist") {
		t.Fatalf("dangling --out: exit %d\n%s", code, errs)
	}
	if _, err := os.Lstat(filepath.Join(repo, "nowhere")); !os.IsNotExist(err) {
		t.Error("created the link's target")
	}
}

func sortedPaths(m map[string]fsNode) []string {
	var out []string
	for p := range m {
		out = append(out, p)
	}
	return out
}

var hookBinary struct {
	once sync.Once
	path string
	err  error
}

// builtHookCLI is cht-gen built with the chtgen_writehook tag: it kills
// itself (SIGKILL) before the write step CHT_GEN_KILL_AT_WRITE_STEP.
func builtHookCLI(t *testing.T) string {
	t.Helper()
	dir := filepath.Dir(builtCLI(t))
	hookBinary.once.Do(func() {
		hookBinary.path = filepath.Join(dir, "cht-gen-writehook")
		out, err := exec.Command("go", "build", "-tags", "chtgen_writehook", "-o", hookBinary.path, ".").CombinedOutput()
		if err != nil {
			hookBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if hookBinary.err != nil {
		t.Fatal(hookBinary.err)
	}
	return hookBinary.path
}

// kill -9 at write steps: each owned file is entirely old or entirely
// new, nothing of the user's is touched, and the next render repairs,
// says so, and leaves exactly a fresh render.
func TestCLI_KillNineAtWriteSteps(t *testing.T) {
	bin, hookBin := builtCLI(t), builtHookCLI(t)
	template, _ := hostingRepo(t)
	userData(t, template)
	changeEnvironments(t, template)
	old := nodes(t, filepath.Join(template, "deploy"))

	// The steps of this write, and its result.
	traced := copyRepo(t, template)
	code, errs := runIn(t, hookBin, traced, []string{"CHT_GEN_TRACE_WRITE_STEPS=1"}, "render")
	if code != 0 {
		t.Fatalf("traced render: exit %d\n%s", code, errs)
	}
	var steps []string
	for _, line := range strings.Split(errs, "\n") {
		if _, what, ok := strings.Cut(line, "write step "); ok {
			steps = append(steps, what)
		}
	}
	if len(steps) < 10 {
		t.Fatalf("%d write steps:\n%s", len(steps), errs)
	}
	newTree := nodes(t, filepath.Join(traced, "deploy"))
	want := regularFiles(newTree, notRendered...)
	sameFiles(t, want, freshRender(t, bin, traced))

	// Each kind of step, first and last of a kind: the journal's three
	// states, temporary files, renames, removals, folder removal.
	var picks []int
	kind := func(s string) string { k, _, _ := strings.Cut(strings.SplitN(s, ": ", 2)[1], " "); return k }
	for i, s := range steps {
		if i == 0 || i == len(steps)-1 || kind(s) != kind(steps[i-1]) || kind(s) != kind(steps[i+1]) {
			picks = append(picks, i+1)
		}
	}
	for _, n := range picks {
		t.Run(steps[n-1], func(t *testing.T) {
			repo := copyRepo(t, template)
			watched := userData(t, repo)
			before := nodes(t, filepath.Join(repo, "deploy"))
			cmd := exec.Command(hookBin, "render")
			cmd.Dir = repo
			cmd.Env = []string{"HOME=" + repo, "PATH=" + os.Getenv("PATH"), "XDG_CACHE_HOME=" + os.Getenv("XDG_CACHE_HOME"), fmt.Sprintf("CHT_GEN_KILL_AT_WRITE_STEP=%d", n)}
			cmd.Run()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("not killed at step %d: %v", n, cmd.ProcessState)
			}
			mid := nodes(t, filepath.Join(repo, "deploy"))
			for p := range regularFiles(mergeNodes(old, newTree), notRendered...) {
				if p == ".cht-gen-manifest" {
					continue
				}
				m, o, w := mid[p], old[p], newTree[p]
				if m.data != o.data && m.data != w.data || (m.mode == 0) != (o.mode == 0) && (m.mode == 0) != (w.mode == 0) {
					t.Errorf("%s is neither old nor new after kill -9", p)
				}
			}
			checkWatched(t, before, mid, watched)

			code, errs := runIn(t, bin, repo, nil, "render")
			if code != 0 {
				t.Fatalf("render after kill -9: exit %d\n%s", code, errs)
			}
			if n > 1 && !strings.Contains(errs, "the previous write was interrupted") {
				t.Errorf("the repair was not reported:\n%s", errs)
			}
			after := nodes(t, filepath.Join(repo, "deploy"))
			checkWatched(t, before, after, watched)
			sameFiles(t, regularFiles(after, notRendered...), want)
			if l := leftovers(t, repo); len(l) > 0 {
				t.Errorf("left behind: %v", l)
			}
			if code, errs := runIn(t, bin, repo, nil, "render", "--check"); code != 0 {
				t.Errorf("--check after the repair: exit %d\n%s", code, errs)
			}
		})
	}
}

func mergeNodes(a, b map[string]fsNode) map[string]fsNode {
	out := map[string]fsNode{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
