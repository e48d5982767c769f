package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	schema "github.com/cht-gen/cht-gen/cue"
	"github.com/cht-gen/cht-gen/generator/model"
)

// PackageName is the CUE package every environment file declares.
const PackageName = "environments"

// MaxFileSize bounds one environment file; real ones are a few KiB.
const MaxFileSize = 1 << 20

// Result is a loaded, validated environments directory.
type Result struct {
	// Environments sorted by name.
	Environments []model.Environment
	// Warnings do not fail validation (e.g. upgrade service under GitOps).
	Warnings []Diagnostic
	// Files lists the environment files read, as shown in positions.
	Files []string
}

// Lookup returns the environment called name.
func (r *Result) Lookup(name string) (*model.Environment, bool) {
	for i := range r.Environments {
		if r.Environments[i].Name == name {
			return &r.Environments[i], true
		}
	}
	return nil, false
}

// Load reads every *.cue file at the root of fsys, unifies them with the
// embedded schema, and returns the environments or an Errors listing every
// problem. display is the directory name shown in positions (for example
// "environments"), so that messages point at the user's files.
func Load(fsys fs.FS, display string, opts ...Option) (*Result, error) {
	cfg := newConfig(opts)
	files, errs, rej := parseDir(fsys, display)
	if len(errs) > 0 {
		// Still check the files that parsed, so one typo does not hide
		// the errors elsewhere.
		errs = append(errs, rej.othersErrors(files, display, cfg.budget)...)
		return nil, Errors(sortDiagnostics(errs))
	}
	return evaluateWithin(files, display, cfg.budget)
}

// evaluateWithin evaluates files within budget, every diagnostic given a
// position.
func evaluateWithin(files []*ast.File, display string, budget Budget) (*Result, error) {
	res, err := withinBudget(display, budget, func() (*Result, error) { return evaluate(files, display) })
	var diags Errors
	if errors.As(err, &diags) {
		err = locate(diags, files, display)
	}
	return res, err
}

// locate gives a position to diagnostics CUE left without one (a
// structural cycle through hidden fields, say): the top-level declaration
// of the path's first label, or else the directory.
func locate(errs Errors, files []*ast.File, display string) Errors {
	for i := range errs {
		d := &errs[i]
		if d.Pos.File != "" {
			continue
		}
		d.Pos = model.Position{File: display}
		first, _, _ := strings.Cut(d.Path, ".")
	found:
		for _, f := range files {
			for _, decl := range f.Decls {
				if fd, ok := decl.(*ast.Field); ok {
					if name, _, _ := ast.LabelName(fd.Label); name == first && first != "" {
						d.Pos = toPos(fd.Pos())
						break found
					}
				}
			}
		}
	}
	return errs
}

// evaluate unifies the parsed files with the schema and decodes them.
func evaluate(files []*ast.File, display string) (*Result, error) {
	ctx := cuecontext.New()
	pkg, err := schemaPackage(ctx)
	if err != nil {
		return nil, fmt.Errorf("compile embedded schema: %w", err)
	}
	root := pkg.LookupPath(cue.ParsePath("#Root"))
	bi := build.NewContext().NewInstance(display, nil)
	names := make([]string, 0, len(files))
	for _, f := range files {
		if err := bi.AddSyntax(f); err != nil {
			return nil, Errors(fromCUE(err, nil))
		}
		names = append(names, f.Filename)
	}
	user := ctx.BuildInstance(bi)
	if err := user.Err(); err != nil {
		return nil, Errors(sortDiagnostics(fromCUE(err, nil)))
	}
	// Schema errors do not stop here: the semantic checks still run on
	// every environment, on what the schema accepted of it, so that one
	// missing field does not hide errors elsewhere.
	envs, diags, err := decodeAll(root, user)
	if err != nil {
		return nil, err
	}
	defaults, err := schemaDefaults(pkg)
	if err != nil {
		return nil, fmt.Errorf("embedded schema defaults: %w", err)
	}
	for i := range envs {
		envs[i].Defaults = defaults
	}
	if len(envs) == 0 && len(diags) == 0 {
		diags = append(diags, errorf(model.Position{File: names[0], Line: 1, Col: 1}, PackageName,
			"no environments declared: add e.g. `environments: dev: {target: \"compose\", version: \"4.22.0\", host: \"localhost\"}`"))
	}
	sort.Slice(envs, func(i, j int) bool { return envs[i].Name < envs[j].Name })
	errs, warnings := semantic(envs, user, diags)
	if diags = append(diags, errs...); len(diags) > 0 {
		return nil, Errors(sortDiagnostics(diags))
	}
	return &Result{Environments: envs, Warnings: sortDiagnostics(warnings), Files: names}, nil
}

// decodeAll validates v against the schema and decodes its environments.
// After a schema error, the environments it touched are decoded in part
// (decodePartial), for the semantic checks only.
func decodeAll(root, user cue.Value) ([]model.Environment, []Diagnostic, error) {
	v := root.Unify(user)
	var diags []Diagnostic
	schemaErr := v.Validate(cue.Concrete(true), cue.All())
	if schemaErr != nil {
		diags = fromCUE(schemaErr, &user)
	}
	iter, err := v.LookupPath(cue.ParsePath(PackageName)).Fields()
	if err != nil {
		if schemaErr != nil {
			return nil, nil, Errors(sortDiagnostics(withSuggestions(v, diags)))
		}
		return nil, nil, Errors(fromCUE(err, &user))
	}
	var envs []model.Environment
	for iter.Next() {
		var e model.Environment
		if err := iter.Value().Decode(&e); err != nil {
			if schemaErr == nil {
				diags = append(diags, fromCUE(err, &user)...)
				continue
			}
			// CUE leaves out a missing field once another environment has
			// a conflict: each environment is validated on its own too.
			if err := iter.Value().Validate(cue.Concrete(true), cue.All()); err != nil {
				diags = append(diags, fromCUE(err, &user)...)
			}
			name := PackageName + "." + iter.Selector().String()
			diags = addMissing(diags, unknownFields(root, user, name, reportedPaths(diags)))
			e = decodePartial(iter.Value())
			e.Name = iter.Selector().Unquoted()
		}
		e.Source = position(user, PackageName+"."+label(e.Name))
		e.CouchDB.LogLevelSet = user.LookupPath(cue.MakePath(cue.Str(PackageName), cue.Str(e.Name), cue.Str("couchdb"), cue.Str("logLevel"))).Exists()
		envs = append(envs, e)
	}
	return envs, withSuggestions(v, diags), nil
}

// reportedPaths is the set of paths diags name.
func reportedPaths(diags []Diagnostic) map[string]bool {
	out := make(map[string]bool, len(diags))
	for _, d := range diags {
		out[d.Path] = true
	}
	return out
}

// semantic runs model.Validate and places its problems in the user's
// files, leaving out fields the schema already reported.
func semantic(envs []model.Environment, user cue.Value, schema []Diagnostic) (errs, warnings []Diagnostic) {
	reported := map[string]bool{}
	for _, d := range schema {
		reported[d.Path] = true
	}
	for _, p := range model.Validate(envs) {
		full := PackageName + "." + label(p.Env) + "." + p.Field
		if reported[full] {
			continue
		}
		d := Diagnostic{Pos: position(user, full), Path: full, Message: p.Message, Warning: p.Warning}
		if p.Value && p.Field == "repoURL" && !user.LookupPath(cue.ParsePath(full)).Exists() {
			// Inherited from the top-level gitops block: say it there, once.
			if g := user.LookupPath(cue.ParsePath("gitops.repoURL")); g.Exists() {
				d.Pos, d.Path = toPos(g.Pos()), "gitops.repoURL"
			}
		}
		if p.Warning {
			warnings = append(warnings, d)
		} else {
			errs = append(errs, d)
		}
	}
	return errs, warnings
}

// decodePartial decodes the fields of an environment the schema accepted;
// refused or missing ones stay zero, which model.Validate reads as unknown.
func decodePartial(v cue.Value) model.Environment {
	var e model.Environment
	if b, err := json.Marshal(concreteParts(v)); err == nil {
		_ = json.Unmarshal(b, &e) // a mistyped field stays zero; the rest decodes
	}
	return e
}

// concreteParts is v as plain Go values, leaving out what is not concrete.
func concreteParts(v cue.Value) any {
	kind := v.IncompleteKind()
	if kind == cue.BottomKind {
		// An error below a struct makes the struct an error too; its
		// other fields can still be read.
		if _, err := v.Fields(); err == nil {
			kind = cue.StructKind
		}
	}
	switch kind {
	case cue.StructKind:
		fields, err := v.Fields()
		if err != nil {
			return nil
		}
		m := map[string]any{}
		for fields.Next() {
			sel := fields.Selector()
			if sel.LabelType() != cue.StringLabel {
				// A list with an error below reads as fields with index
				// labels (fuzzing found the panic); a list decodes as nil.
				return nil
			}
			if p := concreteParts(fields.Value()); p != nil {
				m[sel.Unquoted()] = p
			}
		}
		return m
	case cue.ListKind:
		elems, err := v.List()
		if err != nil {
			return nil
		}
		var l []any
		for elems.Next() {
			l = append(l, concreteParts(elems.Value()))
		}
		return l
	default:
		var x any
		if v.Decode(&x) != nil {
			return nil
		}
		return x
	}
}

// parseDir parses the *.cue files at the root of fsys.
func parseDir(fsys fs.FS, display string) ([]*ast.File, []Diagnostic, *rejected) {
	dirPos := model.Position{File: display, Line: 0, Col: 0}
	rej := &rejected{envs: map[string]bool{}}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, []Diagnostic{errorf(dirPos, "", "cannot read environments directory: %v", unwrapPath(err))}, rej
	}
	var files []*ast.File
	var diags []Diagnostic
	for _, ent := range entries {
		if ent.IsDir() || !strings.HasSuffix(ent.Name(), ".cue") {
			continue
		}
		name := path.Join(display, ent.Name())
		pos := model.Position{File: name, Line: 1, Col: 1}
		if bad := strings.IndexFunc(ent.Name(), unsafeInName); bad >= 0 || !utf8.ValidString(ent.Name()) {
			// The name goes into a comment header of every rendered file:
			// a newline there would start new YAML keys.
			diags = append(diags, errorf(model.Position{File: display}, "", "file name %q holds a control character (newline, tab ...) or is not UTF-8: rename it, e.g. to a name of letters, digits, '-' and '_'", ent.Name()))
			rej.unknown = true
			continue
		}
		if ent.Type()&fs.ModeSymlink != 0 {
			diags = append(diags, errorf(pos, "", "is a symbolic link: cht-gen reads only regular files inside the environments directory"))
			rej.unknown = true
			continue
		}
		if !ent.Type().IsRegular() {
			diags = append(diags, errorf(pos, "", "is not a regular file"))
			rej.unknown = true
			continue
		}
		info, err := ent.Info()
		if err == nil && info.Size() > MaxFileSize {
			diags = append(diags, errorf(pos, "", "is %d bytes: environment files are limited to %d bytes; split it or remove generated data", info.Size(), MaxFileSize))
			rej.unknown = true
			continue
		}
		src, err := fs.ReadFile(fsys, ent.Name())
		if err != nil {
			diags = append(diags, errorf(pos, "", "cannot read: %v", unwrapPath(err)))
			rej.unknown = true
			continue
		}
		if !utf8.Valid(src) {
			line, col := invalidUTF8(src)
			diags = append(diags, errorf(model.Position{File: name, Line: line, Col: col}, "", "is not valid UTF-8 text: save the file as UTF-8"))
			rej.unknown = true
			continue
		}
		f, err := parser.ParseFile(name, src, parser.ParseComments)
		if err != nil {
			diags = append(diags, fromCUE(err, nil)...)
			rej.add(f)
			continue
		}
		if pkg := f.PackageName(); pkg != PackageName {
			at := pos
			if f.Decls != nil {
				for _, d := range f.Decls {
					if p, ok := d.(*ast.Package); ok {
						at = toPos(p.Pos())
					}
				}
			}
			if pkg == "" {
				diags = append(diags, errorf(at, "", "has no package clause: start the file with `package %s`", PackageName))
			} else {
				diags = append(diags, errorf(at, "", "declares package %q: environment files must be `package %s`", pkg, PackageName))
			}
			rej.add(f)
			continue
		}
		var imp *ast.ImportSpec
		for spec := range f.ImportSpecs() {
			imp = spec
			break
		}
		if imp != nil {
			diags = append(diags, errorf(toPos(imp.Pos()), "", "imports are not supported in environment files: cht-gen unifies them with its embedded schema itself (run `cht-gen schema` for a file that makes `cue vet` work)"))
			rej.add(f)
			continue
		}
		if l := longList(f); l != nil {
			diags = append(diags, errorf(toPos(l.Pos()), "", "a list of %d elements: environment files hold short lists (at most %d); CUE takes minutes over lists of tens of thousands", len(l.Elts), MaxListLen))
			rej.add(f)
			continue
		}
		if x, n := longExpr(f); x != nil {
			diags = append(diags, errorf(toPos(x.Pos()), "", "an expression of %d terms: environment files hold short expressions (at most %d terms); CUE takes tens of seconds over sums of 200,000 terms", n, MaxExprTerms))
			rej.add(f)
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 && len(diags) == 0 {
		diags = append(diags, errorf(dirPos, "", "no *.cue files: an environments directory holds CUE files of package %s (see environments/ in the cht-gen repository)", PackageName))
	}
	return files, diags, rej
}

// MaxListLen bounds a list literal: the longest real list is a few
// CouchDB nodes or labels, and an 80,000-element list of strings (800 KB)
// kept CUE busy for more than 20 s.
const MaxListLen = 1000

// longList is the first list literal in f longer than MaxListLen.
func longList(f *ast.File) *ast.ListLit {
	var found *ast.ListLit
	ast.Walk(f, func(n ast.Node) bool {
		if l, ok := n.(*ast.ListLit); ok && len(l.Elts) > MaxListLen && found == nil {
			found = l
		}
		return found == nil
	}, nil)
	return found
}

// unsafeInName reports runes that would break a line of a rendered file's
// header: C0/C1 controls, DEL and the Unicode line and paragraph separators.
func unsafeInName(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// MaxExprTerms bounds the operands of one expression (a + b + ...): real
// files join a few strings, and a sum of 200,000 ones kept CUE busy for
// more than 20 s.
const MaxExprTerms = 1000

// longExpr is the first expression in f of more than MaxExprTerms operands,
// and its operand count.
func longExpr(f ast.Node) (ast.Expr, int) {
	var found ast.Expr
	count := 0
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		if found != nil {
			return false
		}
		b, ok := n.(*ast.BinaryExpr)
		if !ok {
			return true
		}
		// Count the chain without recursion (it is as deep as it is long),
		// then look inside its operands.
		var leaves []ast.Expr
		for stack := []ast.Expr{b}; len(stack) > 0; {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch x := x.(type) {
			case *ast.BinaryExpr:
				stack = append(stack, x.Y, x.X)
			case *ast.ParenExpr:
				stack = append(stack, x.X)
			default:
				leaves = append(leaves, x)
			}
		}
		if len(leaves) > MaxExprTerms {
			found, count = b, len(leaves)
			return false
		}
		for _, l := range leaves {
			ast.Walk(l, visit, nil)
		}
		return false
	}
	ast.Walk(f, visit, nil)
	return found, count
}

func invalidUTF8(src []byte) (line, col int) {
	line, col = 1, 1
	for len(src) > 0 {
		r, size := utf8.DecodeRune(src)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		src = src[size:]
	}
	return line, col
}

// unwrapPath drops the PathError wrapper whose path is relative to fsys.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// schemaDefaults reads the defaults renderers need from #Environment.
func schemaDefaults(schema cue.Value) (*model.Defaults, error) {
	env := schema.LookupPath(cue.ParsePath("#Environment"))
	var d model.Defaults
	var err error
	for _, f := range []struct {
		path string
		to   *string
	}{
		{"builds.marketURL", &d.Builds.MarketURL},
		{"builds.server", &d.Builds.Server},
		{"couchdb.logLevel", &d.CouchDBLogLevel},
	} {
		def, ok := env.LookupPath(cue.ParsePath(f.path)).Default()
		if !ok {
			return nil, fmt.Errorf("#Environment.%s has no default", f.path)
		}
		if *f.to, err = def.String(); err != nil {
			return nil, fmt.Errorf("#Environment.%s: %w", f.path, err)
		}
	}
	return &d, nil
}

// schemaPackage builds the embedded schema package.
func schemaPackage(ctx *cue.Context) (cue.Value, error) {
	entries, err := fs.ReadDir(schema.Files, ".")
	if err != nil {
		return cue.Value{}, err
	}
	bi := build.NewContext().NewInstance("cht-gen-schema", nil)
	for _, ent := range entries {
		src, err := fs.ReadFile(schema.Files, ent.Name())
		if err != nil {
			return cue.Value{}, err
		}
		f, err := parser.ParseFile("cht-gen:cue/"+ent.Name(), src, parser.ParseComments)
		if err != nil {
			return cue.Value{}, err
		}
		if err := bi.AddSyntax(f); err != nil {
			return cue.Value{}, err
		}
	}
	v := ctx.BuildInstance(bi)
	if err := v.Err(); err != nil {
		return cue.Value{}, err
	}
	return v, nil
}

// fromCUE converts CUE errors. A position in the user's files is preferred;
// when CUE only knows the schema's position (a missing required field), the
// closest user position along the error's path is used instead. CUE reports
// a failed disjunction once per alternative; those are folded into one line
// per field ("got X, want one of A, B").
func fromCUE(err error, user *cue.Value) []Diagnostic {
	var out []Diagnostic
	for _, group := range groupByPath(err, user) {
		out = append(out, foldGroup(group)...)
	}
	return out
}

// cueError is one CUE error as a diagnostic, with CUE's message format
// and arguments for folding.
type cueError struct {
	d      Diagnostic
	format string
	args   []any
}

// groupByPath converts each CUE error and groups them by field path, in
// the order the paths first appear.
func groupByPath(err error, user *cue.Value) [][]cueError {
	var groups [][]cueError
	index := map[string]int{}
	for _, e := range cueerrors.Errors(err) {
		p := strings.TrimPrefix(strings.Join(e.Path(), "."), "#Root.")
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		pos := userPosition(e)
		if pos.File == "" && user != nil {
			pos = position(*user, p)
			if strings.HasPrefix(msg, "incomplete value") {
				msg = "required field is missing (want " + strings.TrimPrefix(msg, "incomplete value ") + ")"
			}
		}
		i, ok := index[p]
		if !ok {
			i = len(groups)
			index[p] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], cueError{Diagnostic{Pos: pos, Path: p, Message: msg}, format, args})
	}
	return groups
}

// userPosition is the first position of e outside the embedded schema.
func userPosition(e cueerrors.Error) model.Position {
	for _, tp := range cueerrors.Positions(e) {
		if tp.IsValid() && !strings.HasPrefix(tp.Filename(), "cht-gen:") {
			return toPos(tp)
		}
	}
	return model.Position{}
}

// foldGroup is the diagnostics of one field: as they are, or for a failed
// disjunction the bounds it broke, or one "got X, want one of" line.
func foldGroup(all []cueError) []Diagnostic {
	var group []cueError
	disjunction := false
	for _, r := range all {
		if strings.Contains(r.format, "errors in empty disjunction") {
			disjunction = true
			continue
		}
		group = append(group, r)
	}
	var out []Diagnostic
	if !disjunction || len(group) == 0 {
		for _, r := range group {
			out = append(out, nameHint(r.d))
		}
		return out
	}
	// Bounds say the most ("out of bound <=16"); keep only those.
	for _, r := range group {
		if strings.Contains(r.d.Message, "out of bound") || strings.HasPrefix(r.d.Message, "invalid value") {
			out = append(out, nameHint(r.d))
		}
	}
	if len(out) > 0 {
		return out
	}
	if d, ok := foldConflicts(group); ok {
		return []Diagnostic{d}
	}
	for _, r := range group {
		out = append(out, r.d)
	}
	return out
}

// foldConflicts folds "conflicting values A and B" errors: the operand
// common to all is the user's value, the others are what the schema
// allows. ok is false unless every error of group is such a conflict.
func foldConflicts(group []cueError) (d Diagnostic, ok bool) {
	count := map[string]int{}
	var operands [][2]string
	for _, r := range group {
		if strings.HasPrefix(r.format, "conflicting values %s and %s") && len(r.args) >= 2 {
			a, b := fmt.Sprint(r.args[0]), fmt.Sprint(r.args[1])
			operands = append(operands, [2]string{a, b})
			count[a]++
			if b != a {
				count[b]++
			}
		}
	}
	if len(operands) != len(group) {
		return Diagnostic{}, false
	}
	got := ""
	for v, n := range count {
		if n == len(operands) && (got == "" || v < got) {
			got = v
		}
	}
	var want []string
	for _, o := range operands {
		for _, v := range o {
			if v != got && !slices.Contains(want, v) {
				want = append(want, v)
			}
		}
	}
	sort.Strings(want)
	d = group[0].d
	d.Message = fmt.Sprintf("got %s, want one of: %s", got, strings.Join(want, ", "))
	if len(want) == 1 {
		d.Message = fmt.Sprintf("got %s, want %s", got, want[0])
	}
	return d, true
}

// nameHint explains fields whose CUE error shows only a regex.
func nameHint(d Diagnostic) Diagnostic {
	parts := splitPath(d.Path)
	if len(parts) == 2 && parts[0] == PackageName && strings.HasPrefix(d.Message, "unresolved disjunction \"kubernetes\" | \"compose\"") {
		// target is unset: the schema's `if target == ...` cannot resolve.
		d.Path += ".target"
		parts = append(parts, "target")
		d.Message = "required field is missing"
	}
	if len(parts) < 3 || parts[0] != PackageName {
		return d
	}
	field := strings.Join(parts[2:], ".")
	missing := strings.HasPrefix(d.Message, "required field is missing")
	switch {
	case field == "name":
		d.Message = fmt.Sprintf("invalid environment name %q: names must be DNS labels (a-z, 0-9 and '-', starting with a letter, at most 32 characters) because they become namespaces, folder names and compose project names", strings.Trim(parts[1], `"`))
	case field == "version" && missing:
		d.Message = "required field is missing: the CHT Core version, e.g. version: \"4.22.0\""
	case field == "version" && strings.Contains(d.Message, "out of bound"):
		d.Message = versionHint(d.Message)
	case field == "host" && missing:
		d.Message = "required field is missing: the public host name, e.g. host: \"cht.example.org\""
	case field == "host":
		d.Message = "not a host name (lower-case DNS name, no scheme or port): " + d.Message
	case field == "target" && missing:
		d.Message = "required field is missing: target: \"compose\" or \"kubernetes\""
	case field == "repoURL" && missing:
		d.Message = "required field is missing: Kubernetes environments and Compose VMs under doco-cd are deployed from Git; set `gitops: repoURL: \"https://...\"` once at the top level, or repoURL in the environment"
	}
	return d
}

// versionHint replaces CUE's "invalid value X (out of bound =~<regexp>)"
// for version: the pattern helps nobody.
func versionHint(msg string) string {
	got := "the value"
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		got = m[1]
	}
	hint := ""
	if m := majorMinor.FindStringSubmatch(got); m != nil {
		hint = fmt.Sprintf(" (did you mean \"%s.0\"?)", m[1])
	}
	return fmt.Sprintf("%s is not a CHT version%s: want MAJOR.MINOR.PATCH, three numbers with no leading v, spaces or build metadata, as Medic tags releases, e.g. \"5.3.1\" or \"4.22.0\" (pre-releases such as \"5.2.0-beta.1\" need channel: \"beta\"); cht-gen releases lists them", got, hint)
}

var (
	invalidValue = regexp.MustCompile(`invalid value ("[^"]*")`)
	majorMinor   = regexp.MustCompile(`^"([0-9]+\.[0-9]+)"$`)
)

// splitPath splits a CUE path at dots outside quoted labels.
func splitPath(p string) []string {
	var parts []string
	var b strings.Builder
	quoted := false
	for _, r := range p {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '.' && !quoted:
			parts = append(parts, b.String())
			b.Reset()
			continue
		}
		b.WriteRune(r)
	}
	return append(parts, b.String())
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// label writes a field name as CUE prints it in paths: quoted unless it is
// an identifier (environments."district-vm".version).
func label(s string) string {
	if identifier.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

// position is the user-file position of the longest existing prefix of p.
func position(user cue.Value, p string) model.Position {
	parts := splitPath(p)
	sel := make([]cue.Selector, len(parts))
	for i, s := range parts {
		s = strings.Trim(s, `"`)
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			sel[i] = cue.Index(n)
		} else {
			sel[i] = cue.Str(s)
		}
	}
	for n := len(sel); n > 0; n-- {
		v := user.LookupPath(cue.MakePath(sel[:n]...))
		if !v.Exists() {
			continue
		}
		if tp := v.Pos(); tp.IsValid() {
			return toPos(tp)
		}
	}
	return model.Position{}
}

func toPos(tp token.Pos) model.Position {
	return model.Position{File: tp.Filename(), Line: tp.Line(), Col: tp.Column()}
}

// UpgradePaths returns the schema's upgrade path facts (#UpgradePaths).
func UpgradePaths() ([]model.UpgradePath, error) {
	v, err := schemaPackage(cuecontext.New())
	if err != nil {
		return nil, err
	}
	var out []model.UpgradePath
	if err := v.LookupPath(cue.ParsePath("#UpgradePaths")).Decode(&out); err != nil {
		return nil, fmt.Errorf("schema #UpgradePaths: %w", err)
	}
	return out, nil
}
