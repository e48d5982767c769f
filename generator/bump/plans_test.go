package bump_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/model"
)

// TestPlans: what bump and promote propose, refuse or find already done,
// without the CLI. A refusal is a *bump.RefusalError naming the
// environment and where it is declared.
func TestPlans(t *testing.T) {
	envs := []model.Environment{
		{Name: "staging", Version: "5.2.0", Target: model.Kubernetes, Channel: "stable", Source: model.Position{File: "environments/c.cue", Line: 3}},
		{Name: "prod", Version: "4.22.0", Target: model.Kubernetes, Channel: "stable", Source: model.Position{File: "environments/c.cue", Line: 9}},
		{Name: "uat", Version: "4.21.1", Target: model.Kubernetes, Channel: "stable", Source: model.Position{File: "environments/c.cue", Line: 15}},
	}
	pol := bump.Policy{Paths: schemaPaths(t)}
	for _, tc := range []struct {
		name        string
		plan        func(bump.Current) bump.Plan
		wantTargets []string // env:to
		wantCurrent []string
		wantRefused string // env of a *RefusalError
		wantErr     string
	}{
		{name: "bump to a version", plan: func(c bump.Current) bump.Plan {
			return bump.PlanVersions([]string{"uat"}, "4.22.0", false, nil, pol, c)
		},
			wantTargets: []string{"uat:4.22.0"}},
		{name: "already there", plan: func(c bump.Current) bump.Plan {
			return bump.PlanVersions([]string{"prod"}, "4.22.0", false, nil, pol, c)
		},
			wantCurrent: []string{"prod: already at 4.22.0, nothing to do"}},
		{name: "a downgrade is refused", plan: func(c bump.Current) bump.Plan {
			return bump.PlanVersions([]string{"prod"}, "4.21.1", false, nil, pol, c)
		},
			wantRefused: "prod", wantErr: "older than its current"},
		{name: "an unknown environment", plan: func(c bump.Current) bump.Plan {
			return bump.PlanVersions([]string{"nowhere"}, "4.22.0", false, nil, pol, c)
		},
			wantErr: `no environment "nowhere"`},
		{name: "latest stays in the major line", plan: func(c bump.Current) bump.Plan {
			return bump.PlanVersions([]string{"uat"}, "", true,
				[]model.Release{{Version: "5.2.0"}, {Version: "4.22.0"}}, pol, c)
		}, wantTargets: []string{"uat:4.22.0"}},
		{name: "promote across a major needs --major", plan: func(c bump.Current) bump.Plan { return bump.PlanPromote("staging", "prod", false, pol, c) },
			wantRefused: "prod", wantErr: "pass --major"},
		{name: "promote across a major", plan: func(c bump.Current) bump.Plan { return bump.PlanPromote("staging", "prod", true, pol, c) },
			wantTargets: []string{"prod:5.2.0"}},
		{name: "promote to the same version", plan: func(c bump.Current) bump.Plan { return bump.PlanPromote("prod", "prod", false, pol, c) },
			wantCurrent: []string{"prod: already at 4.22.0 like prod, nothing to do"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var current []string
			p, err := tc.plan(func(e *model.Environment, msg string) { current = append(current, msg) })(envs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				var rf *bump.RefusalError
				if got := errors.As(err, &rf); got != (tc.wantRefused != "") || got && (rf.Env != tc.wantRefused || rf.Source.File == "") {
					t.Errorf("refusal %+v, want one for %q", rf, tc.wantRefused)
				}
				if tc.wantRefused != "" && !bump.NamesEnv(err, tc.wantRefused) {
					t.Errorf("NamesEnv(%v, %s) is false", err, tc.wantRefused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range p.Targets {
				got = append(got, tg.Env+":"+tg.To)
			}
			if strings.Join(got, " ") != strings.Join(tc.wantTargets, " ") || strings.Join(current, "|") != strings.Join(tc.wantCurrent, "|") {
				t.Errorf("targets %v current %v, want %v %v", got, current, tc.wantTargets, tc.wantCurrent)
			}
		})
	}
}
