package load

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"

	schema "github.com/cht-gen/cht-gen/cue"
)

// SchemaReference is docs/schema.md: every field of the embedded schema,
// with where it applies (the `if` that guards it), its CUE constraint and
// default, and its comment, read from the schema's syntax so that the
// reference cannot drift from what cht-gen checks.
func SchemaReference() ([]byte, error) {
	src, err := fs.ReadFile(schema.Files, "schema.cue")
	if err != nil {
		return nil, err
	}
	f, err := parser.ParseFile("schema.cue", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	d := schemaDoc{defs: map[string]*ast.StructLit{}, aliases: map[string]*ast.Field{}}
	var aliases []*ast.Field
	for _, decl := range f.Decls {
		fl, ok := decl.(*ast.Field)
		if !ok {
			continue
		}
		name := labelName(fl.Label)
		if s, ok := fl.Value.(*ast.StructLit); ok {
			d.defs[name] = s
		} else if strings.HasPrefix(name, "#") {
			d.aliases[name] = fl
			aliases = append(aliases, fl)
		}
	}
	var b bytes.Buffer
	b.WriteString(schemaDocHeader)
	b.WriteString("\n## Repository-wide: `gitops`\n\n")
	d.table(&b, "#GitOpsSource", "gitops.")
	b.WriteString("\n## Per environment: `environments: <name>: {...}`\n\n")
	d.table(&b, "#Environment", "")
	b.WriteString("\n## Value types\n\n| name | CUE | meaning |\n|---|---|---|\n")
	for _, fl := range aliases {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", labelName(fl.Label), code(fl.Value), cell(docOf(fl)))
	}
	return b.Bytes(), nil
}

const schemaDocHeader = `<!-- generated from cue/schema.cue by generator/load.SchemaReference; do not edit: make update -->
# Schema reference

The schema is ` + "`cue/schema.cue`" + `, embedded in cht-gen (` + "`cht-gen schema`" + ` prints it
for ` + "`cue vet`" + `). It is closed: a field not listed here is an error. A
value written ` + "`*x | ...`" + ` defaults to x. "where" is the condition under
which the field exists (e.g. only for ` + "`target == \"compose\"`" + `, else "all"); a field
listed twice has a default per condition. Secrets (passwords, the CouchDB
secret and UUID) are never fields: they stay outside Git (` + "`cht-gen secrets`" + `).
How the settings are rendered: [environments.md](environments.md).
`

type schemaDoc struct {
	defs    map[string]*ast.StructLit // struct definitions: #Environment, #TLS ...
	aliases map[string]*ast.Field     // value types: #Name, #Version ...
}

type schemaRow struct{ path, where, value, doc string }

// table writes one row per field of definition def, nested structs and
// struct definitions expanded, hidden fields left out.
func (d schemaDoc) table(b *bytes.Buffer, def, prefix string) {
	var rows []schemaRow
	d.walk(d.defs[def], prefix, "", &rows, map[string]bool{def: true})
	b.WriteString("| field | where | CUE (default `*`) | meaning |\n|---|---|---|---|\n")
	for _, r := range rows {
		if r.where == "" {
			r.where = "all"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", r.path, cell(r.where), r.value, cell(r.doc))
	}
}

func (d schemaDoc) walk(s *ast.StructLit, prefix, where string, rows *[]schemaRow, seen map[string]bool) {
	for _, decl := range s.Elts {
		switch n := decl.(type) {
		case *ast.Field:
			name := labelName(n.Label)
			if strings.HasPrefix(name, "_") {
				continue
			}
			path := prefix + name
			if n.Constraint != 0 {
				path += "?"
			}
			if _, ok := n.Label.(*ast.ListLit); ok { // [string]: string
				path = prefix + "<key>"
			}
			doc := docOf(n)
			if sub, ok := n.Value.(*ast.StructLit); ok {
				if doc != "" {
					*rows = append(*rows, schemaRow{strings.TrimSuffix(path, "?"), where, "{...}", doc})
				}
				d.walk(sub, strings.TrimSuffix(path, "?")+".", where, rows, seen)
				continue
			}
			if id, ok := n.Value.(*ast.Ident); ok && d.defs[id.Name] != nil && !seen[id.Name] {
				*rows = append(*rows, schemaRow{strings.TrimSuffix(path, "?"), where, "`" + id.Name + "`", doc})
				seen[id.Name] = true
				d.walk(d.defs[id.Name], strings.TrimSuffix(path, "?")+".", where, rows, seen)
				delete(seen, id.Name)
				continue
			}
			*rows = append(*rows, schemaRow{path, where, code(n.Value), doc})
		case *ast.Comprehension:
			cond := where
			for _, c := range n.Clauses {
				if ifc, ok := c.(*ast.IfClause); ok {
					cond = joinWhere(where, source(ifc.Condition))
				}
			}
			if sub, ok := n.Value.(*ast.StructLit); ok {
				d.walk(sub, prefix, cond, rows, seen)
			}
		}
	}
}

func joinWhere(outer, inner string) string {
	if outer == "" {
		return inner
	}
	if strings.Contains(inner, "||") {
		inner = "(" + inner + ")"
	}
	return outer + " && " + inner
}

func labelName(l ast.Label) string {
	switch l := l.(type) {
	case *ast.Ident:
		return l.Name
	case *ast.BasicLit:
		return strings.Trim(l.Value, `"`)
	}
	return source(l)
}

// docOf is the field's comment as one line.
func docOf(n ast.Node) string {
	var lines []string
	for _, cg := range ast.Comments(n) {
		for _, c := range cg.List {
			lines = append(lines, strings.TrimSpace(strings.TrimPrefix(c.Text, "//")))
		}
	}
	return strings.Join(lines, " ")
}

func source(n ast.Node) string {
	b, err := format.Node(n)
	if err != nil {
		return fmt.Sprintf("%v", n)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// code is a CUE expression as Markdown code inside a table cell.
func code(n ast.Node) string { return "`" + strings.ReplaceAll(source(n), "|", `\|`) + "`" }

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
