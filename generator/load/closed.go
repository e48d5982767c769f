package load

import (
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// unknownFields finds the fields of one environment the schema does not
// allow, when CUE did not say so: it stops reporting closedness in a
// struct that holds another conflict (`nodes: "three"` hides `replicas: 3`
// beside it). The environment is rebuilt without the fields already
// reported (bad) and checked again; only "field not allowed" is taken from
// that second look, so every error is still reported at once.
func unknownFields(root, user cue.Value, env string, bad map[string]bool) []Diagnostic {
	envPath := cue.ParsePath(env)
	u := user.LookupPath(envPath)
	// A fresh context: values of different contexts combine (and
	// cue.Value.Context is deprecated).
	skeleton := fillExcept(cuecontext.New().CompileString("{}"), u, env, bad)
	v := root.Unify(skeleton).LookupPath(envPath)
	err := v.Validate(cue.All())
	if err == nil {
		return nil
	}
	var out []Diagnostic
	for _, d := range fromCUE(err, &user) {
		if strings.HasSuffix(d.Message, "field not allowed") && !bad[d.Path] {
			out = append(out, d)
		}
	}
	return out
}

// fillExcept copies u's regular fields, found at path, into skeleton,
// leaving out the paths in bad (and everything below them).
func fillExcept(skeleton, u cue.Value, path string, bad map[string]bool) cue.Value {
	iter, err := u.Fields()
	if err != nil {
		return skeleton
	}
	for iter.Next() {
		p := path + "." + iter.Selector().String()
		switch {
		case bad[p]:
		case iter.Value().IncompleteKind() == cue.StructKind:
			skeleton = fillExcept(skeleton, iter.Value(), p, bad)
		default:
			skeleton = skeleton.FillPath(cue.ParsePath(p), iter.Value())
		}
	}
	return skeleton
}

// addMissing appends the diagnostics of extra whose path diags lacks.
func addMissing(diags, extra []Diagnostic) []Diagnostic {
	seen := map[string]bool{}
	for _, d := range diags {
		seen[d.Path] = true
	}
	for _, d := range extra {
		if !seen[d.Path] {
			seen[d.Path] = true
			diags = append(diags, d)
		}
	}
	return diags
}
