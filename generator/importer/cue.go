package importer

import (
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/token"
)

// object is an ordered CUE struct under construction. Every value goes
// through cue/ast constructors (ast.NewString quotes), so nothing read from
// a values file can change the structure of the file written.
type object struct {
	fields []*objField
}

type objField struct {
	label string
	value any // ast.Expr or *object
}

// set places expr at a dotted path, creating structs on the way.
func (o *object) set(path string, expr ast.Expr) {
	labels := strings.Split(path, ".")
	cur := o
	for i, l := range labels {
		var f *objField
		for _, g := range cur.fields {
			if g.label == l {
				f = g
			}
		}
		if i == len(labels)-1 {
			if f != nil {
				f.value = expr
			} else {
				cur.fields = append(cur.fields, &objField{label: l, value: expr})
			}
			return
		}
		if f == nil {
			f = &objField{label: l, value: &object{}}
			cur.fields = append(cur.fields, f)
		}
		next, ok := f.value.(*object)
		if !ok {
			next = &object{}
			f.value = next
		}
		cur = next
	}
}

func (o *object) expr() *ast.StructLit {
	s := &ast.StructLit{}
	for _, f := range o.fields {
		var v ast.Expr
		switch x := f.value.(type) {
		case *object:
			v = x.expr()
		case ast.Expr:
			v = x
		}
		s.Elts = append(s.Elts, &ast.Field{Label: ast.NewStringLabel(f.label), Value: v})
	}
	return s
}

func str(s string) ast.Expr { return ast.NewString(s) }
func num(n int) ast.Expr    { return ast.NewLit(token.INT, strconv.Itoa(n)) }
func boolean(b bool) ast.Expr {
	return ast.NewBool(b)
}
func strList(ss []string) ast.Expr {
	l := &ast.ListLit{}
	for _, s := range ss {
		l.Elts = append(l.Elts, ast.NewString(s))
	}
	return l
}

// EnvFile is one generated environments file.
type EnvFile struct {
	Header []string // comment lines above the declarations
	Envs   []*Env
}

// Env is one imported environment.
type Env struct {
	Name    string
	Comment []string // comment lines above the environment
	body    object
	origins map[string]Pos // field path -> where its value came from
	version string         // the CHT version set, for write's messages
}

// newEnv starts an imported environment. It says existing: true: an
// import describes an instance that runs, with data, so cht-gen keeps its
// credentials (secrets refuses new ones) and `cht-gen handover` moves it
// in place.
func newEnv(name string) *Env {
	e := &Env{Name: name, origins: map[string]Pos{}}
	e.Set("existing", boolean(true), Pos{})
	return e
}

// Set places expr at path (below the environment), remembering its origin
// for error messages.
func (e *Env) Set(path string, expr ast.Expr, from Pos) {
	e.body.set(path, expr)
	if lit, ok := expr.(*ast.BasicLit); ok && path == "version" {
		e.version, _ = strconv.Unquote(lit.Value)
	}
	if from.Line != 0 {
		e.origins[path] = from
	}
}

// Origin is where the value at path (below the environment) came from, or
// of the closest parent that has one.
func (e *Env) Origin(path string) (Pos, bool) {
	for p := path; p != ""; {
		if pos, ok := e.origins[p]; ok {
			return pos, true
		}
		i := strings.LastIndex(p, ".")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return Pos{}, false
}

// Format renders the file as formatted CUE, package environments.
func (f *EnvFile) Format() ([]byte, error) {
	file := &ast.File{}
	pkg := &ast.Package{Name: ast.NewIdent("environments")}
	addComments(pkg, f.Header)
	file.Decls = append(file.Decls, pkg)
	for _, e := range f.Envs {
		field := &ast.Field{
			Label: ast.NewIdent("environments"),
			Value: &ast.StructLit{Elts: []ast.Decl{&ast.Field{Label: ast.NewStringLabel(e.Name), Value: e.body.expr()}}},
		}
		addComments(field, e.Comment)
		file.Decls = append(file.Decls, field)
	}
	b, err := format.Node(file, format.Simplify())
	if err != nil {
		return nil, fmt.Errorf("format generated CUE: %w", err)
	}
	return b, nil
}

// addComments attaches lines as a // comment group above n. Lines are
// built by this package from validated values; a newline would end the
// comment, so any left over are cut.
func addComments(n ast.Node, lines []string) {
	if len(lines) == 0 {
		return
	}
	g := &ast.CommentGroup{Doc: true}
	for _, l := range lines {
		l = strings.NewReplacer("\n", " ", "\r", " ").Replace(l)
		g.List = append(g.List, &ast.Comment{Text: strings.TrimRight("// "+l, " ")})
	}
	ast.AddComment(n, g)
}

// has reports whether a value is set at the dotted path.
func (o *object) has(path string) bool {
	labels := strings.Split(path, ".")
	cur := o
	for i, l := range labels {
		var f *objField
		for _, g := range cur.fields {
			if g.label == l {
				f = g
			}
		}
		if f == nil {
			return false
		}
		if i == len(labels)-1 {
			return true
		}
		next, ok := f.value.(*object)
		if !ok {
			return false
		}
		cur = next
	}
	return false
}

// astList is a list of structs under construction.
type astList struct{ elts []*object }

func (l *astList) add(o *object) { l.elts = append(l.elts, o) }

func (l *astList) expr() ast.Expr {
	out := &ast.ListLit{}
	for _, o := range l.elts {
		out.Elts = append(out.Elts, o.expr())
	}
	return out
}
