//go:build unix

package repo_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/repo"
)

// node is what a test compares of one path: kind and mode, inode,
// content or link target.
type node struct {
	mode fs.FileMode
	ino  uint64
	data string
}

// tree maps every path under dir (dir itself as ".") to its node, without
// following symbolic links.
func tree(t *testing.T, dir string) map[string]node {
	t.Helper()
	out := map[string]node{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		n := node{mode: info.Mode(), ino: info.Sys().(*syscall.Stat_t).Ino}
		switch {
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			n.data = string(b)
		case info.Mode()&fs.ModeSymlink != 0:
			n.data, _ = os.Readlink(p)
		}
		out[filepath.ToSlash(rel)] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rendered is content as cht-gen renders it: its header first, which the
// writer requires before it removes or restores a file.
func rendered(s string) []byte { return []byte(files.Header("e.cue") + s) }

func mustWrite(t *testing.T, dir string, set files.Set) []repo.Change {
	t.Helper()
	c, err := repo.Write(dir, set, repo.Options{Log: func(m string) { t.Log(m) }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// foreign puts what a user or CouchDB keeps inside the output: data in
// deploy/compose/<env>/srv, a file of their own, an empty folder, and a
// folder mode they chose. It returns the paths to watch.
func foreign(t *testing.T, dir string) []string {
	t.Helper()
	for _, d := range []string{"compose/a/srv/couchdb/data", "compose/a/empty", "compose/gone/srv"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "compose/a/srv/couchdb/data/_dbs.couch"), []byte("database"), 0o600)
	os.WriteFile(filepath.Join(dir, "compose/a/local.txt"), []byte("mine"), 0o640)
	os.WriteFile(filepath.Join(dir, "compose/gone/srv/shard"), []byte("shard"), 0o600)
	os.Chmod(filepath.Join(dir, "compose/a"), 0o755)
	os.Chmod(filepath.Join(dir, "compose"), 0o750)
	return []string{".", "compose", "compose/a", "compose/a/srv", "compose/a/srv/couchdb", "compose/a/srv/couchdb/data",
		"compose/a/srv/couchdb/data/_dbs.couch", "compose/a/empty", "compose/a/local.txt", "compose/gone", "compose/gone/srv", "compose/gone/srv/shard"}
}

func sameNodes(t *testing.T, before, after map[string]node, paths []string) {
	t.Helper()
	for _, p := range paths {
		b, ok := before[p]
		if !ok {
			t.Fatalf("test setup: %s missing", p)
		}
		if a, ok := after[p]; !ok || a != b {
			t.Errorf("%s was touched: before %+v, after %+v (present %v)", p, b, a, ok)
		}
	}
}

var (
	oldSet = files.Set{
		"compose/a/x.yml":      rendered("x: old\n"),
		"compose/a/y.yml":      rendered("y: same\n"),
		"compose/gone/z.yml":   rendered("z: old\n"),
		"compose/gone2/w.yml":  rendered("w: old\n"),
		"kubernetes/base/k.ya": rendered("k: same\n"),
	}
	newSet = files.Set{
		"compose/a/x.yml":         rendered("x: new, and longer than the old one\n"),
		"compose/a/y.yml":         rendered("y: same\n"),
		"compose/a/sub/deep.yml":  rendered("deep: new\n"),
		"compose/new/n.yml":       rendered("n: new\n"),
		"kubernetes/base/k.ya":    rendered("k: same\n"),
		"kubernetes/overlays/p.y": rendered("p: new\n"),
	}
)

// oldOrNew fails unless every path of either set holds exactly its old
// content (absent if it had none) or exactly its new one.
func oldOrNew(t *testing.T, dir string, old, new files.Set) {
	t.Helper()
	for _, p := range append(old.Paths(), new.Paths()...) {
		b, err := os.ReadFile(filepath.Join(dir, p))
		got, present := string(b), err == nil
		o, inOld := old[p]
		n, inNew := new[p]
		isOld := present == inOld && (!present || got == string(o))
		isNew := present == inNew && (!present || got == string(n))
		if !isOld && !isNew {
			t.Errorf("%s is neither old nor new: present %v, %q", p, present, got)
		}
	}
}

// exactly checks the owned files of dir are set, byte for byte, and that
// no temporary file is left.
func exactly(t *testing.T, dir string, set files.Set) {
	t.Helper()
	for _, p := range set.Paths() {
		if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != string(set[p]) {
			t.Errorf("%s: %q %v, want %q", p, b, err, set[p])
		}
	}
	for p := range tree(t, dir) {
		if strings.Contains(p, ".cht-gen-") && strings.HasSuffix(p, ".tmp") {
			t.Errorf("temporary file left: %s", p)
		}
	}
	if c, err := repo.Diff(dir, set); err != nil || len(c) != 0 {
		t.Errorf("not a whole render: %v %v", c, err)
	}
}

var errCrash = errors.New("crash")

// countSteps runs the write once to learn how many steps it has.
func countSteps(t *testing.T, setup func(string), set files.Set) int {
	dir := filepath.Join(t.TempDir(), "deploy")
	setup(dir)
	n := 0
	if _, err := repo.Write(dir, set, repo.Options{Hook: func(step int, what string) error { n = step; return nil }}); err != nil {
		t.Fatal(err)
	}
	return n
}

// Crash safety: the write is stopped at each of its steps, as a kill
// would stop it; every owned file must then be entirely old or entirely
// new, nothing foreign touched, and the next run must repair, say so,
// and end with exactly the render it is given.
func TestWrite_CrashAtEveryStep(t *testing.T) {
	setup := func(dir string) {
		mustWrite(t, dir, oldSet)
		foreign(t, dir)
	}
	steps := countSteps(t, setup, newSet)
	if steps < 12 {
		t.Fatalf("only %d steps: the write is not per file", steps)
	}
	for _, next := range []struct {
		name string
		set  files.Set
	}{{"then the new render", newSet}, {"then the old render again", oldSet}} {
		for n := 1; n <= steps; n++ {
			t.Run(fmt.Sprintf("%s/step %d", next.name, n), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "deploy")
				setup(dir)
				watched := foreign(t, dir)
				before := tree(t, dir)
				var what string
				_, err := repo.Write(dir, newSet, repo.Options{Hook: func(step int, w string) error {
					if step == n {
						what = w
						return errCrash
					}
					return nil
				}})
				if !errors.Is(err, errCrash) {
					t.Fatalf("not stopped at step %d: %v", n, err)
				}
				oldOrNew(t, dir, oldSet, newSet)
				sameNodes(t, before, tree(t, dir), watched)
				if c, err := repo.Diff(dir, newSet); n > 1 && (err != nil || len(c) == 0) {
					t.Errorf("--check after a crash at %q sees nothing to do: %v", what, err)
				}

				var log []string
				if _, err := repo.Write(dir, next.set, repo.Options{Log: func(m string) { log = append(log, m) }}); err != nil {
					t.Fatalf("after a crash at %q: %v", what, err)
				}
				exactly(t, dir, next.set)
				after := tree(t, dir)
				sameNodes(t, before, after, watched)
				if before["kubernetes/base/k.ya"] != after["kubernetes/base/k.ya"] {
					t.Error("an unchanged file was rewritten")
				}
				said := strings.Join(log, "\n")
				if n > 1 && !strings.Contains(said, "interrupted") {
					t.Errorf("crash at %q: the next run did not say what it repaired: %q", what, said)
				}
				if n == 1 && said != "" {
					t.Errorf("stopped before the journal, nothing to repair, yet: %q", said)
				}
			})
		}
	}
}

// A crash while repairing a crash is repaired too: the first crash leaves
// a pending journal (rolled back by "remove" steps, then "restore" of the
// manifest) or a committing one (finished by "replace" steps, then "write"
// of the manifest); the second crash hits that last repair step.
func TestWrite_CrashWhileRepairing(t *testing.T) {
	for _, tc := range []struct{ first, inRepair string }{
		{"write temporary file for compose/new/n.yml", "restore " + repo.ManifestName},
		{"replace compose/a/x.yml", "write " + repo.ManifestName},
	} {
		dir := filepath.Join(t.TempDir(), "deploy")
		mustWrite(t, dir, oldSet)
		crashAt := func(target string) repo.Options {
			return repo.Options{Hook: func(_ int, what string) error {
				if what == target {
					return errCrash
				}
				return nil
			}}
		}
		if _, err := repo.Write(dir, newSet, crashAt(tc.first)); !errors.Is(err, errCrash) {
			t.Fatalf("%s: %v", tc.first, err)
		}
		var logged []string
		opts := crashAt(tc.inRepair)
		opts.Log = func(m string) { logged = append(logged, m) }
		if _, err := repo.Write(dir, newSet, opts); !errors.Is(err, errCrash) {
			t.Fatalf("repair after %q did not reach %q: %v", tc.first, tc.inRepair, err)
		}
		if len(logged) != 0 {
			t.Errorf("the crash at %q came after the repair was reported (%q): it did not hit the repair", tc.inRepair, logged)
		}
		oldOrNew(t, dir, oldSet, newSet)
		mustWrite(t, dir, newSet)
		exactly(t, dir, newSet)
	}
}

func TestWrite_FailureLeavesOutputUntouched(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustWrite(t, dir, oldSet)
	watched := foreign(t, dir)
	before := tree(t, dir)
	if _, err := repo.Write(dir, newSet, repo.Options{FailAfter: 1}); err == nil || !strings.Contains(err.Error(), "is unchanged") {
		t.Fatalf("injected failure: %v", err)
	}
	after := tree(t, dir)
	if len(before) != len(after) {
		t.Errorf("paths changed: %d -> %d", len(before), len(after))
	}
	for p, b := range before {
		a := after[p]
		if p == repo.ManifestName {
			// The journal was written and then restored: same bytes, but
			// a new file (its inode is whatever the file system hands out).
			a.ino, b.ino = 0, 0
		}
		if a != b {
			t.Errorf("%s changed", p)
		}
	}
	sameNodes(t, before, after, watched)
}

func TestWrite_PrunesOwnedKeepsForeignAndUnchanged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustWrite(t, dir, files.Set{"compose/a/x.yml": rendered("a"), "compose/gone/y.yml": rendered("g")})
	os.WriteFile(filepath.Join(dir, "compose", "a", "local.txt"), []byte("mine"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "compose/a/x.yml"), old, old)
	changes := mustWrite(t, dir, files.Set{"compose/a/x.yml": rendered("a")})
	if len(changes) != 2 { // the pruned file and the manifest
		t.Errorf("changes %v", changes)
	}
	if _, err := os.Lstat(filepath.Join(dir, "compose/gone")); !os.IsNotExist(err) {
		t.Error("the folder of a deleted environment, left empty, was kept")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "compose/a/local.txt")); string(b) != "mine" {
		t.Error("file cht-gen does not own was touched")
	}
	if info, _ := os.Stat(filepath.Join(dir, "compose/a/x.yml")); !info.ModTime().Equal(old) {
		t.Error("unchanged file rewritten")
	}
	if c := mustWrite(t, dir, files.Set{"compose/a/x.yml": rendered("a")}); c != nil {
		t.Errorf("second identical write changed %v", c)
	}
}

// Folders are never re-created: a user's empty folder, a folder's mode,
// and a data folder inside the output keep their inode and content while
// owned files around them change and environments come and go.
func TestWrite_FoldersAndForeignFilesStay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustWrite(t, dir, oldSet)
	watched := foreign(t, dir)
	before := tree(t, dir)
	mustWrite(t, dir, newSet)
	after := tree(t, dir)
	sameNodes(t, before, after, watched)
	if _, ok := after["compose/gone2"]; ok {
		t.Error("compose/gone2, emptied by the removal of its only file, stays")
	}
	for _, d := range []string{"compose/new", "compose/a/sub", "kubernetes/overlays"} {
		if m := after[d].mode; !m.IsDir() || m.Perm() != 0o755 {
			t.Errorf("created folder %s: mode %v, want 0755", d, m)
		}
	}
}

func TestWrite_ForeignFileAtARenderedPathIsAnError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustWrite(t, dir, oldSet)
	os.MkdirAll(filepath.Join(dir, "compose/new"), 0o755)
	os.WriteFile(filepath.Join(dir, "compose/new/n.yml"), []byte("the user's"), 0o644)
	os.WriteFile(filepath.Join(dir, "kubernetes/overlays"), []byte("a file where a folder goes"), 0o644)
	before := tree(t, dir)
	_, err := repo.Write(dir, newSet, repo.Options{})
	for _, want := range []string{"compose/new/n.yml exists and cht-gen does not own it", "never overwrites", "kubernetes/overlays is a file where cht-gen needs a folder", "nothing was changed"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	after := tree(t, dir)
	if len(after) != len(before) {
		t.Errorf("paths changed")
	}
	for p, n := range before {
		if after[p] != n {
			t.Errorf("%s changed", p)
		}
	}
	if c, _ := repo.Diff(dir, newSet); len(c) == 0 {
		t.Error("--check sees nothing to do")
	}
}

// An identical file cht-gen would write is adopted, not an error.
func TestWrite_AdoptsIdenticalFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	os.MkdirAll(filepath.Join(dir, "compose/a"), 0o755)
	os.WriteFile(filepath.Join(dir, "compose/a/x.yml"), newSet["compose/a/x.yml"], 0o644)
	mustWrite(t, dir, files.Set{"compose/a/x.yml": newSet["compose/a/x.yml"]})
	mustWrite(t, dir, files.Set{})
	if _, err := os.Lstat(filepath.Join(dir, "compose/a/x.yml")); !os.IsNotExist(err) {
		t.Error("adopted file not removed with its environment")
	}
}

func TestWrite_HandEditNamedWhenRestored(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustWrite(t, dir, oldSet)
	p := filepath.Join(dir, "compose/a/y.yml")
	os.WriteFile(p, []byte("y: edited by hand\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "compose/gone/z.yml"), []byte("z: edited\n"), 0o644)
	var log []string
	if _, err := repo.Write(dir, newSet, repo.Options{Log: func(m string) { log = append(log, m) }}); err != nil {
		t.Fatal(err)
	}
	said := strings.Join(log, "\n")
	for _, want := range []string{filepath.Join(dir, "compose/a/y.yml") + " had been edited by hand: restored", "left " + filepath.Join(dir, "compose/gone/z.yml") + " in place"} {
		if !strings.Contains(said, want) {
			t.Errorf("log does not say %q:\n%s", want, said)
		}
	}
	if strings.Contains(said, "x.yml") {
		t.Errorf("a file changed by the render is reported as a hand edit:\n%s", said)
	}
	exactly(t, dir, newSet)
	// An edited file no longer rendered holds the user's work: it stays,
	// no longer owned.
	if b, err := os.ReadFile(filepath.Join(dir, "compose/gone/z.yml")); err != nil || string(b) != "z: edited\n" {
		t.Errorf("the hand-edited file no longer rendered was not left as it was: %q %v", b, err)
	}
}

func TestWrite_GitignoreKeptWhileDotEnvIsThere(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	set := files.Set{"compose/old/.gitignore": rendered(".env\n"), "compose/old/cht.yml": rendered("c")}
	mustWrite(t, dir, set)
	os.WriteFile(filepath.Join(dir, "compose/old/.env"), []byte("COUCHDB_PASSWORD=x"), 0o600)
	var log []string
	opts := repo.Options{Log: func(m string) { log = append(log, m) }}
	if _, err := repo.Write(dir, files.Set{}, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "compose/old/.gitignore")); err != nil {
		t.Fatal(".gitignore removed while .env is there")
	}
	if _, err := os.Stat(filepath.Join(dir, "compose/old/cht.yml")); !os.IsNotExist(err) {
		t.Error("the other files of the removed environment stay")
	}
	if !strings.Contains(strings.Join(log, "\n"), "kept "+filepath.Join(dir, "compose/old/.gitignore")) {
		t.Errorf("log: %q", log)
	}
	if c, _ := repo.Diff(dir, files.Set{}); len(c) != 0 {
		t.Errorf("--check reports the kept .gitignore: %v", c)
	}
	// The environment comes back: its .gitignore is still cht-gen's.
	mustWrite(t, dir, set)
	os.Remove(filepath.Join(dir, "compose/old/.env"))
	mustWrite(t, dir, files.Set{})
	if _, err := os.Lstat(filepath.Join(dir, "compose/old")); !os.IsNotExist(err) {
		t.Error("with the .env gone, the environment's folder should go")
	}
}

func TestWrite_SymlinkOutOfTheOutputIsRefused(t *testing.T) {
	outside := t.TempDir()
	dir := filepath.Join(t.TempDir(), "deploy")
	mustWrite(t, dir, oldSet)
	// The operator linked compose/new to the VM's composePath.
	if err := os.Symlink(outside, filepath.Join(dir, "compose/new")); err != nil {
		t.Fatal(err)
	}
	// and a relative link that climbs out.
	if err := os.Symlink("../../..", filepath.Join(dir, "kubernetes/overlays")); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	_, err := repo.Write(dir, newSet, repo.Options{})
	for _, want := range []string{filepath.Join(dir, "compose/new") + ": a symbolic link on this path leads outside", filepath.Join(dir, "kubernetes/overlays") + ": a symbolic link"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote outside the output: %v", entries)
	}
	after := tree(t, dir)
	for p, n := range before {
		if after[p] != n {
			t.Errorf("%s changed", p)
		}
	}
	// Removing files through a link out is refused too.
	os.Remove(filepath.Join(dir, "compose/new"))
	os.Remove(filepath.Join(dir, "kubernetes/overlays"))
	os.Rename(filepath.Join(dir, "compose/gone"), filepath.Join(outside, "gone"))
	os.Symlink(filepath.Join(outside, "gone"), filepath.Join(dir, "compose/gone"))
	if _, err := repo.Write(dir, newSet, repo.Options{}); err == nil || !strings.Contains(err.Error(), "compose/gone/z.yml: a symbolic link") {
		t.Errorf("removal through a link out: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "gone/z.yml")); err != nil {
		t.Error("removed a file outside the output")
	}
}

// A link to a folder inside the output is followed.
func TestWrite_SymlinkInsideTheOutputIsFollowed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	os.MkdirAll(filepath.Join(dir, "real"), 0o755)
	os.Symlink("real", filepath.Join(dir, "compose"))
	mustWrite(t, dir, files.Set{"compose/a.yml": []byte("a")})
	if b, _ := os.ReadFile(filepath.Join(dir, "real/a.yml")); string(b) != "a" {
		t.Errorf("real/a.yml: %q", b)
	}
	if info, _ := os.Lstat(filepath.Join(dir, "compose")); info.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
}

func TestWrite_OutputThatIsASymlink(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real-deploy")
	os.MkdirAll(real, 0o755)
	link := filepath.Join(base, "deploy")
	os.Symlink("real-deploy", link)
	realInfo, _ := os.Stat(real)
	mustWrite(t, link, oldSet)
	mustWrite(t, link, newSet)
	if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("--out, a symbolic link, was replaced: %v %v", info, err)
	}
	if info, _ := os.Stat(real); !os.SameFile(info, realInfo) {
		t.Error("the folder the link points to was re-created")
	}
	exactly(t, real, newSet)

	dangling := filepath.Join(base, "dangling")
	os.Symlink("nowhere", dangling)
	_, err := repo.Write(dangling, oldSet, repo.Options{})
	if err == nil || !strings.Contains(err.Error(), "is a symbolic link to nowhere, which does not exist") {
		t.Errorf("dangling --out: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(base, "nowhere")); !os.IsNotExist(err) {
		t.Error("created the link's target")
	}
}

func TestWrite_OutputIsAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "deploy")
	os.WriteFile(f, []byte("x"), 0o644)
	if _, err := repo.Write(f, files.Set{"a": []byte("b")}, repo.Options{}); err == nil {
		t.Fatal("wrote into a file")
	}
}

// A manifest written before hashes (one path a line) is still read.
func TestWrite_ReadsTheOlderManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	os.MkdirAll(filepath.Join(dir, "compose/a"), 0o755)
	os.WriteFile(filepath.Join(dir, "compose/a/x.yml"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(dir, repo.ManifestName), []byte("# generated by cht-gen — files below are owned by cht-gen; do not edit\ncompose/a/x.yml\n"), 0o644)
	mustWrite(t, dir, files.Set{"compose/a/x.yml": rendered("new")})
	exactly(t, dir, files.Set{"compose/a/x.yml": rendered("new")})
}

func TestDiff_Kinds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	c, err := repo.Diff(dir, oldSet)
	if err != nil || len(c) != len(oldSet)+1 {
		t.Fatalf("missing output: %v %v", c, err)
	}
	mustWrite(t, dir, oldSet)
	os.WriteFile(filepath.Join(dir, "compose/a/y.yml"), rendered("edited"), 0o644)
	c, _ = repo.Diff(dir, newSet)
	got := fmt.Sprint(c)
	for _, want := range []string{"{compose/a/x.yml stale}", "{compose/a/y.yml stale}", "{compose/new/n.yml missing}", "{compose/gone/z.yml extra}", "{" + repo.ManifestName + " stale}"} {
		if !strings.Contains(got, want) {
			t.Errorf("Diff lacks %s: %s", want, got)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "compose/new")); !os.IsNotExist(err) {
		t.Error("Diff wrote")
	}
}

// An owned file that someone replaced by a link is theirs: Write and Diff
// refuse it, naming the link, and write neither through it nor over it
// until it is gone. A lock file that is a link is refused.
func TestWrite_NeverWritesThroughALinkedFile(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "passwd")
	os.WriteFile(outside, []byte("root:x:0:0"), 0o644)
	dir := filepath.Join(t.TempDir(), "deploy")
	mustWrite(t, dir, oldSet)
	p := filepath.Join(dir, "compose/a/x.yml")
	os.Remove(p)
	os.Symlink(outside, p)
	before := tree(t, dir)
	_, err := repo.Write(dir, newSet, repo.Options{})
	want := p + " is now a symbolic link (to " + outside + ") where cht-gen wrote a file"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Write: %v, want it to say %q", err, want)
	}
	if _, err := repo.Diff(dir, newSet); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Diff: %v, want it to say %q", err, want)
	}
	if b, _ := os.ReadFile(outside); string(b) != "root:x:0:0" {
		t.Fatalf("wrote through the link: %q", b)
	}
	if info, _ := os.Lstat(p); info == nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	after := tree(t, dir)
	for q, n := range before {
		if after[q] != n {
			t.Errorf("%s changed", q)
		}
	}
	os.Remove(p)
	mustWrite(t, dir, newSet)
	exactly(t, dir, newSet)

	lock := filepath.Join(dir, repo.LockName)
	os.Remove(lock)
	os.Symlink(outside, lock)
	if _, err := repo.Write(dir, oldSet, repo.Options{}); err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Errorf("lock file that is a link: %v", err)
	}
}

// What Write refuses, Diff (render --check) must not pass: a file where a
// folder is rendered, or a link out of the output on the way.
func TestDiff_RefusesWhatWriteRefuses(t *testing.T) {
	for name, spoil := range map[string]func(t *testing.T, dir string){
		"a file where a folder is rendered": func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "compose/a"))
			os.WriteFile(filepath.Join(dir, "compose/a"), []byte("mine"), 0o644)
		},
		"a folder linked out of the output": func(t *testing.T, dir string) {
			outside := t.TempDir()
			os.RemoveAll(filepath.Join(dir, "compose/a"))
			os.Symlink(outside, filepath.Join(dir, "compose/a"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deploy")
			mustWrite(t, dir, oldSet)
			spoil(t, dir)
			_, werr := repo.Write(dir, oldSet, repo.Options{})
			_, derr := repo.Diff(dir, oldSet)
			if werr == nil || derr == nil {
				t.Fatalf("Write: %v; Diff: %v; want both to refuse", werr, derr)
			}
		})
	}
}

// A named pipe where cht-gen wrote a file is refused too (and not opened:
// that would block).
func TestWrite_RefusesAPipeInPlaceOfAnOwnedFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustWrite(t, dir, oldSet)
	p := filepath.Join(dir, "compose/a/x.yml")
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip(err)
	}
	_, err := repo.Write(dir, newSet, repo.Options{})
	if want := p + " is now a named pipe where cht-gen wrote a file"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Write: %v, want it to say %q", err, want)
	}
}
