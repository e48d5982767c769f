package handover

import (
	"bytes"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"

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
	// Each Script stands alone (it defines the sh functions it calls), so
	// a tool running the steps of -o json one by one needs nothing else.
}

// Plan is the handover of one environment.
type Plan struct {
	Environment string       `json:"environment"`
	Target      model.Target `json:"target"`
	Steps       []Step       `json:"steps"`
}

// Options are the handover options of both targets.
type Options struct {
	Kubernetes KubernetesOptions
	Compose    ComposeOptions
}

// For plans e's handover for its target.
func For(e *model.Environment, o Options) (Plan, error) {
	switch e.Target {
	case model.Kubernetes:
		return Kubernetes(e, o.Kubernetes)
	case model.Compose:
		return Compose(e, o.Compose)
	}
	return Plan{}, fmt.Errorf("environment %s: target %q has no handover", e.Name, e.Target)
}

// Script renders p as one POSIX sh script: "#!/bin/sh", "set -eu", a header
// saying what it does and that it is safe to run again, then each step with
// its Why as comments. All Check steps come before any Change step (a check
// failing changes nothing).
func (p Plan) Script() []byte {
	var b bytes.Buffer
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "# Handover of CHT environment %s (%s), made by `cht-gen handover %s`.\n", p.Environment, p.Target, p.Environment)
	b.WriteString("# It moves the running instance under the reconciler in place: nothing that\n")
	b.WriteString("# holds data is moved, copied, recreated or deleted, and the credentials stay.\n")
	b.WriteString("# The checks come first: when what runs is not what the environment describes,\n")
	b.WriteString("# the script stops at the first difference, naming it, before changing anything.\n")
	b.WriteString("# Every change is idempotent: running the script again, after a failure or a\n")
	b.WriteString("# success, does no harm. Read it, then run it: sh handover.sh\n")
	b.WriteString("set -eu\n")
	for _, kind := range []Kind{Check, Change} {
		for _, s := range p.Steps {
			if s.Kind != kind {
				continue
			}
			// "# name (kind): why", the why wrapped on comment lines.
			lines := wrap(fmt.Sprintf("%s (%s): %s", s.Name, s.Kind, s.Why), 76)
			b.WriteString("\n")
			for _, l := range lines {
				fmt.Fprintf(&b, "# %s\n", l)
			}
			b.WriteString(strings.TrimRight(s.Script, "\n"))
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\necho %s\n", mustQuote("handover "+p.Environment+": done"))
	return b.Bytes()
}

// wrap breaks text into lines of at most width characters at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// mustQuote quotes a value already validated (a name).
func mustQuote(s string) string {
	q, err := quote(s)
	if err != nil {
		return "''"
	}
	return q
}

// quote makes s one POSIX sh word. Values are validated by the model
// (Kubernetes names, paths); a value sh cannot hold (a NUL byte) is an
// error rather than a script that means something else.
func quote(s string) (string, error) {
	q, err := syntax.Quote(s, syntax.LangPOSIX)
	if err != nil {
		return "", fmt.Errorf("%q cannot be written as a shell word: %w", s, err)
	}
	return q, nil
}
