package load

import (
	"errors"
	"strings"

	"cuelang.org/go/cue/ast"
)

// rejected is what the environment files that failed the file checks
// (syntax, package, size ...) declare, so that the files that passed can
// still be evaluated and their errors reported in the same run.
type rejected struct {
	// envs declared, even partly, in a rejected file: their errors in the
	// other files may come from the missing part.
	envs map[string]bool
	// unknown: a rejected file declares (or may declare) something other
	// than environments (gitops, a shared hidden field, ...) that the
	// other files may use; their errors would be guesses.
	unknown bool
}

// add notes the top-level declarations of a rejected file; f is what the
// parser made of it (nil when nothing).
func (r *rejected) add(f *ast.File) {
	if f == nil {
		r.unknown = true
		return
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.Package, *ast.CommentGroup, *ast.ImportDecl:
		case *ast.Field:
			if name, _, _ := ast.LabelName(d.Label); name != "environments" {
				r.unknown = true
				continue
			}
			st, ok := d.Value.(*ast.StructLit)
			if !ok {
				r.unknown = true
				continue
			}
			for _, e := range st.Elts {
				env, ok := e.(*ast.Field)
				if !ok {
					r.unknown = true
					continue
				}
				name, _, err := ast.LabelName(env.Label)
				if err != nil {
					r.unknown = true
					continue
				}
				r.envs[name] = true
			}
		default:
			r.unknown = true
		}
	}
}

// othersErrors evaluates the files that passed (files) without the
// rejected ones and returns the errors that cannot come from a rejected
// file: those inside an environment no rejected file declares. Nothing
// when a rejected file may declare more than environments.
func (r *rejected) othersErrors(files []*ast.File, display string, budget Budget) []Diagnostic {
	if r.unknown || len(files) == 0 {
		return nil
	}
	_, err := evaluateWithin(files, display, budget)
	var diags Errors
	if !errors.As(err, &diags) {
		return nil // a budget or internal error: the file errors stand alone
	}
	var out []Diagnostic
	for _, d := range diags {
		env, ok := strings.CutPrefix(d.Path, "environments.")
		if !ok || d.Warning {
			continue
		}
		env, _, _ = strings.Cut(env, ".")
		if env == "" || r.envs[strings.Trim(env, `"`)] || strings.Contains(d.Message, "reference") {
			continue
		}
		out = append(out, d)
	}
	return out
}
