package generator

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sync"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/gitops"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/model"
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
}

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

// Render renders envs (as loaded: defaults filled, checked) and checks
// each result loads. Environments render in parallel; the result does not
// depend on order. It takes model environments, not what load returns, so
// that rendering never depends on CUE.
func Render(ctx context.Context, envs []model.Environment, opts Options) (files.Set, error) {
	user, err := UserFiles(envs, opts.Output, opts.OutputName)
	if err != nil {
		return nil, err
	}
	sets := make([]files.Set, len(envs))
	err = eachParallel(len(envs), func(i int) error {
		e := &envs[i]
		set, err := renderOne(ctx, e)
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
		return nil, err
	}
	out := files.Set{}
	if hasTarget(envs, model.Kubernetes) {
		shared, err := kustomize.RenderShared(upgradeServiceTag(envs), envs)
		if err != nil {
			return nil, err
		}
		if err := out.Merge(shared); err != nil {
			return nil, err
		}
	}
	for i := range envs {
		if err := out.Merge(sets[i]); err != nil {
			return nil, err
		}
	}
	reconcilers, err := gitops.Render(envs)
	if err != nil {
		return nil, err
	}
	if err := out.Merge(reconcilers); err != nil {
		return nil, err
	}
	// Overlays build against the shared base, so they are checked once
	// every file is in the set; out is only read from here on.
	dirs := reconcilers.Dirs()
	external := gitops.ExternalSources(envs)
	err = eachParallel(len(dirs), func(i int) error {
		built, err := kustomize.Build(out, dirs[i])
		if err == nil && path.Dir(dirs[i]) == gitops.FluxDir {
			err = gitops.VerifyFlux(built, external)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", dirs[i], err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachParallel(len(envs), func(i int) error {
		e := &envs[i]
		if e.Target != model.Kubernetes {
			return nil
		}
		dir := kustomize.OverlayDir(e)
		built, err := kustomize.BuildJSON(WithUserFiles(out, user), dir)
		if err == nil {
			built, err = encryptedSecret(e, built)
		}
		if err == nil {
			err = kustomize.VerifyJSON(built, e.Credentials.SecretName, model.CredentialKeys)
		}
		if err != nil {
			return &RenderError{Env: e.Name, Source: e.Source, Err: err}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachParallel runs f(0..n-1) on as many goroutines as there are cores and
// returns the error of the lowest index, so a failing set of environments
// always reports the same one.
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
	return firstNonNil(errs)
}

func firstNonNil(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
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

func renderOne(ctx context.Context, e *model.Environment) (files.Set, error) {
	source := e.SourceFile()
	switch e.Target {
	case model.Compose:
		set, err := compose.Render(e, source)
		if err != nil {
			return nil, err
		}
		if err := compose.Check(ctx, e, set); err != nil {
			return nil, err
		}
		return set, nil
	case model.Kubernetes:
		return kustomize.RenderOverlay(e, source)
	default:
		return nil, fmt.Errorf("unknown target %s", e.Target)
	}
}
