package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pos is a place in an input file.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Note is something the import could not express, or a choice it made,
// about one key of the input. Notes never hold the key's value: unknown
// keys may be secrets.
type Note struct {
	Pos     Pos
	Key     string
	Message string
}

func (n Note) String() string { return fmt.Sprintf("%s: %s: %s", n.Pos, n.Key, n.Message) }

// values is a parsed values file that remembers which keys were read, so
// the rest can be reported instead of dropped silently.
type values struct {
	file     string
	root     *yaml.Node // a mapping
	defaults map[string]string
	read     map[*yaml.Node]bool
	errs     []Note // keys of the wrong kind (a list where a value belongs...)
	wrong    map[*yaml.Node]bool
	warnings []Note // keys given twice
}

// maxValuesSize bounds a values file; real ones are a few KiB.
const maxValuesSize = 1 << 20

// ReadValues reads a values file, refusing more than FromHelm accepts
// without reading it all (a device or a huge file named by mistake).
func ReadValues(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxValuesSize+1))
}

// fileError is a problem with a values file as a whole, at line (0: none).
func fileError(file string, line int, format string, args ...any) error {
	return Errors{{Pos: Pos{File: file, Line: line}, Key: "values file", Message: fmt.Sprintf(format, args...)}}
}

// yamlLine splits go.yaml.in's "yaml: line N: message".
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// helmHeader is the line `helm get values` prints above the values
// without -o yaml (with --all: COMPUTED VALUES).
var helmHeader = regexp.MustCompile(`^(USER-SUPPLIED|COMPUTED) VALUES:[ \t]*\r?\n`)

func parseValues(file string, data []byte) (*values, error) {
	if len(data) > maxValuesSize {
		return nil, fileError(file, 0, "over %d bytes: a Helm values file is a few KiB", maxValuesSize)
	}
	// The header is not YAML of the values: blanked, lines keep their numbers.
	data = helmHeader.ReplaceAll(data, []byte("\n"))
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, fileError(file, 0, "is empty: a Helm values file is a YAML mapping (as `helm get values RELEASE -n NS -o yaml` prints)")
	} else if err != nil {
		if g := yamlLine.FindStringSubmatch(err.Error()); g != nil {
			n, _ := strconv.Atoi(g[1])
			return nil, fileError(file, n, "not YAML: %s", g[2])
		}
		return nil, fileError(file, 0, "not YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fileError(file, doc.Line, "a Helm values file is a YAML mapping (as `helm get values RELEASE -n NS -o yaml` prints)")
	}
	v := &values{file: file, read: map[*yaml.Node]bool{}, wrong: map[*yaml.Node]bool{}}
	// Helm reads anchors, aliases and merge keys (<<) as YAML does: so
	// does the import, on a copy where they are spelled out.
	r := &resolver{budget: maxResolvedNodes}
	v.root = r.resolve(doc.Content[0], 0)
	if r.budget < 0 {
		return nil, fileError(file, 0, "its aliases expand to over %d values: a Helm values file is a few KiB", maxResolvedNodes)
	}
	v.warnings = duplicates(file, doc.Content[0], "")
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		v.warnings = append(v.warnings, Note{Pos: Pos{File: file, Line: next.Line}, Key: "values file",
			Message: "holds a second YAML document: Helm reads only the first, so does the import; the rest is ignored"})
	}
	return v, nil
}

// duplicates notes keys a mapping gives twice: Helm takes the last.
func duplicates(file string, n *yaml.Node, prefix string) []Note {
	var out []Note
	first := map[string]*yaml.Node{}
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if f, dup := first[k.Value]; dup && k.Tag != "!!merge" {
			out = append(out, Note{Pos: Pos{File: file, Line: k.Line, Col: k.Column}, Key: prefix + k.Value,
				Message: fmt.Sprintf("given twice (also at line %d): Helm uses this last one, so does the import", f.Line)})
		}
		first[k.Value] = k
		out = append(out, duplicates(file, val, prefix+k.Value+".")...)
	}
	return out
}

// lookup finds the node at path, marking every key on the way as read.
func (v *values) lookup(path ...string) *yaml.Node {
	n := v.root
	for i, k := range path {
		if n == nil {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			if i > 0 && !isNull(n) {
				v.wrongKind(n, strings.Join(path[:i], "."), "a mapping (Medic's charts read "+strings.Join(path[:i+1], ".")+" there)")
			}
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				v.read[n.Content[i]] = true
				next = n.Content[i+1]
			}
		}
		n = next
	}
	if isNull(n) {
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool { return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// wrongKind records that the node at key is not the kind Medic's charts
// read there, once per node.
func (v *values) wrongKind(n *yaml.Node, key, want string) {
	if v.wrong[n] {
		return
	}
	v.wrong[n] = true
	v.errs = append(v.errs, Note{Pos: v.pos(n), Key: key, Message: fmt.Sprintf("is %s, want %s", kindName(n), want)})
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

// scalar is a scalar at path: its literal text (so "0.30" stays "0.30")
// and position, or the chart default with ok and no line.
type scalar struct {
	text string
	pos  Pos
	set  bool // present in the file (not a chart default)
}

func (v *values) str(path ...string) (scalar, bool) {
	key := strings.Join(path, ".")
	n := v.lookup(path...)
	if n == nil {
		if d, ok := v.defaults[key]; ok {
			return scalar{text: d, pos: Pos{File: v.file}}, true
		}
		return scalar{}, false
	}
	if n.Kind != yaml.ScalarNode {
		v.wrongKind(n, key, "a single value")
		return scalar{pos: v.pos(n)}, false
	}
	return scalar{text: helmText(n), pos: v.pos(n), set: true}, true
}

// yaml11Bools are the plain scalars Helm's YAML parser (YAML 1.1, through
// sigs.k8s.io/yaml) reads as booleans; go.yaml.in/yaml/v3 reads only
// true/false (any case) so.
var yaml11Bools = map[string]string{
	"y": "true", "Y": "true", "yes": "true", "Yes": "true", "YES": "true", "on": "true", "On": "true", "ON": "true",
	"n": "false", "N": "false", "no": "false", "No": "false", "NO": "false", "off": "false", "Off": "false", "OFF": "false",
}

// helmText is a scalar as Medic's templates print it (toString): a
// boolean is "true" or "false" however the file spells it.
func helmText(n *yaml.Node) string {
	switch {
	case n.Tag == "!!bool":
		return strings.ToLower(n.Value)
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle|yaml.TaggedStyle) == 0 && yaml11Bools[n.Value] != "":
		return yaml11Bools[n.Value]
	}
	return n.Value
}

// truthy reads a boolean the way Medic's templates test it
// (toString ... "true"): true (yes, on... as Helm reads YAML) or the
// string "true". Any other value is an error: the templates test these
// keys both as text and for truth, which disagree on it.
func (v *values) truthy(path ...string) (bool, scalar) {
	s, ok := v.str(path...)
	if ok && s.set && s.text != "true" && s.text != "false" {
		v.errs = append(v.errs, Note{Pos: s.pos, Key: strings.Join(path, "."), Message: fmt.Sprintf("is %q, want true or false", s.text)})
	}
	return ok && s.text == "true", s
}

func (v *values) pos(n *yaml.Node) Pos { return Pos{File: v.file, Line: n.Line, Col: n.Column} }

// has reports whether path is in the file (marking it read).
func (v *values) has(path ...string) bool { return v.lookup(path...) != nil }

// unread lists the leaf keys nobody read, in file order.
func (v *values) unread() []leaf {
	var out []leaf
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := prefix + k.Value
			if val.Kind == yaml.MappingNode && len(val.Content) > 0 {
				walk(val, key+".")
				continue
			}
			if !v.read[k] {
				out = append(out, leaf{key: key, pos: v.pos(k)})
			}
		}
	}
	walk(v.root, "")
	sort.SliceStable(out, func(i, j int) bool { return out[i].pos.Line < out[j].pos.Line })
	return out
}

type leaf struct {
	key string
	pos Pos
}

// maxAliasDepth and maxResolvedNodes bound alias expansion (a "billion
// laughs" file nests aliases of aliases).
const (
	maxAliasDepth    = 32
	maxResolvedNodes = 100000
)

type resolver struct{ budget int }

// resolve is a copy of n with aliases replaced by what they name and
// merge keys (<<) merged as YAML specifies: keys of the mapping itself
// win over merged ones, earlier merged mappings over later ones.
func (r *resolver) resolve(n *yaml.Node, depth int) *yaml.Node {
	if r.budget--; r.budget < 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil && depth < maxAliasDepth {
		return r.resolve(n.Alias, depth+1)
	}
	c := *n
	c.Content = nil
	switch n.Kind {
	case yaml.SequenceNode:
		for _, e := range n.Content {
			c.Content = append(c.Content, r.resolve(e, depth))
		}
	case yaml.MappingNode:
		var merged [][2]*yaml.Node
		own := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := *n.Content[i], r.resolve(n.Content[i+1], depth)
			if k.Tag == "!!merge" {
				merged = append(merged, mergeSources(val)...)
				continue
			}
			own[k.Value] = true
			c.Content = append(c.Content, &k, val)
		}
		for _, kv := range merged {
			if !own[kv[0].Value] {
				own[kv[0].Value] = true
				c.Content = append(c.Content, kv[0], kv[1])
			}
		}
	}
	return &c
}

// mergeSources are the key/value pairs a merge key's value brings: a
// mapping, or a list of mappings (the first wins).
func mergeSources(val *yaml.Node) [][2]*yaml.Node {
	var maps []*yaml.Node
	switch val.Kind {
	case yaml.MappingNode:
		maps = []*yaml.Node{val}
	case yaml.SequenceNode:
		maps = val.Content
	}
	var out [][2]*yaml.Node
	for _, m := range maps {
		for i := 0; m.Kind == yaml.MappingNode && i+1 < len(m.Content); i += 2 {
			out = append(out, [2]*yaml.Node{m.Content[i], m.Content[i+1]})
		}
	}
	return out
}
