package bump

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/cueedit"
	"github.com/cht-gen/cht-gen/generator/diff"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/internal/atomicfile"
)

// Target is one environment and the version it moves to. From is the
// version in the tree being changed (origin's base branch with --push).
type Target struct {
	Env, From, To string
	Platform      model.Target // kubernetes or compose: which checklist items apply
	NotesURL      string       // release notes, when known
	Suspended     string       // what the parked reconciler does (model.Environment.SuspendedNote), or ""
	CouchDBNodes  int          // the environment's CouchDB nodes (0: unknown)
}

// Proposal is what one run proposes: the targets and how the change is
// named. Empty Topic and Title take the defaults of the targets.
type Proposal struct {
	Targets []Target
	Topic   string // the branch is cht-gen/<base>/<Topic>
	Title   string
	Intro   string // first line of the pull request body
}

// Plan decides the proposal from the environments of the tree being
// changed: the work tree, or with --push origin's base branch, so that
// downgrade and upgrade-path checks see the version the edit replaces.
// No targets: nothing to do.
type Plan func(envs []model.Environment) (Proposal, error)

// Options say where and how a bump happens.
type Options struct {
	EnvDir, OutDir string // in the user's work tree
	Push           bool
	Remote         string // remote name, default origin
	Base           string // base branch; empty: the remote's default branch
	Repo           string // GitHub owner/name; empty: from the remote URL
	Labels         []string
	// Reopen proposes a change again although a reviewer closed the pull
	// request that proposed it (same environments, versions and base).
	Reopen      bool
	AuthorName  string
	AuthorEmail string
	Progress    func(format string, args ...any)
}

// Result is what happened.
type Result struct {
	Proposal Proposal
	Changes  []diff.Change
	// Files names, per environment, the environments file whose version
	// literal the run edited (as errors name it).
	Files  map[string]string
	Base   string // with --push
	Branch string
	Pushed bool
	PR     *PullRequest // opened or updated
	// Skipped is the closed pull request that proposed the same change,
	// when the run left it closed (no --reopen): nothing was pushed.
	Skipped *PullRequest
}

func (o *Options) log(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(format, args...)
	}
}

// Bumper runs bumps against a Git repository and a GitHub host.
type Bumper struct {
	git    Git
	github GitHub
}

// New returns a Bumper that works through git and, for --push, github
// (nil when there is no pull request to open).
func New(git Git, github GitHub) *Bumper {
	return &Bumper{git: git, github: github}
}

// Run plans and applies a bump. Without Push the edit and the re-render
// land in EnvDir / OutDir; with Push they land on a branch of a temporary
// clone of the base branch. A refused or failing bump changes nothing.
func (b *Bumper) Run(ctx context.Context, plan Plan, o Options) (*Result, error) {
	if !o.Push {
		prop, changes, files, err := b.apply(ctx, o.EnvDir, o.OutDir, plan)
		if err != nil {
			return nil, err
		}
		return &Result{Proposal: prop, Changes: changes, Files: files}, nil
	}
	return b.push(ctx, plan, o)
}

// apply loads envDir, plans, edits the version literals and re-renders in
// memory, and only when all of that succeeded writes the edited files and
// the output. It returns the per-environment changes of the built output
// and the file edited per environment.
func (b *Bumper) apply(ctx context.Context, envDir, outDir string, plan Plan) (Proposal, []diff.Change, map[string]string, error) {
	display := b.git.Display(envDir)
	res, err := load.Load(os.DirFS(envDir), display)
	if err != nil {
		return Proposal{}, nil, nil, err
	}
	prop, err := plan(res.Environments)
	if err != nil || len(prop.Targets) == 0 {
		return prop, nil, nil, err
	}
	if prop.Topic == "" {
		prop.Topic = Topic(prop.Targets)
	}
	if prop.Title == "" {
		prop.Title = Title(prop.Targets)
	}
	// Environments may name files in the output they do not own (a SOPS
	// credentials file): renders check them and builds include them.
	output, outName := os.DirFS(outDir), b.git.Display(outDir)
	opts := generator.Options{Output: output, OutputName: outName}
	before, err := generator.Render(ctx, res.Environments, opts)
	if err != nil {
		return prop, nil, nil, err
	}
	edited, files, err := edit(envDir, display, prop.Targets)
	if err != nil {
		return prop, nil, nil, err
	}
	resAfter, err := load.Load(overlay{os.DirFS(envDir), edited}, display)
	if err != nil {
		return prop, nil, nil, err
	}
	if err := generator.InAppUpgrades(resAfter.Environments, output, outName); err != nil {
		return prop, nil, nil, err
	}
	afterRes, err := generator.Render(ctx, resAfter.Environments, opts)
	if err != nil {
		return prop, nil, nil, err
	}
	after := afterRes.Files
	changes, err := compare(ctx, before.Built(), afterRes.Built())
	if err != nil {
		return prop, nil, nil, err
	}
	// The output is checked before the environment files change, so a
	// refused write leaves both as they were.
	if err := b.git.CheckOutput(outDir, after); err != nil {
		return prop, nil, nil, err
	}
	if err := writeEdited(envDir, edited); err != nil {
		return prop, nil, nil, err
	}
	if err := b.git.WriteOutput(outDir, after); err != nil {
		return prop, nil, nil, err
	}
	return prop, changes, files, nil
}

// compare builds both trees and keeps the environments that change.
func compare(ctx context.Context, before, after files.Set) ([]diff.Change, error) {
	a, b, err := diff.BuildPair(ctx, before, after)
	if err != nil {
		return nil, err
	}
	var out []diff.Change
	for _, c := range diff.Compare(a, b, "before", "after") {
		if c.Diff != "" {
			out = append(out, c)
		}
	}
	return out, nil
}

// overlay is an environments directory with some files' contents replaced
// (by name at its root), to validate an edit before writing it.
type overlay struct {
	fs.FS
	edited map[string][]byte
}

func (o overlay) ReadFile(name string) ([]byte, error) {
	if b, ok := o.edited[name]; ok {
		return b, nil
	}
	return fs.ReadFile(o.FS, name)
}

func (o overlay) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(o.FS, name) }

// edit returns the new contents (by file name) of the files of envDir
// that set each target's version, and which file (as displayed) sets each
// environment's; it writes nothing.
func edit(envDir, display string, targets []Target) (map[string][]byte, map[string]string, error) {
	paths, err := filepath.Glob(filepath.Join(envDir, "*.cue"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(paths)
	changed, files := map[string][]byte{}, map[string]string{}
	for _, t := range targets {
		hits := 0
		for _, p := range paths {
			name := filepath.Base(p)
			src, ok := changed[name]
			if !ok {
				if src, err = os.ReadFile(p); err != nil {
					return nil, nil, err
				}
			}
			out, set, err := cueedit.SetVersion(display+"/"+name, src, t.Env, t.To)
			if err != nil {
				return nil, nil, err
			}
			if set {
				hits++
				changed[name] = out
				files[t.Env] = display + "/" + name
			}
		}
		if hits == 0 {
			return nil, nil, fmt.Errorf("%s: no file sets environments.%s.version directly (it may come from a template): write version: %q inside environments: %s so cht-gen bump can change it", display, t.Env, t.From, t.Env)
		}
		if hits > 1 {
			return nil, nil, fmt.Errorf("%s: environments.%s.version is set in %d files: keep one", display, t.Env, hits)
		}
	}
	return changed, files, nil
}

// writeEdited replaces each edited file through a temporary file and a
// rename, keeping its mode.
func writeEdited(envDir string, edited map[string][]byte) error {
	for _, name := range slices.Sorted(maps.Keys(edited)) {
		p := filepath.Join(envDir, name)
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(p, edited[name], info.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}
