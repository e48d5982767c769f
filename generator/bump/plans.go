package bump

import (
	"errors"
	"fmt"

	"github.com/cht-gen/cht-gen/generator/model"
)

// RefusalError is a bump the version policy refuses for one environment;
// Source is where the environment is declared, for messages that point
// at its version field. Nothing changes for that environment.
type RefusalError struct {
	Env    string
	Source model.Position
	Err    error
}

func (r *RefusalError) Error() string { return r.Err.Error() }
func (r *RefusalError) Unwrap() error { return r.Err }

func refuse(e *model.Environment, err error) error {
	if err == nil {
		return nil
	}
	return &RefusalError{Env: e.Name, Source: e.Source, Err: err}
}

// NamesEnv reports whether err already names environment env: the
// policy's refusals start with it.
func NamesEnv(err error, env string) bool {
	var rf *RefusalError
	return errors.As(err, &rf) && rf.Env == env
}

// Current is told about an environment already at its target (nothing
// to do), with the sentence to show.
type Current func(e *model.Environment, msg string)

// PlanVersions plans moving the environments names to the version to,
// or (latest) to the newest of releases the policy allows each one.
func PlanVersions(names []string, to string, latest bool, releases []model.Release, pol Policy, current Current) Plan {
	return func(envs []model.Environment) (Proposal, error) {
		var p Proposal
		var errs []error
		for _, n := range names {
			e, err := Lookup(envs, n)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			t, ok, err := target(e, to, latest, releases, pol)
			switch {
			case err != nil:
				errs = append(errs, refuse(e, err))
			case !ok:
				current(e, fmt.Sprintf("%s: already at %s, nothing to do", e.Name, e.Version))
			default:
				p.Targets = append(p.Targets, t)
			}
		}
		return p, errors.Join(errs...)
	}
}

// PlanPromote plans giving environment to the version from runs; crossing
// a major line needs major.
func PlanPromote(fromName, toName string, major bool, pol Policy, current Current) Plan {
	return func(envs []model.Environment) (Proposal, error) {
		from, errFrom := Lookup(envs, fromName)
		to, errTo := Lookup(envs, toName)
		if err := errors.Join(errFrom, errTo); err != nil {
			return Proposal{}, err
		}
		if CrossesMajor(to.Version, from.Version) && !major {
			return Proposal{}, refuse(to, fmt.Errorf("%s runs %s and %s %s: promoting crosses a major line; pass --major to propose it", from.Name, from.Version, to.Name, to.Version))
		}
		t, ok, err := target(to, from.Version, false, nil, pol)
		if err != nil {
			return Proposal{}, refuse(to, err)
		}
		if !ok {
			current(to, fmt.Sprintf("%s: already at %s like %s, nothing to do", to.Name, to.Version, from.Name))
			return Proposal{}, nil
		}
		return Proposal{
			Targets: []Target{t},
			Topic:   fmt.Sprintf("promote-%s-to-%s-%s", from.Name, to.Name, t.To),
			Title:   fmt.Sprintf("Promote CHT %s from %s to %s", t.To, from.Name, to.Name),
			Intro:   fmt.Sprintf("Promotes **%s** to the version **%s** runs.", to.Name, from.Name),
		}, nil
	}
}

// Lookup finds environment name among envs (as on the branch a bump
// changes).
func Lookup(envs []model.Environment, name string) (*model.Environment, error) {
	for i := range envs {
		if envs[i].Name == name {
			return &envs[i], nil
		}
	}
	return nil, fmt.Errorf("no environment %q on the branch being changed", name)
}

// target decides e's next version: to, or the latest release it may take.
func target(e *model.Environment, to string, latest bool, releases []model.Release, pol Policy) (Target, bool, error) {
	t := Target{Env: e.Name, From: e.Version, Platform: e.Target, Suspended: e.SuspendedNote(), CouchDBNodes: e.CouchDB.Nodes}
	if latest {
		rel, ok, err := pol.Latest(e, releases)
		if err != nil || !ok {
			return t, false, err
		}
		t.To, t.NotesURL = rel.Version, rel.URL
		return t, true, nil
	}
	v, err := model.ParseVersion(to)
	if err != nil {
		return t, false, fmt.Errorf("--to %s: %w", to, err)
	}
	t.To = v.String()
	if t.To == e.Version {
		return t, false, nil
	}
	return t, true, pol.Check(e, t.To)
}
