package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cht-gen/cht-gen/generator/files"
)

// Change is one difference between a Set and a directory.
type Change struct {
	Path string
	Kind string // "stale", "missing", "extra"
}

// Options tune Write; the zero value is what the CLI uses.
type Options struct {
	// Log receives what the writer repaired, restored, kept or removed
	// that a user should know of, one message per call. Nil: standard
	// error.
	Log func(msg string)
	// Hook, when set, is called before each step that changes the disk,
	// numbered from 1 (tests of crash safety). An error from it stops
	// Write at once, as a crash would: nothing is cleaned up, and the
	// next Write repairs.
	Hook func(step int, what string) error
	// FailAfter makes Write fail, as a real error would (it rolls back),
	// after writing that many files. Zero disables it.
	FailAfter int
	// LockWait is how long to wait for another run writing the same
	// output; zero means 3 seconds.
	LockWait time.Duration
}

// writer is one Write (or Diff) on an opened output directory.
type writer struct {
	root *folders
	dir  string // as the user named it, for messages
	opts Options
	step int
}

// manifestTemp is where a new manifest waits for its rename.
const manifestTemp = ".cht-gen-manifest.tmp"

// Write makes dir hold set, changing only files cht-gen owns: each one is
// replaced on its own (temporary file in its folder, fsync, rename),
// unchanged files are not touched, files no longer rendered are removed,
// and nothing else in dir is moved, copied, re-created or deleted. A
// journal in the manifest lets the next run finish or undo a write that
// was interrupted. It returns the changes made.
func Write(dir string, set files.Set, opts Options) ([]Change, error) {
	return WriteContext(context.Background(), dir, set, opts)
}

// WriteContext is Write; ctx ends a wait for the lock, never a write
// under way.
func WriteContext(ctx context.Context, dir string, set files.Set, opts Options) ([]Change, error) {
	for _, p := range set.Paths() {
		if err := files.CheckPath(p); err != nil {
			return nil, err
		}
		if p == ManifestName || p == LockName || p == manifestTemp {
			return nil, fmt.Errorf("rendered path %s is reserved for cht-gen's own bookkeeping", p)
		}
	}
	root, err := openOut(dir, true)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	unlock, err := lockOut(ctx, root, dir, opts.LockWait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	w := &writer{root: newFolders(root), dir: dir, opts: opts}
	defer w.root.Close()
	m, err := w.readManifest()
	if err != nil {
		return nil, err
	}
	if m, err = w.repair(m); err != nil {
		return nil, err
	}
	p, err := w.plan(m, set)
	if err != nil {
		return nil, err
	}
	if len(p.problems) > 0 {
		return nil, fmt.Errorf("cannot write %s, nothing was changed:\n  %s", dir, strings.Join(p.problems, "\n  "))
	}
	if len(p.changes) == 0 {
		return nil, nil
	}
	if err := w.apply(p); err != nil {
		return nil, err
	}
	return p.changes, nil
}

// Diff compares set (plus its manifest) with dir: files that differ,
// files missing, and owned files that would be removed. It writes
// nothing.
func Diff(dir string, set files.Set) ([]Change, error) {
	root, err := openOut(dir, false)
	if err != nil {
		return nil, err
	}
	if root == nil {
		var out []Change
		for _, p := range set.Paths() {
			out = append(out, Change{p, "missing"})
		}
		return append(out, Change{ManifestName, "missing"}), nil
	}
	defer root.Close()
	w := &writer{root: newFolders(root), dir: dir}
	defer w.root.Close()
	m, err := w.readManifest()
	if err != nil {
		return nil, err
	}
	p, err := w.plan(m, set)
	if err != nil {
		return nil, err
	}
	if len(p.problems) > 0 {
		// What Write would refuse, --check must not pass.
		return p.changes, fmt.Errorf("%s cannot be written as rendered:\n  %s", dir, strings.Join(p.problems, "\n  "))
	}
	return p.changes, nil
}

func (w *writer) readManifest() (manifest, error) {
	// A named pipe would block the read (holding the lock) for ever, and
	// a link would have cht-gen read some other file as its manifest.
	if info, err := w.root.Lstat(ManifestName); err == nil && !info.Mode().IsRegular() {
		return manifest{}, fmt.Errorf("%s %s; cht-gen keeps the list of the files it owns there, as a regular file: remove it or move it away (render then owns no file yet, and refuses to overwrite any)", w.show(ManifestName), strings.Replace(describeKind(w, ManifestName, info), "is now ", "is ", 1))
	}
	b, err := w.root.ReadFile(ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return manifest{files: owned{}}, nil
	}
	if err != nil {
		return manifest{}, fmt.Errorf("read %s: %w", w.show(ManifestName), err)
	}
	m, err := parseManifest(b)
	if err != nil {
		return manifest{}, fmt.Errorf("%s: %w", w.dir, err)
	}
	return m, nil
}

// show names p (a slash path inside the output) for messages.
func (w *writer) show(p string) string {
	return filepath.Join(w.dir, filepath.FromSlash(p))
}

func (w *writer) logf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if w.opts.Log != nil {
		w.opts.Log(msg)
		return
	}
	fmt.Fprintln(os.Stderr, "cht-gen: "+msg)
}

// do runs one step that changes the disk, after the test hook.
func (w *writer) do(what string, f func() error) error {
	w.step++
	if w.opts.Hook != nil {
		if err := w.opts.Hook(w.step, what); err != nil {
			return crash{err}
		}
	}
	return f()
}

// crash is an error from the test hook: Write stops as if killed.
type crash struct{ err error }

func (c crash) Error() string { return c.err.Error() }
func (c crash) Unwrap() error { return c.err }

func isCrash(err error) bool {
	var c crash
	return errors.As(err, &c)
}

// plan is what a Write changes.
type plan struct {
	set       files.Set
	old, next owned
	mkdirs    []string
	writes    []string
	removes   []string
	changes   []Change
	before    map[string]string // sha256 of each file written or removed now ("" if none): see journal.before
	edited    map[string]bool   // owned files changed by hand since cht-gen wrote them
	newlyKept []string
	disowned  []string // listed as owned, no longer rendered, not what cht-gen wrote: left in place
	manifest  []byte
	problems  []string // reasons not to write at all
}

func (p *plan) content(path string) []byte { return p.set[path] }

func (p *plan) change(path, kind string) {
	p.changes = append(p.changes, Change{path, kind})
}

// plan compares set with the output: what to write, remove and create,
// and which paths it must not touch.
func (w *writer) plan(m manifest, set files.Set) (*plan, error) {
	p := &plan{set: set, old: m.files, next: owned{}, before: map[string]string{}, edited: map[string]bool{}}
	owners := owned{}
	if m.journal != nil { // Diff during an interrupted write: both sides are cht-gen's
		for k, e := range m.journal.old {
			owners[k] = e
		}
	}
	for k, e := range m.files {
		owners[k] = e
	}
	dirs := map[string]dirState{}
	for _, path := range set.Paths() {
		p.next[path] = entry{hash: hashOf(set[path])}
		if err := w.planFile(p, path, set[path], owners, dirs); err != nil {
			return nil, err
		}
	}
	for _, path := range slices.Sorted(maps.Keys(owners)) {
		if _, rendered := set[path]; !rendered {
			if err := w.planRemoval(p, path, owners[path]); err != nil {
				return nil, err
			}
		}
	}
	p.manifest = manifest{files: p.next}.bytes()
	cur, err := w.root.ReadFile(ManifestName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.change(ManifestName, "missing")
	case err != nil:
		return nil, err
	case !bytes.Equal(cur, p.manifest):
		p.change(ManifestName, "stale")
	}
	return p, nil
}

// planFile plans one rendered file.
func (w *writer) planFile(p *plan, path string, want []byte, owners owned, dirs map[string]dirState) error {
	switch w.checkFolders(p, path, dirs) {
	case dirMissing:
		p.writes = append(p.writes, path)
		p.before[path] = ""
		p.change(path, "missing")
		return nil
	case dirBad:
		return nil
	}
	info, err := w.root.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		p.writes = append(p.writes, path)
		p.before[path] = ""
		p.change(path, "missing")
		return nil
	}
	if err != nil {
		p.problems = append(p.problems, w.describe(path, err))
		return nil
	}
	var cur []byte
	if info.Mode().IsRegular() {
		if cur, err = w.root.ReadFile(path); err != nil {
			return fmt.Errorf("read %s: %w", w.show(path), err)
		}
		if bytes.Equal(cur, want) {
			return nil // unchanged (or identical and now owned): not touched
		}
	}
	e, own := owners[path]
	if !own {
		p.problems = append(p.problems, fmt.Sprintf("%s exists and cht-gen does not own it (%s does not list it); cht-gen never overwrites it: move it away, then render again", w.show(path), ManifestName))
		p.change(path, "stale")
		return nil
	}
	if info.IsDir() {
		p.problems = append(p.problems, fmt.Sprintf("%s is a folder where cht-gen renders a file: move it away, then render again", w.show(path)))
		p.change(path, "stale")
		return nil
	}
	if !info.Mode().IsRegular() {
		// Someone put a link (or a device, a pipe) where cht-gen wrote a
		// file: that is theirs now, as it is when no longer rendered.
		p.problems = append(p.problems, fmt.Sprintf("%s %s where cht-gen wrote a file; cht-gen replaces only the files it wrote: remove it or move it away, then render again", w.show(path), describeKind(w, path, info)))
		p.change(path, "stale")
		return nil
	}
	// Not what cht-gen wrote: edited by hand, or rewritten by Medic's
	// upgrade service (its files carry no cht-gen header). Restored: the
	// path is one cht-gen renders. (So a forged manifest line can claim
	// a user's own file only where a new environment renders.)
	if e.hash != "" && hashOf(cur) != e.hash {
		p.edited[path] = true
	}
	p.writes = append(p.writes, path)
	p.before[path] = hashOf(cur)
	p.change(path, "stale")
	return nil
}

// describeKind says what path, not a regular file, is.
func describeKind(w *writer, path string, info fs.FileInfo) string {
	switch t := info.Mode().Type(); {
	case t&fs.ModeNamedPipe != 0:
		return "is now a named pipe"
	case t&fs.ModeSocket != 0:
		return "is now a socket"
	case t&fs.ModeDevice != 0:
		return "is now a device"
	case t&fs.ModeSymlink == 0:
		return "is now not a regular file"
	}
	if target, err := w.root.Readlink(path); err == nil {
		return "is now a symbolic link (to " + target + ")"
	}
	return "is now a symbolic link"
}

// planRemoval plans an owned file that is no longer rendered.
func (w *writer) planRemoval(p *plan, path string, e entry) error {
	info, err := w.root.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // gone already: no longer owned
	}
	if err != nil {
		p.problems = append(p.problems, w.describe(path, err))
		return nil
	}
	if !info.Mode().IsRegular() {
		return nil // replaced by something else: not cht-gen's any more
	}
	cur, err := w.root.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", w.show(path), err)
	}
	if w.keepGitignore(path) {
		if e.hash == "" {
			e.hash = hashOf(cur)
		}
		if !e.kept {
			p.newlyKept = append(p.newlyKept, path)
		}
		e.kept = true
		p.next[path] = e
		return nil
	}
	if e.hash == "" || hashOf(cur) != e.hash || !files.Marked(cur) {
		// Edited by hand, or listed without being cht-gen's (the manifest
		// is committed: a pull request can add any path to it, with the
		// hash of a file it can read). Only the content cht-gen wrote, its
		// header included, proves the file is its own to delete.
		p.disowned = append(p.disowned, path)
		return nil
	}
	p.removes = append(p.removes, path)
	p.before[path] = e.hash
	p.change(path, "extra")
	return nil
}

// keepGitignore: a .gitignore of an environment no longer rendered stays
// while a .env is beside it, so the secrets never become committable.
func (w *writer) keepGitignore(path string) bool {
	dir, base := splitPath(path)
	if base != ".gitignore" {
		return false
	}
	_, err := w.root.Lstat(joinPath(dir, ".env"))
	return err == nil
}

type dirState int

const (
	dirOK dirState = iota
	dirMissing
	dirBad
)

// checkFolders checks the folders above path, top down: each must be a
// folder (or a symbolic link to one inside the output) or missing, in
// which case it is planned for creation.
func (w *writer) checkFolders(p *plan, path string, dirs map[string]dirState) dirState {
	above := dirOK
	for i := 0; i < len(path); i++ {
		if path[i] != '/' {
			continue
		}
		d := path[:i]
		state, seen := dirs[d]
		if !seen {
			state = above // below a missing folder, all are missing
			if above == dirOK {
				state = w.folderState(p, d)
			}
			dirs[d] = state
			if state == dirMissing {
				p.mkdirs = append(p.mkdirs, d)
			}
		}
		if state == dirBad {
			return dirBad
		}
		above = state
	}
	return above
}

func (w *writer) folderState(p *plan, d string) dirState {
	info, err := w.root.Lstat(d)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return dirMissing
	case err != nil:
		p.problems = append(p.problems, w.describe(d, err))
		return dirBad
	case info.IsDir():
		return dirOK
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := w.root.Stat(d)
		if err != nil {
			p.problems = append(p.problems, w.describe(d, err))
			return dirBad
		}
		if target.IsDir() {
			return dirOK // a link to a folder inside the output: followed
		}
	}
	p.problems = append(p.problems, fmt.Sprintf("%s is a file where cht-gen needs a folder: move it away, then render again", w.show(d)))
	return dirBad
}

// describe explains an error resolving path inside the output.
func (w *writer) describe(path string, err error) string {
	if strings.Contains(err.Error(), "path escapes from parent") { // os.Root's error
		return fmt.Sprintf("%s: a symbolic link on this path leads outside %s (%v); cht-gen writes only inside its output directory: replace the link by a folder, or link the other way (from the outside location into %s)", w.show(path), w.dir, err, w.dir)
	}
	if errors.Is(err, fs.ErrPermission) {
		return explainPermission(fmt.Errorf("%s: %w", w.show(path), err), w.dir).Error()
	}
	return fmt.Sprintf("%s: %v", w.show(path), err)
}
