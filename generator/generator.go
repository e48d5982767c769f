package generator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"sync"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/gitops"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/generator/verified"
)

// Options configure Render.
type Options struct {
	// Progress, if set, is told about each environment rendered.
	Progress func(format string, args ...any)
	// Output is the existing output directory, read-only, for the files
	// environments name in it but cht-gen does not own (credentials.sopsFile):
	// they are checked and built with, never written. OutputName names it
	// in messages.
	Output     fs.FS
	OutputName string
	// Verified, if set, remembers the inputs whose checks passed: an
	// overlay, reconciler folder or Compose folder whose bytes, with
	// cht-gen's identity, match a recorded one is not built or loaded
	// again. Nil checks everything.
	Verified *verified.Record
	// Checked, if set, is told (from several goroutines) about each check
	// that runs: "kustomize <dir>" or "compose <dir>".
	Checked func(what string)
}

// once runs check unless key is recorded as verified, and records it
// when check passes, so each distinct input is checked once.
func (o *Options) once(key verified.Key, what string, check func() error) error {
	if o.Verified.Has(key) {
		return nil
	}
	if o.Checked != nil {
		o.Checked(what)
	}
	if err := check(); err != nil {
		return err
	}
	o.Verified.Add(key)
	return nil
}

// Prepare starts, in the background, the set-up the checks of Render
// need once per process, to overlap it with loading the environments.
func Prepare() { kustomize.Prepare() }

// RenderError names the environment a render failed for.
type RenderError struct {
	Env    string
	Source model.Position
	Err    error
}

func (e *RenderError) Error() string {
	return fmt.Sprintf("render %s (%s): %v", e.Env, e.Source, e.Err)
}

func (e *RenderError) Unwrap() error { return e.Err }

// Result is one render.
type Result struct {
	// Files are the files cht-gen owns, to write under the output folder.
	Files files.Set
	// User are the files environments name in the output folder but the
	// user owns (credentials.sopsFile), read from Options.Output and
	// checked: the overlays build with them, cht-gen never writes them.
	User files.Set
	// InAppUpgrades is non-nil when Medic's upgrade service rewrote a
	// Compose folder in Options.Output for a newer CHT than its
	// environment says (*InAppUpgradeError, joined): writing Files would
	// downgrade it, so render and bump refuse; diff only compares.
	InAppUpgrades error
}

// Built is what the reconcilers build: Files with the user's files.
func (r *Result) Built() files.Set { return WithUserFiles(r.Files, r.User) }

// Render renders envs (as loaded: defaults filled, checked) and checks
// each result loads. Environments render in parallel; the result does not
// depend on order. It takes model environments, not what load returns, so
// that rendering never depends on CUE.
func Render(ctx context.Context, envs []model.Environment, opts Options) (*Result, error) {
	set, user, err := render(ctx, envs, opts)
	if err != nil {
		return nil, err
	}
	return &Result{Files: set, User: user, InAppUpgrades: InAppUpgrades(envs, opts.Output, opts.OutputName)}, nil
}

func render(ctx context.Context, envs []model.Environment, opts Options) (files.Set, files.Set, error) {
	user, err := UserFiles(envs, opts.Output, opts.OutputName)
	if err != nil {
		return nil, nil, err
	}
	sets := make([]files.Set, len(envs))
	err = eachParallel(len(envs), func(i int) error {
		e := &envs[i]
		set, err := renderOne(ctx, e, &opts)
		if err != nil {
			return &RenderError{Env: e.Name, Source: e.Source, Err: err}
		}
		sets[i] = set
		if opts.Progress != nil {
			opts.Progress("rendered %s (%s, %d files)", e.Name, e.Target, len(set))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := files.Set{}
	if hasTarget(envs, model.Kubernetes) {
		shared, err := kustomize.RenderShared(upgradeServiceTag(envs), envs)
		if err != nil {
			return nil, nil, err
		}
		if err := out.Merge(shared); err != nil {
			return nil, nil, err
		}
	}
	for i := range envs {
		if err := out.Merge(sets[i]); err != nil {
			return nil, nil, err
		}
	}
	reconcilers, err := gitops.Render(envs)
	if err != nil {
		return nil, nil, err
	}
	if err := out.Merge(reconcilers); err != nil {
		return nil, nil, err
	}
	// Overlays build against the shared base, so they are checked once
	// every file is in the set; out is only read from here on.
	if err := checkBuilds(WithUserFiles(out, user), reconcilers.Dirs(), gitops.ExternalSources(envs), envs, &opts); err != nil {
		return nil, nil, err
	}
	return out, user, nil
}

// checkBuilds builds every reconciler folder (dirs) and Kubernetes overlay
// of out (with the user's files) with krusty and verifies the objects,
// except those whose inputs opts.Verified holds. external lists the Flux
// sources cht-gen does not render. Reconciler errors come first, then
// environments in order.
func checkBuilds(out files.Set, dirs []string, external map[string]bool, envs []model.Environment, opts *Options) error {
	ix := kustomize.NewIndex(out)
	return eachParallel(len(dirs)+len(envs), func(i int) error {
		if i < len(dirs) {
			return checkReconciler(ix, dirs[i], external, opts)
		}
		e := &envs[i-len(dirs)]
		if e.Target != model.Kubernetes {
			return nil
		}
		if err := checkOverlay(ix, e, opts); err != nil {
			return &RenderError{Env: e.Name, Source: e.Source, Err: err}
		}
		return nil
	})
}

func checkReconciler(ix *kustomize.Index, dir string, external map[string]bool, opts *Options) error {
	flux := path.Dir(dir) == gitops.FluxDir
	params := []string{fmt.Sprint(flux)}
	for src := range external {
		params = append(params, src)
	}
	sort.Strings(params[1:])
	key := buildKey(opts.Verified.NewKey("kustomize build, VerifyFlux v2"), ix, dir, params...)
	err := opts.once(key, "kustomize "+dir, func() error {
		built, err := ix.Build(dir)
		if err == nil && flux {
			err = gitops.VerifyFlux(built, external)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	return nil
}

func checkOverlay(ix *kustomize.Index, e *model.Environment, opts *Options) error {
	dir := kustomize.OverlayDir(e)
	key, err := overlayKey(opts.Verified, ix, e)
	if err != nil {
		return err
	}
	return opts.once(key, "kustomize "+dir, func() error {
		built, err := ix.BuildJSON(dir)
		if err == nil {
			built, err = encryptedSecret(e, built)
		}
		if err == nil {
			err = kustomize.VerifyJSON(built, e.Credentials.SecretName, model.CredentialKeys)
		}
		return err
	})
}

// eachParallel runs f(0..n-1) on as many goroutines as there are cores and
// returns every error, in index order, so a failing set of environments
// is reported whole and always the same way.
func eachParallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return allErrors(errs)
}

// allErrors joins the errors that are not nil, in order; one error is
// returned as it is.
func allErrors(errs []error) error {
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...) // nil when none
}

func hasTarget(envs []model.Environment, t model.Target) bool {
	for i := range envs {
		if envs[i].Target == t {
			return true
		}
	}
	return false
}

// upgradeServiceTag is the tag the shared upgrade-service component pins:
// the newest any environment asks for.
func upgradeServiceTag(envs []model.Environment) string {
	tag := ""
	for i := range envs {
		if envs[i].Target == model.Kubernetes && envs[i].UpgradeService.Tag > tag {
			tag = envs[i].UpgradeService.Tag
		}
	}
	return tag
}

// buildKey keys a kustomize build of dir in set: the check's parameters,
// then the path and bytes of every file the build reads.
func buildKey(k *verified.Hasher, ix *kustomize.Index, dir string, params ...string) verified.Key {
	k.AddString(dir)
	for _, p := range params {
		k.AddString(p)
	}
	for _, p := range ix.Inputs(dir) {
		k.AddString(p)
		k.Add(ix.File(p))
	}
	return k.Sum()
}

// overlayKey keys the check of e's overlay: the environment (its Secret's
// name, its SOPS file), the credential keys, every file the build reads.
func overlayKey(r *verified.Record, ix *kustomize.Index, e *model.Environment) (verified.Key, error) {
	env, err := json.Marshal(e)
	if err != nil {
		return verified.Key{}, err
	}
	params := append([]string{string(env)}, model.CredentialKeys...)
	return buildKey(r.NewKey("kustomize build, encryptedSecret, VerifyJSON v2"), ix, kustomize.OverlayDir(e), params...), nil
}

// composeKey keys compose.Check of e's folder: the environment (what the
// check expects: project, paths, services) and every rendered file.
func composeKey(k *verified.Hasher, e *model.Environment, set files.Set) (verified.Key, error) {
	env, err := json.Marshal(e)
	if err != nil {
		return verified.Key{}, err
	}
	k.Add(env)
	for _, p := range set.Paths() {
		k.AddString(p)
		k.Add(set[p])
	}
	return k.Sum(), nil
}

func renderOne(ctx context.Context, e *model.Environment, opts *Options) (files.Set, error) {
	source := e.SourceFile()
	switch e.Target {
	case model.Compose:
		set, err := compose.Render(e, source)
		if err != nil {
			return nil, err
		}
		key, err := composeKey(opts.Verified.NewKey("compose.Check v1"), e, set)
		if err != nil {
			return nil, err
		}
		if err := opts.once(key, "compose "+compose.Dir(e), func() error { return compose.Check(ctx, e, set) }); err != nil {
			return nil, err
		}
		return set, nil
	case model.Kubernetes:
		return kustomize.RenderOverlay(e, source)
	default:
		return nil, fmt.Errorf("unknown target %s", e.Target)
	}
}
