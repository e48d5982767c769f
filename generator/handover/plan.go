package handover

// A copy of the shared shape (notes/HANDOVER-API.md) so the Compose side
// builds before h-k8s's plan.go is merged; the lead keeps h-k8s's file.

import (
	"fmt"
	"strings"

	"github.com/cht-gen/cht-gen/generator/model"
)

// Kind says whether a step only looks (and stops the script on a
// difference) or changes something.
type Kind string

const (
	Check  Kind = "check"  // reads only; exits non-zero with a message naming the difference
	Change Kind = "change" // idempotent change
)

// Step is one commented step of a handover.
type Step struct {
	Name   string `json:"name"` // short id, e.g. "claims-bound"
	Why    string `json:"why"`  // one or two sentences, printed as the step's comment
	Kind   Kind   `json:"kind"`
	Script string `json:"script"` // POSIX sh lines; every value from an environment quoted with syntax.Quote
}

// Plan is the handover of one environment.
type Plan struct {
	Environment string       `json:"environment"`
	Target      model.Target `json:"target"`
	Steps       []Step       `json:"steps"`
}

// Options holds each target's options.
type Options struct {
	Compose ComposeOptions
}

// For picks the plan by e.Target.
func For(e *model.Environment, o Options) (Plan, error) {
	switch e.Target {
	case model.Compose:
		return Compose(e, o.Compose)
	}
	return Plan{}, fmt.Errorf("environment %s: no handover for target %s here", e.Name, e.Target)
}

// Script renders p as one POSIX sh script: "#!/bin/sh", "set -eu", a
// header saying what it does and that it is safe to run again, then each
// step with its Why as comments. All Check steps come before any Change
// step (a check failing changes nothing).
func (p Plan) Script() []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "# Handover of environment %s (%s) to the files cht-gen renders.\n", p.Environment, p.Target)
	b.WriteString("# Every check runs before any change; a failing check changes nothing.\n")
	b.WriteString("# Safe to run again: each change is idempotent.\n")
	b.WriteString("set -eu\n")
	for _, kind := range []Kind{Check, Change} {
		for _, s := range p.Steps {
			if s.Kind != kind {
				continue
			}
			fmt.Fprintf(&b, "\n# %s (%s): ", s.Name, s.Kind)
			b.WriteString(strings.ReplaceAll(strings.TrimSpace(s.Why), "\n", "\n# ") + "\n")
			b.WriteString(strings.TrimRight(s.Script, "\n") + "\n")
		}
	}
	return []byte(b.String())
}
