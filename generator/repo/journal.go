package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/cht-gen/cht-gen/generator/files"
)

// The write protocol. The manifest is the journal:
//
//  1. manifest := intent (journal "pending": old owned files, folders to
//     create, files to write and remove; owned files = the result)
//  2. create missing folders; write each new content to a temporary file
//     beside its target; fsync the files and their folders
//  3. manifest := journal "committing": every temporary file is complete
//  4. rename each temporary file over its target; remove the owned files
//     no longer rendered, and folders that left empty; fsync the folders
//  5. manifest := result (no journal)
//
// A crash before 3 leaves every owned file old (the next run removes the
// temporary files: undo); a crash after it leaves each one old or new and
// the next run finishes the renames (finish). Every manifest change is
// itself one atomic rename.

// apply carries out a plan.
func (w *writer) apply(p *plan) error {
	for _, path := range p.newlyKept {
		w.logf("kept %s: its environment is no longer rendered, but a .env is beside it", w.show(path))
	}
	for _, path := range p.disowned {
		w.logf("left %s in place: it is no longer rendered, but it is not the file cht-gen wrote (edited by hand, or listed in %s without being cht-gen's); cht-gen no longer owns it: delete it yourself if it is not needed", w.show(path), ManifestName)
	}
	if len(p.writes)+len(p.removes)+len(p.mkdirs) == 0 {
		return w.do("write "+ManifestName, func() error { return w.writeManifest(p.manifest) })
	}
	j := &journal{state: statePending, token: newToken(), old: p.old, mkdirs: p.mkdirs, writes: p.writes, removes: p.removes, before: p.before}
	if err := w.do("journal: "+statePending, func() error { return w.writeManifest(manifest{files: p.next, journal: j}.bytes()) }); err != nil {
		return w.failed(err, nil)
	}
	if err := w.prepare(p, j); err != nil {
		return w.failed(err, j)
	}
	j.state = stateCommitting
	if err := w.do("journal: "+stateCommitting, func() error { return w.writeManifest(manifest{files: p.next, journal: j}.bytes()) }); err != nil {
		return w.failed(err, j)
	}
	for _, path := range slices.Sorted(maps.Keys(p.edited)) {
		w.logf("%s had been edited by hand: restored the rendered file (change the environment file instead)", w.show(path))
	}
	if _, _, err := w.finish(j, p.next); err != nil {
		if isCrash(err) {
			return err
		}
		return fmt.Errorf("%w: the write to %s stopped half-way; every file is entirely old or entirely new, and the next cht-gen render finishes it", err, w.dir)
	}
	return nil
}

// prepare is step 2: folders, every temporary file (fsynced), then the
// folders holding them (fsynced), so the commit promises only what is on
// disk.
func (w *writer) prepare(p *plan, j *journal) error {
	for _, d := range j.mkdirs {
		if err := w.do("mkdir "+d, func() error { return w.root.Mkdir(d, 0o755) }); err != nil {
			return fmt.Errorf("create folder %s: %w", w.show(d), err)
		}
	}
	err := w.each(j.writes, "write temporary file for ", func(i int, path string) error {
		if w.opts.FailAfter > 0 && i >= w.opts.FailAfter {
			return fmt.Errorf("write %s: injected failure after %d files", w.show(path), i)
		}
		perm := fs.FileMode(0o644)
		if info, err := w.root.Lstat(path); err == nil && info.Mode().IsRegular() {
			perm = info.Mode().Perm() // a mode the user chose stays
		}
		if err := writeTemp(w.root, tempName(path, j.token), p.content(path), perm, false); err != nil {
			return fmt.Errorf("write %s: %w", w.show(path), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return w.do("sync folders", func() error { return w.syncFolders(j.writes) })
}

// each runs f on every item: one step each, in order, under a test hook;
// otherwise concurrently, since fsyncs issued together cost little more
// than one (10,000 new files: about 7 s instead of 47 one by one, on
// this machine's ext4 under load).
func (w *writer) each(items []string, step string, f func(i int, item string) error) error {
	if w.opts.Hook != nil {
		for i, item := range items {
			if err := w.do(step+item, func() error { return f(i, item) }); err != nil {
				return err
			}
		}
		return nil
	}
	var g errgroup.Group
	g.SetLimit(writers)
	for i, item := range items {
		g.Go(func() error { return f(i, item) })
	}
	return g.Wait()
}

// writers is how many files are written and fsynced at once.
const writers = 32

// syncFolders fsyncs every folder above paths that still exists, so
// renames, new files and removals in them are durable.
func (w *writer) syncFolders(paths []string) error {
	seen := map[string]bool{".": true}
	dirs := []string{"."}
	for _, p := range paths {
		for d, _ := splitPath(p); !seen[d]; d, _ = splitPath(d) {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	var g errgroup.Group
	g.SetLimit(writers)
	for _, d := range dirs {
		g.Go(func() error {
			if err := syncDir(w.root, d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("sync %s: %w", w.show(d), err)
			}
			return nil
		})
	}
	return g.Wait()
}

// failed handles an error before the commit: a crash (test hook) leaves
// everything to the next run; a real error is undone at once.
func (w *writer) failed(err error, j *journal) error {
	if isCrash(err) {
		return err
	}
	err = explainPermission(err, w.dir)
	if j == nil {
		return fmt.Errorf("%w; %s is unchanged", err, w.dir)
	}
	if _, uerr := w.undo(j, true); uerr != nil {
		return fmt.Errorf("%w; undoing it failed too (%v): no owned file was replaced, and the next cht-gen render removes the temporary files", err, uerr)
	}
	return fmt.Errorf("%w; %s is unchanged", err, w.dir)
}

// undo rolls back a write that did not reach the commit: removes its
// temporary files and the folders it created (when still empty) and
// restores the old manifest. No owned file was replaced before the
// commit, so they are all old. It returns how many temporary files it
// removed.
//
// ownJournal says this run wrote j, so the folders it lists are the ones
// this run created. A journal read from the manifest may be forged (the
// manifest is committed): then only a folder that held one of its
// temporary files is cht-gen's, not an empty folder of the user's that
// the journal names.
func (w *writer) undo(j *journal, ownJournal bool) (int, error) {
	n := 0
	held := map[string]bool{}
	for _, path := range j.writes {
		tmp := tempName(path, j.token)
		if info, err := w.root.Lstat(tmp); err == nil && info.Mode().IsRegular() {
			err := w.do("remove "+tmp, func() error { return w.root.Remove(tmp) })
			if err != nil {
				return n, err
			}
			n++
			for d, _ := splitPath(path); d != "." && !held[d]; d, _ = splitPath(d) {
				held[d] = true
			}
		}
	}
	for i := len(j.mkdirs) - 1; i >= 0; i-- {
		if !ownJournal && !held[j.mkdirs[i]] {
			continue
		}
		if err := w.removeEmptyFolder(j.mkdirs[i]); err != nil {
			return n, err
		}
	}
	err := w.do("restore "+ManifestName, func() error { return w.writeManifest(manifest{files: j.old}.bytes()) })
	return n, err
}

// finish completes a committed write: renames each temporary file still
// there, removes the files to remove and the folders that left empty,
// then writes the final manifest. Every step may be repeated.
func (w *writer) finish(j *journal, next owned) (replaced, removed []string, err error) {
	for _, path := range j.writes {
		tmp := tempName(path, j.token)
		if _, err := w.root.Lstat(tmp); errors.Is(err, fs.ErrNotExist) {
			continue // renamed before the interruption
		}
		err := w.do("replace "+path, func() error { return w.root.Rename(tmp, path) })
		if err != nil {
			return replaced, removed, fmt.Errorf("replace %s: %w", w.show(path), err)
		}
		replaced = append(replaced, path)
	}
	for _, path := range j.removes {
		info, err := w.root.Lstat(path)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		err = w.do("remove "+path, func() error { return w.root.Remove(path) })
		if err != nil {
			return replaced, removed, fmt.Errorf("remove %s: %w", w.show(path), err)
		}
		removed = append(removed, path)
	}
	// Only the folders of files removed now: a forged journal may name a
	// missing file in an empty folder of the user's.
	if err := w.pruneFolders(removed); err != nil {
		return replaced, removed, err
	}
	if err := w.do("sync folders", func() error { return w.syncFolders(append(j.writes, j.removes...)) }); err != nil {
		return replaced, removed, err
	}
	if err := w.do("write "+ManifestName, func() error { return w.writeManifest(manifest{files: next}.bytes()) }); err != nil {
		return replaced, removed, err
	}
	return replaced, removed, nil
}

// pruneFolders removes the folders that held removed files when nothing
// is left in them, bottom up. A folder holding anything (a user's file,
// an empty folder, a mount) stays: rmdir refuses it.
func (w *writer) pruneFolders(removed []string) error {
	seen := map[string]bool{}
	var dirs []string
	for _, path := range removed {
		for d, _ := splitPath(path); d != "." && !seen[d]; d, _ = splitPath(d) {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	// Deepest first, so a parent is tried after its children.
	sort.Slice(dirs, func(a, b int) bool { return len(dirs[a]) > len(dirs[b]) })
	for _, d := range dirs {
		if err := w.removeEmptyFolder(d); err != nil {
			return err
		}
	}
	return nil
}

// removeEmptyFolder removes d if it is a real, empty folder; a folder
// that is not empty is no error. Only a crash (test hook) is returned.
func (w *writer) removeEmptyFolder(d string) error {
	info, err := w.root.Lstat(d)
	if err != nil || !info.IsDir() {
		return nil
	}
	err = w.do("remove empty folder "+d, func() error { return w.root.Remove(d) })
	if isCrash(err) {
		return err
	}
	return nil
}

func (w *writer) writeManifest(b []byte) error {
	return writeAtomic(w.root, ManifestName, manifestTemp, b, 0o644)
}

// repair finishes or undoes a write that was interrupted (a journal in
// the manifest) and says what it did. It returns the manifest after it.
func (w *writer) repair(m manifest) (manifest, error) {
	if _, err := w.root.Lstat(manifestTemp); err == nil {
		w.root.Remove(manifestTemp) // a manifest write cut short: the manifest itself is whole
	}
	j := m.journal
	switch {
	case j == nil:
		return m, nil
	case j.state == stateCommitting && len(w.checkJournal(j, m.files)) > 0:
		return m, fmt.Errorf("%s: the interrupted write recorded in %s is not one cht-gen can have made, so nothing was changed:\n  %s\n"+
			"If you changed these files since that render, move them away and render again; if nobody did, the journal was edited (see git log -p -- %s): delete its lines starting with \"#!\" and the files named .*.cht-gen-%s.tmp, then render again",
			w.dir, w.show(ManifestName), strings.Join(w.checkJournal(j, m.files), "\n  "), w.show(ManifestName), j.token)
	case j.state == statePending:
		n, err := w.undo(j, false)
		if err != nil {
			return m, fmt.Errorf("roll back the interrupted write in %s: %w", w.dir, err)
		}
		w.logf("%s: the previous write was interrupted before it replaced any file: rolled it back (%d temporary files removed); every file is as it was", w.dir, n)
		return manifest{files: j.old}, nil
	default:
		replaced, removed, err := w.finish(j, m.files)
		if err != nil {
			return m, fmt.Errorf("finish the interrupted write in %s: %w", w.dir, err)
		}
		w.logf("%s: the previous write was interrupted: finished it (%d files replaced, %d removed); every file is now the new one", w.dir, len(replaced), len(removed))
		for _, p := range replaced {
			w.logf("  replaced %s", w.show(p))
		}
		for _, p := range removed {
			w.logf("  removed %s", w.show(p))
		}
		return manifest{files: m.files}, nil
	}
}

// checkJournal lists why a committing journal read from the manifest
// cannot be cht-gen's: finishing it would rename a temporary file that is
// not the new content the manifest lists, or replace or remove a file
// that is no longer the one the write was replacing. The manifest is
// committed, so a pull request can forge one.
func (w *writer) checkJournal(j *journal, next owned) []string {
	var bad []string
	for _, path := range j.writes {
		tmp := tempName(path, j.token)
		info, err := w.root.Lstat(tmp)
		if errors.Is(err, fs.ErrNotExist) {
			continue // renamed before the interruption
		}
		if err != nil {
			bad = append(bad, w.describe(tmp, err))
			continue
		}
		e, listed := next[path]
		if !info.Mode().IsRegular() || !listed || e.hash == "" || !w.holds(tmp, e.hash) {
			bad = append(bad, fmt.Sprintf("%s is not the new content of %s that %s lists", w.show(tmp), w.show(path), ManifestName))
			continue
		}
		// A file replaced may lack cht-gen's header (the upgrade service
		// rewrote it); one removed never does.
		bad = append(bad, w.stillBefore(j, path, false)...)
	}
	for _, path := range j.removes {
		if info, err := w.root.Lstat(path); err == nil && info.Mode().IsRegular() {
			bad = append(bad, w.stillBefore(j, path, true)...)
		}
	}
	return bad
}

// stillBefore says why path, if present, is not the file the journal's
// write replaces or removes (with cht-gen's header, if marked).
func (w *writer) stillBefore(j *journal, path string, marked bool) []string {
	info, err := w.root.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return []string{w.describe(path, err)}
	}
	h, recorded := j.before[path]
	if !recorded {
		h = j.old[path].hash // a journal of an older cht-gen
	}
	// With marked, also cht-gen's header: a forged journal may give the
	// hash of a user's file it can read.
	if info.Mode().IsRegular() && h != "" {
		if b, err := w.root.ReadFile(path); err == nil && hashOf(b) == h && (!marked || files.Marked(b)) {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s is not the file the interrupted write was replacing (it is not the content the journal records)", w.show(path))}
}

// holds says whether the regular file path has sha256 h.
func (w *writer) holds(path, h string) bool {
	b, err := w.root.ReadFile(path)
	return err == nil && hashOf(b) == h
}
