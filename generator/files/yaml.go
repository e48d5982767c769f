package files

import (
	"bytes"
	"fmt"
	"sort"

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
	}
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
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
