package importer

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
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

func parseValues(file string, data []byte) (*values, error) {
	if len(data) > maxValuesSize {
		return nil, fmt.Errorf("%s: over %d bytes: a Helm values file is a few KiB", file, maxValuesSize)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: a Helm values file is a YAML mapping (as `helm get values RELEASE -n NS` prints)", file, doc.Line)
	}
	return &values{file: file, root: doc.Content[0], read: map[*yaml.Node]bool{}}, nil
}

// lookup finds the node at path, marking every key on the way as read.
func (v *values) lookup(path ...string) *yaml.Node {
	n := v.root
	for _, k := range path {
		if n == nil || n.Kind != yaml.MappingNode {
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
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	return n
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
		return scalar{pos: v.pos(n)}, false
	}
	return scalar{text: n.Value, pos: v.pos(n), set: true}, true
}

// truthy reads a boolean the way Medic's templates test it
// (toString ... "true"): true or "true".
func (v *values) truthy(path ...string) (bool, scalar) {
	s, ok := v.str(path...)
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
