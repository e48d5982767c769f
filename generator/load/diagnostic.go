package load

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cht-gen/cht-gen/generator/model"
)

// Diagnostic is one problem in the environment files.
type Diagnostic struct {
	Pos     model.Position
	Path    string // e.g. environments.prod.couchdb.nodes
	Message string
	Warning bool
}

// String formats as file:line:col: path: message.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	if d.Warning {
		b.WriteString("warning: ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Errors is every error found while loading; it is returned as one error.
type Errors []Diagnostic

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, d := range es {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// sortDiagnostics orders by position, then path and message, and drops
// exact duplicates (CUE reports a conflict once per contributing value).
func sortDiagnostics(ds []Diagnostic) []Diagnostic {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
	// CUE reports an error in the top-level gitops block once more for
	// each environment, at the schema's hidden copy of it
	// (environments.prod._gitops.repoURL): the same position and message
	// under a path the user never wrote. Keep the path they wrote.
	visible := map[string]bool{}
	for _, d := range ds {
		if !hiddenPath(d.Path) {
			visible[fmt.Sprint(d.Pos, d.Message)] = true
		}
	}
	out := ds[:0]
	seen := map[string]bool{}
	for _, d := range ds {
		k := d.String()
		if seen[k] || (hiddenPath(d.Path) && visible[fmt.Sprint(d.Pos, d.Message)]) {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

// hiddenPath reports whether p passes through a hidden field (_name),
// which only the schema writes.
func hiddenPath(p string) bool { return strings.HasPrefix(p, "_") || strings.Contains(p, "._") }

func errorf(pos model.Position, path, format string, args ...any) Diagnostic {
	return Diagnostic{Pos: pos, Path: path, Message: fmt.Sprintf(format, args...)}
}
