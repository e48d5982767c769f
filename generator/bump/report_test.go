package bump_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/model"
)

// TestReport: the typed result bump and promote print, without the CLI
// nor Git: which environments were applied, found current or refused,
// the warnings and the 4.x -> 5.x checklist, and how --all names the
// environment a failure belongs to while the others go on.
func TestReport(t *testing.T) {
	envs := []model.Environment{
		{Name: "staging", Version: "5.2.0", Target: model.Kubernetes, Channel: "stable", Source: model.Position{File: "environments/c.cue", Line: 3}},
		{Name: "prod", Version: "4.22.0", Target: model.Kubernetes, Channel: "stable", Source: model.Position{File: "environments/c.cue", Line: 9}},
		{Name: "uat", Version: "4.21.1", Target: model.Kubernetes, Channel: "stable", Source: model.Position{File: "environments/c.cue", Line: 15}},
	}
	pol := bump.Policy{Paths: schemaPaths(t)}
	o := bump.Options{EnvDir: "environments", OutDir: "out"}
	errDisk := errors.New("disk full")
	// run plans against envs; it fails for the environments in fail as
	// a render or a push would (after planning).
	runner := func(fail ...string) bump.Runner {
		return func(ctx context.Context, plan bump.Plan, o bump.Options) (*bump.Result, error) {
			p, err := plan(envs)
			if err != nil {
				return nil, err
			}
			for _, t := range p.Targets {
				for _, f := range fail {
					if t.Env == f {
						return nil, errDisk
					}
				}
			}
			return &bump.Result{Proposal: p}, nil
		}
	}
	for _, tc := range []struct {
		name          string
		report        func() *bump.Report
		wantSteps     []string // per step: applied env:to, current env, or !error
		wantWarnings  []string
		wantChecklist bool
		wantErr       []string // substrings of Err, in order
		wantRefused   string
	}{
		{name: "together: one step", report: func() *bump.Report {
			return bump.Versions(context.Background(), runner(), o, bump.VersionsRequest{Names: []string{"uat", "prod"}, To: "4.22.0", Policy: pol})
		}, wantSteps: []string{"uat:4.22.0 =prod"}},
		{name: "all: one step each, a refusal does not stop the others", report: func() *bump.Report {
			return bump.Versions(context.Background(), runner(), o, bump.VersionsRequest{Names: []string{"staging", "prod", "uat"}, To: "4.22.0", All: true, Policy: pol})
		}, wantSteps: []string{"!", "=prod", "uat:4.22.0"}, wantErr: []string{"older than its current"}, wantRefused: "staging"},
		{name: "all: a failure is named after its environment", report: func() *bump.Report {
			return bump.Versions(context.Background(), runner("uat"), o, bump.VersionsRequest{Names: []string{"uat", "prod"}, To: "4.22.0", All: true, Policy: pol})
		}, wantSteps: []string{"!", "=prod"}, wantErr: []string{"uat: disk full"}},
		{name: "latest keeps the listing's warnings", report: func() *bump.Report {
			return bump.Versions(context.Background(), runner(), o, bump.VersionsRequest{Names: []string{"uat"}, Latest: true, Policy: pol,
				Releases: []model.Release{{Version: "5.2.0"}, {Version: "4.22.0"}}, Warnings: []string{"GitHub could not be read"}})
		}, wantSteps: []string{"uat:4.22.0"}, wantWarnings: []string{"GitHub could not be read"}},
		{name: "promote to 5.x carries Medic's checklist", report: func() *bump.Report {
			return bump.Promote(context.Background(), runner(), o, "staging", "prod", true, pol)
		}, wantSteps: []string{"prod:5.2.0"}, wantChecklist: true},
		{name: "promote across a major without --major is refused", report: func() *bump.Report {
			return bump.Promote(context.Background(), runner(), o, "staging", "prod", false, pol)
		}, wantSteps: []string{"!"}, wantErr: []string{"pass --major"}, wantRefused: "prod"},
		{name: "promote to the same version is current", report: func() *bump.Report {
			return bump.Promote(context.Background(), runner(), o, "prod", "prod", false, pol)
		}, wantSteps: []string{"=prod"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := tc.report()
			if rep.Push || rep.EnvDir != "environments" || rep.OutDir != "out" {
				t.Errorf("report %+v does not say where the run went", rep)
			}
			var steps []string
			checklist := false
			for _, s := range rep.Steps {
				var parts []string
				if s.Err != nil {
					parts = append(parts, "!")
					if s.Result != nil {
						t.Errorf("a failed step keeps its result %+v", s.Result)
					}
				}
				if s.Applied() {
					for _, tg := range s.Result.Proposal.Targets {
						parts = append(parts, tg.Env+":"+tg.To)
					}
				}
				for _, c := range s.Current {
					if !strings.HasPrefix(c.Message, c.Name+": already at "+c.Version) {
						t.Errorf("current %+v: the message does not say so", c)
					}
					parts = append(parts, "="+c.Name)
				}
				checklist = checklist || len(s.Checklist()) > 0
				steps = append(steps, strings.Join(parts, " "))
			}
			if strings.Join(steps, "|") != strings.Join(tc.wantSteps, "|") {
				t.Errorf("steps %q, want %q", steps, tc.wantSteps)
			}
			if strings.Join(rep.Warnings, "|") != strings.Join(tc.wantWarnings, "|") || checklist != tc.wantChecklist {
				t.Errorf("warnings %q checklist %v, want %q %v", rep.Warnings, checklist, tc.wantWarnings, tc.wantChecklist)
			}
			err := rep.Err()
			if (err != nil) != (len(tc.wantErr) > 0) {
				t.Fatalf("Err() = %v, want %q", err, tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Err() = %v, want %q", err, w)
				}
			}
			var rf *bump.RefusalError
			if got := errors.As(err, &rf); got != (tc.wantRefused != "") || got && rf.Env != tc.wantRefused {
				t.Errorf("refusal %+v, want one for %q", rf, tc.wantRefused)
			}
			if tc.name == "all: a failure is named after its environment" && !errors.Is(err, errDisk) {
				t.Errorf("Err() = %v does not wrap the failure", err)
			}
		})
	}
}
