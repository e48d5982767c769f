package repo

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/cht-gen/cht-gen/generator/files"
)

// shallowHint explains a missing revision in a shallow clone (CI checks
// out one commit by default), where the base was never fetched.
func shallowHint(r *git.Repository) string {
	if shallow, err := r.Storer.Shallow(); err != nil || len(shallow) == 0 {
		return ""
	}
	return "; this is a shallow clone, which lacks older commits and other branches: fetch them (git fetch --unshallow origin, or actions/checkout with fetch-depth: 0)"
}

// ReadCommitted returns the files under dir as committed at ref (a branch,
// tag, commit or expression like HEAD~1) in the Git repository holding
// dir. A dir absent at ref gives an empty set.
func ReadCommitted(dir, ref string) (files.Set, error) {
	r, root, rel, err := OpenWorkTree(dir)
	if err != nil {
		return nil, err
	}
	hash, err := r.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return nil, fmt.Errorf("--base %s: no such revision in the Git repository at %s (%v): name a branch, tag or commit, e.g. main, origin/main, HEAD~1%s", ref, root, err, shallowHint(r))
	}
	commit, err := r.CommitObject(*hash)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", ref, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, err
	}
	if rel != "." {
		tree, err = tree.Tree(rel)
		if errors.Is(err, object.ErrDirectoryNotFound) {
			return files.Set{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s at %s: %w", rel, ref, err)
		}
	}
	out := files.Set{}
	err = tree.Files().ForEach(func(f *object.File) error {
		if f.Name == ManifestName || f.Name == LockName {
			return nil
		}
		rd, err := f.Reader()
		if err != nil {
			return err
		}
		defer rd.Close()
		b, err := io.ReadAll(rd)
		if err != nil {
			return err
		}
		out[f.Name] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", rel, ref, err)
	}
	return out, nil
}

// OpenWorkTree opens the Git repository holding dir (which need not exist
// yet) and returns its work tree root and dir's slash path below it.
func OpenWorkTree(dir string) (r *git.Repository, root, rel string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", "", err
	}
	// Open from the nearest existing folder; resolve its symlinks so the
	// path compares with the work tree's real root.
	start := abs
	for {
		if _, err := os.Stat(start); err == nil {
			break
		}
		start = filepath.Dir(start)
	}
	r, err = git.PlainOpenWithOptions(start, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, "", "", fmt.Errorf("%s is not in a Git repository: %w", dir, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, "", "", err
	}
	if root, err = filepath.EvalSymlinks(wt.Filesystem.Root()); err != nil {
		return nil, "", "", err
	}
	if real, err := filepath.EvalSymlinks(start); err == nil {
		rest, _ := filepath.Rel(start, abs)
		abs = filepath.Join(real, rest)
	}
	rel, err = filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, "", "", fmt.Errorf("%s is outside the Git work tree %s", dir, root)
	}
	return r, root, filepath.ToSlash(rel), nil
}

// DisplayPath is how dir is named in headers and messages: relative to the
// Git work tree holding it, so output does not depend on where cht-gen ran
// (a clone in a temporary directory renders the same bytes); dir as given
// outside Git.
func DisplayPath(dir string) string {
	clean := filepath.ToSlash(filepath.Clean(dir))
	abs, err := filepath.Abs(dir)
	if err != nil {
		return clean
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	for root := abs; ; {
		if _, err := os.Lstat(filepath.Join(root, ".git")); err == nil {
			rel, err := filepath.Rel(root, abs)
			if err != nil {
				return clean
			}
			return filepath.ToSlash(rel)
		}
		parent := filepath.Dir(root)
		if parent == root {
			return clean
		}
		root = parent
	}
}
