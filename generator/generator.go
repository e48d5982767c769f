package generator

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"sync"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/gitops"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
)

// Options configure Render.
type Options struct {
	// Progress, if set, is told about each environment rendered.
	Progress func(format string, args ...any)
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

// Render renders every environment of res and checks each result loads.
// Environments render in parallel; the result does not depend on order.
func Render(ctx context.Context, res *load.Result, opts Options) (files.Set, error) {
	envs := res.Environments
	sets := make([]files.Set, len(envs))
	errs := make([]error, len(envs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range envs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			e := &envs[i]
			set, err := renderOne(ctx, e)
			if err != nil {
				errs[i] = &RenderError{Env: e.Name, Source: e.Source, Err: err}
				return
			}
			sets[i] = set
			if opts.Progress != nil {
				opts.Progress("rendered %s (%s, %d files)", e.Name, e.Target, len(set))
			}
		}(i)
	}
	wg.Wait()
	out := files.Set{}
	if hasTarget(envs, model.Kubernetes) {
		shared, err := kustomize.RenderShared(upgradeServiceTag(envs))
		if err != nil {
			return nil, err
		}
		if err := out.Merge(shared); err != nil {
			return nil, err
		}
	}
	// Overlays build against the shared base, so they are checked once
	// every file is in the set.
	for i := range envs {
		if errs[i] != nil {
			return nil, errs[i]
		}
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
	for _, dir := range reconcilers.Dirs() {
		built, err := kustomize.Build(out, dir)
		if err == nil && path.Dir(dir) == gitops.FluxDir {
			err = gitops.VerifyFlux(built)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
	}
	for i := range envs {
		e := &envs[i]
		if e.Target != model.Kubernetes {
			continue
		}
		built, err := kustomize.Build(out, kustomize.OverlayDir(e))
		if err == nil {
			err = kustomize.Verify(built, e.Credentials.SecretName, model.CredentialKeys)
		}
		if err != nil {
			return nil, &RenderError{Env: e.Name, Source: e.Source, Err: err}
		}
	}
	return out, nil
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
