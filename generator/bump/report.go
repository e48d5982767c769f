package bump

import (
	"context"
	"errors"
	"fmt"

	"github.com/cht-gen/cht-gen/generator/model"
)

// Report is what one bump or promote command did, built by Versions or
// Promote for the CLI to print as text or JSON: the CLI decides nothing.
type Report struct {
	Push           bool
	EnvDir, OutDir string   // a local run's edit and re-render landed there
	Warnings       []string // things the run went on despite (e.g. GitHub unread)
	// Steps are the runs in order: one, or with --all one per
	// environment (one pull request each).
	Steps []Step
}

// Step is one run of a plan: one edit, one pull request.
type Step struct {
	Current []CurrentEnv // already at the version asked for: nothing done
	Result  *Result      // nil when the run failed or had nothing to do
	Err     error        // refusal or failure: nothing changed for it
}

// CurrentEnv is an environment already at its target; Message is the
// sentence saying so.
type CurrentEnv struct {
	Name, Version, Message string
}

// Applied reports whether the step edited (or proposed) something.
func (s *Step) Applied() bool { return s.Result != nil && len(s.Result.Proposal.Targets) > 0 }

// Checklist is Medic's 4.x -> 5.x checklist of the step's targets (empty
// when none crosses to 5.x).
func (s *Step) Checklist() []ChecklistItem {
	if !s.Applied() {
		return nil
	}
	return MajorChecklist(s.Result.Proposal.Targets)
}

// Err is every step's error, joined (nil: all went through).
func (r *Report) Err() error {
	var errs []error
	for _, s := range r.Steps {
		if s.Err != nil {
			errs = append(errs, s.Err)
		}
	}
	return errors.Join(errs...)
}

// Runner applies a plan: (*Bumper).Run, which the CLI wraps so that a
// signal waits for the writes.
type Runner func(ctx context.Context, plan Plan, o Options) (*Result, error)

// VersionsRequest is one bump command once its arguments are checked.
type VersionsRequest struct {
	Names    []string
	To       string // the version asked for, or "" with Latest
	Latest   bool
	All      bool            // one run (one pull request) per environment
	Releases []model.Release // with Latest: the releases to choose from
	Warnings []string        // from reading Releases
	Policy   Policy
}

func newReport(o Options, warnings []string) *Report {
	return &Report{Push: o.Push, EnvDir: o.EnvDir, OutDir: o.OutDir, Warnings: warnings}
}

// step runs plan made with current as its Current callback.
func step(ctx context.Context, run Runner, o Options, plan func(Current) Plan) Step {
	var s Step
	current := func(e *model.Environment, msg string) {
		s.Current = append(s.Current, CurrentEnv{Name: e.Name, Version: e.Version, Message: msg})
	}
	s.Result, s.Err = run(ctx, plan(current), o)
	if s.Err != nil {
		s.Result = nil
	}
	return s
}

// Versions runs a bump: the named environments together, or with All
// each on its own, where one that fails does not hold the others back
// and its error names it.
func Versions(ctx context.Context, run Runner, o Options, r VersionsRequest) *Report {
	rep := newReport(o, r.Warnings)
	plan := func(names []string) func(Current) Plan {
		return func(c Current) Plan { return PlanVersions(names, r.To, r.Latest, r.Releases, r.Policy, c) }
	}
	if !r.All {
		rep.Steps = append(rep.Steps, step(ctx, run, o, plan(r.Names)))
		return rep
	}
	for _, n := range r.Names {
		s := step(ctx, run, o, plan([]string{n}))
		if s.Err != nil && !NamesEnv(s.Err, n) {
			s.Err = fmt.Errorf("%s: %w", n, s.Err)
		}
		rep.Steps = append(rep.Steps, s)
	}
	return rep
}

// Promote runs a promotion of environment to to from's version.
func Promote(ctx context.Context, run Runner, o Options, from, to string, major bool, pol Policy) *Report {
	rep := newReport(o, nil)
	rep.Steps = append(rep.Steps, step(ctx, run, o, func(c Current) Plan { return PlanPromote(from, to, major, pol, c) }))
	return rep
}
