// Package cueedit edits CUE source through its syntax tree, keeping
// comments and layout: the one edit cht-gen makes to users' files is a
// bump's change of an environment's version literal.
package cueedit

import (
	"fmt"
	"strconv"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// versionField is where an environment's version is written in a file.
type versionField struct {
	lit  *ast.BasicLit
	line int
}

// findVersion returns the `version` fields written for env in one file:
// environments: <env>: {... version: "x" ...}, in any of CUE's spellings
// (nested braces, a: b: c shorthand, unified with a template by &).
func findVersion(filename string, src []byte, env string) ([]versionField, []ast.Expr, error) {
	f, err := parser.ParseFile(filename, src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	var found []versionField
	var other []ast.Expr // version set to something that is not a string literal
	var visitExpr func(x ast.Expr, path []string)
	visitDecls := func(decls []ast.Decl, path []string) {
		for _, d := range decls {
			field, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(field.Label)
			if err != nil {
				continue
			}
			if len(path) == 2 && path[0] == "environments" && path[1] == env && name == "version" {
				if lit, ok := field.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					found = append(found, versionField{lit: lit, line: lit.Pos().Line()})
				} else {
					other = append(other, field.Value)
				}
				continue
			}
			if len(path) < 2 {
				visitExpr(field.Value, append(append([]string{}, path...), name))
			}
		}
	}
	visitExpr = func(x ast.Expr, path []string) {
		switch x := x.(type) {
		case *ast.StructLit:
			visitDecls(x.Elts, path)
		case *ast.BinaryExpr:
			if x.Op == token.AND {
				visitExpr(x.X, path)
				visitExpr(x.Y, path)
			}
		case *ast.ParenExpr:
			visitExpr(x.X, path)
		}
	}
	visitDecls(f.Decls, nil)
	return found, other, nil
}

// SetVersion returns src with env's version literal replaced by version.
// The literal is found through CUE's syntax tree and replaced in place, so
// every other byte (comments, formatting) stays as the user wrote it.
// ok is false when the file does not set env's version.
func SetVersion(filename string, src []byte, env, version string) (out []byte, ok bool, err error) {
	found, other, err := findVersion(filename, src, env)
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
	lit := found[0].lit
	start := lit.Pos().Offset()
	end := start + len(lit.Value)
	if start < 0 || end > len(src) || string(src[start:end]) != lit.Value {
		return nil, false, fmt.Errorf("%s:%d: cannot locate the version literal", filename, found[0].line)
	}
	out = append(append(append([]byte{}, src[:start]...), strconv.Quote(version)...), src[end:]...)
	return out, true, nil
}
