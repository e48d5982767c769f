package scaffold

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cht-gen/cht-gen/generator/repo"
)

// InitOptions is what `cht-gen init` asks for; empty fields are found
// (the origin remote, the current branch, this binary's release and its
// checksum).
type InitOptions struct {
	Options
	// Dir is the repository's root (created when missing).
	Dir string
	// BinaryVersion is the running cht-gen's version: the release the
	// workflows install unless Options.Version is set.
	BinaryVersion string
	// ReleasesURL serves release assets (<url>/v<version>/<asset>).
	ReleasesURL string
	// Force replaces files that differ (never the host's own README,
	// .gitignore or examples).
	Force bool
	// Later are paths under Dir written after the scaffold (render's lock
	// file): checked first, so that a refusal writes nothing.
	Later []string
}

// DevBuildError is init run by a development build with no release to pin
// the workflows to.
type DevBuildError struct{ Version string }

func (e *DevBuildError) Error() string {
	return fmt.Sprintf("this cht-gen is a development build (%s): the workflows install a release, pass --release-version (and --release-sha256 when offline)", e.Version)
}

// InitPlan is what init will write, decided before anything is.
type InitPlan struct {
	Dir     string
	Options Options // filled in
	Files   []File
	Force   bool
	// OwnEnvironments: environments/ has environments of its own, so no
	// examples are written.
	OwnEnvironments bool
	// MissingIgnores are .gitignore lines the host's own file lacks (it is
	// never edited).
	MissingIgnores []string
}

// PlanInit fills o's missing values and decides what init writes. It
// creates Dir when missing and writes nothing else.
func PlanInit(ctx context.Context, o InitOptions) (*InitPlan, error) {
	if err := CheckRoot(o.Dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	opts := o.Options
	if opts.RepoURL == "" {
		u, err := OriginURL(o.Dir)
		if err != nil {
			return nil, err
		}
		opts.RepoURL = u
	}
	if opts.Branch == "" {
		opts.Branch = CurrentBranch(o.Dir)
	}
	if opts.Version == "" {
		opts.Version = strings.TrimPrefix(o.BinaryVersion, "v")
		if opts.Version == "dev" || strings.Contains(opts.Version, "dirty") {
			return nil, &DevBuildError{o.BinaryVersion}
		}
	}
	if opts.SHA256 == "" {
		sum, err := ReleaseChecksum(ctx, o.ReleasesURL, opts.Version)
		if err != nil {
			return nil, fmt.Errorf("the checksum of cht-gen %s's archive: %w (offline: pass --release-sha256)", opts.Version, err)
		}
		opts.SHA256 = sum
	}
	own, err := HasOwnEnvironments(o.Dir)
	if err != nil {
		return nil, err
	}
	opts.NoExamples = own
	files, err := Files(opts)
	if err != nil {
		return nil, err
	}
	missing, err := MissingIgnores(o.Dir)
	if err != nil {
		return nil, err
	}
	for _, p := range o.Later {
		if err := Inside(o.Dir, filepath.Join(o.Dir, p)); err != nil {
			return nil, err
		}
	}
	return &InitPlan{Dir: o.Dir, Options: opts, Files: files, Force: o.Force, OwnEnvironments: own, MissingIgnores: missing}, nil
}

// Apply writes the plan (Apply's rules: created, replaced with Force,
// the host's own files kept).
func (p *InitPlan) Apply() (*Plan, error) { return Apply(p.Dir, p.Files, p.Force) }

// NotRootError refuses to scaffold Dir, a folder of a Git work tree other
// than its root: GitHub runs workflows only from the root's
// .github/workflows, and Flux and Argo CD would look for deploy/ at the
// root (pathPrefix), so a scaffold in a subfolder would look fine and
// never run or deploy.
type NotRootError struct {
	Dir, Root, Rel string
}

func (e *NotRootError) Error() string {
	return fmt.Sprintf("%s is the folder %q of the Git work tree %s: init scaffolds a repository's root (GitHub runs workflows only from %s, Flux and Argo CD read deploy/ from the root); run cht-gen init %s, or give the hosting files a repository of their own (nothing was written)",
		e.Dir, e.Rel, e.Root, filepath.Join(e.Root, ".github", "workflows"), e.Root)
}

// CheckRoot returns a *NotRootError when dir is inside a Git work tree
// but not its root. Outside Git (a later git init makes dir the root) it
// accepts dir.
func CheckRoot(dir string) error {
	_, root, rel, err := repo.OpenWorkTree(dir)
	if err != nil || rel == "." {
		return nil
	}
	return &NotRootError{Dir: dir, Root: root, Rel: rel}
}
