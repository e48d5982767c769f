// Package cueedit edits CUE source through its syntax tree, keeping
// comments and layout. cht-gen edits users' files in two places only: a
// bump's change of an environment's version literal, and init's change of
// gitops.repoURL in an existing gitops.cue.
package cueedit

import (
	"fmt"
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// stringField is a string literal written for a field in a file.
type stringField struct {
	lit  *ast.BasicLit
	line int
}

// findString returns the string literals written for the field at path
// (e.g. environments, prod, version) in one file, in any of CUE's
// spellings (nested braces, a: b: c shorthand, unified with a template by
// &), and the values written there that are not string literals.
func findString(filename string, src []byte, path []string) ([]stringField, []ast.Expr, error) {
	f, err := parser.ParseFile(filename, src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	var found []stringField
	var other []ast.Expr
	var visitExpr func(x ast.Expr, at []string)
	visitDecls := func(decls []ast.Decl, at []string) {
		for _, d := range decls {
			field, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(field.Label)
			if err != nil || name != path[len(at)] {
				continue
			}
			if len(at)+1 == len(path) {
				if lit, ok := field.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					found = append(found, stringField{lit: lit, line: lit.Pos().Line()})
				} else {
					other = append(other, field.Value)
				}
				continue
			}
			visitExpr(field.Value, append(append([]string{}, at...), name))
		}
	}
	visitExpr = func(x ast.Expr, at []string) {
		switch x := x.(type) {
		case *ast.StructLit:
			visitDecls(x.Elts, at)
		case *ast.BinaryExpr:
			if x.Op == token.AND {
				visitExpr(x.X, at)
				visitExpr(x.Y, at)
			}
		case *ast.ParenExpr:
			visitExpr(x.X, at)
		}
	}
	visitDecls(f.Decls, nil)
	return found, other, nil
}

// replaceLiteral returns src with lit replaced by the quoted value.
func replaceLiteral(filename string, src []byte, f stringField, value string) ([]byte, error) {
	start := f.lit.Pos().Offset()
	end := start + len(f.lit.Value)
	if start < 0 || end > len(src) || string(src[start:end]) != f.lit.Value {
		return nil, fmt.Errorf("%s:%d: cannot locate the string literal", filename, f.line)
	}
	return append(append(append([]byte{}, src[:start]...), strconv.Quote(value)...), src[end:]...), nil
}

// SetString returns src with the one string literal written for the field
// at path replaced by value, every other byte as the user wrote it. ok is
// false when the file does not set the field, or sets it more than once or
// to something other than a string literal (then it is the user's to edit).
func SetString(filename string, src []byte, path []string, value string) (out []byte, ok bool, err error) {
	found, other, err := findString(filename, src, path)
	if err != nil || len(found) != 1 || len(other) > 0 {
		return src, false, err
	}
	out, err = replaceLiteral(filename, src, found[0], value)
	return out, err == nil, err
}

// SetVersion returns src with env's version literal replaced by version.
// The literal is found through CUE's syntax tree and replaced in place, so
// every other byte (comments, formatting) stays as the user wrote it.
// ok is false when the file does not set env's version.
func SetVersion(filename string, src []byte, env, version string) (out []byte, ok bool, err error) {
	found, other, err := findString(filename, src, []string{"environments", env, "version"})
	if err != nil {
		return nil, false, err
	}
	if len(other) > 0 {
		p := other[0].Pos()
		return nil, false, fmt.Errorf("%s:%d:%d: environments.%s.version is not a string literal: write it as version: \"x.y.z\" so cht-gen bump can change it", filename, p.Line(), p.Column(), env)
	}
	switch len(found) {
	case 0:
		return src, false, nil
	case 1:
	default:
		return nil, false, fmt.Errorf("%s: environments.%s.version is set %d times (lines %d and %d): keep one", filename, env, len(found), found[0].line, found[1].line)
	}
	out, err = replaceLiteral(filename, src, found[0], version)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}
