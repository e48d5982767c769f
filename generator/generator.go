package generator

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"sync"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
)

// Options configure Render.
type Options struct {
	// EnvironmentsDir is how environment files are named in headers,
	// e.g. "environments".
	EnvironmentsDir string
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
	for i := range envs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if err := out.Merge(sets[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func renderOne(ctx context.Context, e *model.Environment) (files.Set, error) {
	source := e.Source.File
	if source == "" {
		source = path.Join("environments", e.Name+".cue")
	}
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
	default:
		return nil, fmt.Errorf("target %s is not rendered yet", e.Target)
	}
}
