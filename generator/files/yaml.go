package files

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Map is a YAML mapping that keeps its key order, so rendered files read
// like Medic's (image first, networks last) and are byte-stable.
type Map []KV

// KV is one key of a Map: {key string, value}. An array rather than a
// struct keeps the many literals short ({"image", img}) and vet-clean.
type KV [2]any

// Quoted is a string always written in double quotes (ports, versions,
// values with ${...} that must stay strings).
type Quoted string

// MarshalYAML builds the ordered node.
func (m Map) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, kv := range m {
		key, ok := kv[0].(string)
		if !ok {
			return nil, fmt.Errorf("map key %v is not a string", kv[0])
		}
		v, err := toNode(kv[1])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	}
	return n, nil
}

// SortedMap turns a Go map into a Map with sorted keys.
func SortedMap[V any](in map[string]V) Map {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := make(Map, 0, len(keys))
	for _, k := range keys {
		m = append(m, KV{k, in[k]})
	}
	return m
}

func toNode(v any) (*yaml.Node, error) {
	switch t := v.(type) {
	case Quoted:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(t), Style: yaml.DoubleQuotedStyle}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
	case Map:
		if t == nil {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
		}
		n, err := t.MarshalYAML()
		if err != nil {
			return nil, err
		}
		return n.(*yaml.Node), nil
	case string:
		return stringNode(t), nil
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(t)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case []string:
		return seqNode(t)
	case []any:
		return seqNode(t)
	case []Map:
		return seqNode(t)
	}
	// Node.Encode marshals to text and parses it back: correct for
	// anything, but it was a tenth of a render, so it is the fallback.
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
}

func seqNode[T any](items []T) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i, item := range items {
		c, err := toNode(item)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		n.Content = append(n.Content, c)
	}
	return n, nil
}

// YAML 1.1 readers take these plain scalars for booleans and sexagesimal
// numbers; yaml.v3 quotes them when it marshals a string but not when it
// writes a !!str node, so stringNode quotes them the same way.
var (
	oldBools = map[string]bool{"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "n": true, "N": true, "no": true, "No": true, "NO": true, "on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true}
	base60   = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)
)

// stringNode is what Node.Encode makes of a string: plain unless it would
// read back as another type (the encoder then double-quotes a !!str node).
func stringNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if oldBools[s] || base60.MatchString(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// YAML encodes documents as kyaml does (two spaces, compact sequences); several documents are
// separated by ---.
func YAML(docs ...any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
