package kustomize

import (
	"bufio"
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/files"
)

// kyaml parses its built-in OpenAPI schema lazily into a package global on
// the first build; a second build reading that global while the first
// writes it is a data race (kustomize#3659). Parsing it once, up front,
// leaves builds only reading it (krusty's SetSchema with no openapi field
// changes nothing), so builds can run in parallel.
var schemaOnce sync.Once

func parseSchema() { schemaOnce.Do(func() { openapi.Schema() }) }

// Prepare parses kyaml's OpenAPI schema in the background (about 25 ms of
// one core), so that a caller about to spend that long on something else
// (loading the environments, which CUE does on one core) does not have
// the first build wait for it.
func Prepare() { go parseSchema() }

// Build runs kustomize (krusty, ordered like the CLI) on dir inside set,
// on an in-memory filesystem, and returns the YAML stream.
func Build(set files.Set, dir string) ([]byte, error) { return NewIndex(set).Build(dir) }

func buildYAML(set files.Set, dir string, inputs []string) ([]byte, error) {
	rm, err := build(set, dir, inputs)
	if err != nil {
		return nil, err
	}
	return rm.AsYaml()
}

// BuildJSON builds dir like Build and returns each object as JSON, taken
// straight from kyaml's nodes: kustomize's own AsYaml encodes every object
// to YAML, parses it, encodes JSON and converts that back to YAML, which
// was a third of a render's time for objects that are only decoded again.
func BuildJSON(set files.Set, dir string) ([][]byte, error) { return NewIndex(set).BuildJSON(dir) }

func buildJSON(set files.Set, dir string, inputs []string) ([][]byte, error) {
	rm, err := build(set, dir, inputs)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, r := range rm.Resources() {
		m, err := r.Map()
		if err != nil {
			return nil, err
		}
		doc, err := stdjson.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
	return out, nil
}

// Inputs lists, sorted, the files of set a build of dir reads: every
// file it can reference (dir itself, the bases and the components).
// Callers that remember verified builds key them on these files' bytes.
func Inputs(set files.Set, dir string) []string { return NewIndex(set).Inputs(dir) }

// readByEveryBuild reports whether every build can read p: the bases and components.
func readByEveryBuild(p string) bool {
	return strings.HasPrefix(p, BaseDir+"/") || strings.HasPrefix(p, Base5Dir+"/") || strings.HasPrefix(p, Root+"/components/")
}

// Index answers Inputs, Build and BuildJSON for many dirs of one set,
// which it sorts once: scanning a 1000-environment set for each of its
// 800 overlays cost more than hashing their bytes. The set must not
// change while the Index is used.
type Index struct {
	set    files.Set
	paths  []string // the set's YAML files, sorted
	shared []string // those every build reads
}

// NewIndex indexes set.
func NewIndex(set files.Set) *Index {
	ix := &Index{set: set}
	for p := range set {
		if strings.HasSuffix(p, ".yaml") {
			ix.paths = append(ix.paths, p)
		}
	}
	sort.Strings(ix.paths)
	for _, p := range ix.paths {
		if readByEveryBuild(p) {
			ix.shared = append(ix.shared, p)
		}
	}
	return ix
}

// Inputs is Inputs(set, dir).
func (ix *Index) Inputs(dir string) []string {
	prefix := dir + "/"
	lo := sort.SearchStrings(ix.paths, prefix)
	hi := lo
	for hi < len(ix.paths) && strings.HasPrefix(ix.paths[hi], prefix) {
		hi++
	}
	own := ix.paths[lo:hi]
	out := make([]string, 0, len(own)+len(ix.shared))
	i, j := 0, 0
	for i < len(own) || j < len(ix.shared) {
		switch {
		case j == len(ix.shared) || (i < len(own) && own[i] < ix.shared[j]):
			out = append(out, own[i])
			i++
		case i == len(own) || ix.shared[j] < own[i]:
			out = append(out, ix.shared[j])
			j++
		default: // dir is itself shared
			out = append(out, own[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// File is the content of p in the indexed set.
func (ix *Index) File(p string) []byte { return ix.set[p] }

// Build is Build(set, dir).
func (ix *Index) Build(dir string) ([]byte, error) { return buildYAML(ix.set, dir, ix.Inputs(dir)) }

// BuildJSON is BuildJSON(set, dir).
func (ix *Index) BuildJSON(dir string) ([][]byte, error) {
	return buildJSON(ix.set, dir, ix.Inputs(dir))
}

func build(set files.Set, dir string, inputs []string) (rm resmap.ResMap, err error) {
	fs := filesys.MakeFsInMemory()
	// Only what dir can reference: copying the whole set made N overlays
	// cost N² file writes.
	for _, p := range inputs {
		if err := fs.WriteFile("/"+p, set[p]); err != nil {
			return nil, err
		}
	}
	parseSchema()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize build %s panicked: %v", dir, r)
		}
	}()
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	rm, err = krusty.MakeKustomizer(opts).Run(fs, "/"+dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return rm, nil
}

// SplitYAML splits a YAML stream into its documents.
func SplitYAML(stream []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
}

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, rbacv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

var strict = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Strict: true})

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Verify decodes every built object strictly into its k8s.io/api type
// (unknown or mis-cased fields are errors) and checks what the API server
// would not: names are DNS labels, Service selectors match a pod template,
// every configMapKeyRef names a ConfigMap and key of the build, every
// secretKeyRef names the credentials Secret and one of its keys.
func Verify(stream []byte, secretName string, secretKeys []string) error {
	docs, err := SplitYAML(stream)
	if err != nil {
		return err
	}
	var objs [][]byte
	for _, doc := range docs {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		j, err := sigsyaml.YAMLToJSONStrict(doc)
		if err != nil {
			return err
		}
		objs = append(objs, j)
	}
	return VerifyJSON(objs, secretName, secretKeys)
}

// VerifyJSON is Verify for objects already in JSON (BuildJSON).
func VerifyJSON(docs [][]byte, secretName string, secretKeys []string) error {
	var deployments []*appsv1.Deployment
	var services []*corev1.Service
	configMaps := map[string]map[string]string{}
	keys := map[string]bool{}
	for _, k := range secretKeys {
		keys[k] = true
	}
	for _, doc := range docs {
		var meta struct {
			Kind     string
			Metadata struct{ Name string }
		}
		if err := stdjson.Unmarshal(doc, &meta); err != nil {
			return err
		}
		obj, _, err := strict.Decode(doc, nil, nil)
		if err != nil {
			if runtime.IsNotRegisteredError(err) {
				continue // CRDs (ExternalSecret) are checked against their schemas elsewhere
			}
			return fmt.Errorf("%s %s: %w", meta.Kind, meta.Metadata.Name, err)
		}
		name := meta.Metadata.Name
		if meta.Kind != "PersistentVolume" && meta.Kind != "Namespace" && !dnsLabel.MatchString(name) && meta.Kind != "Role" && meta.Kind != "RoleBinding" {
			return fmt.Errorf("%s name %q is not a DNS label", meta.Kind, name)
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			deployments = append(deployments, o)
		case *corev1.Service:
			services = append(services, o)
		case *corev1.ConfigMap:
			configMaps[o.Name] = o.Data
		}
	}
	for _, s := range services {
		matched := false
		for _, d := range deployments {
			l := d.Spec.Template.Labels
			ok := len(s.Spec.Selector) > 0
			for k, v := range s.Spec.Selector {
				if l[k] != v {
					ok = false
				}
			}
			matched = matched || ok
		}
		if !matched {
			//lint:ignore ST1005 the message starts with a Kubernetes kind, a proper noun
			return fmt.Errorf("Service %s selects %v, which no Deployment's pods carry", s.Name, s.Spec.Selector)
		}
	}
	for _, d := range deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			for _, env := range c.Env {
				if env.ValueFrom == nil {
					continue
				}
				if r := env.ValueFrom.ConfigMapKeyRef; r != nil {
					data, ok := configMaps[r.Name]
					if _, has := data[r.Key]; !ok || !has {
						//lint:ignore ST1005 the message starts with a Kubernetes kind, a proper noun
						return fmt.Errorf("Deployment %s: %s reads ConfigMap %s key %s, which the overlay does not provide", d.Name, env.Name, r.Name, r.Key)
					}
				}
				if r := env.ValueFrom.SecretKeyRef; r != nil && (r.Name != secretName || !keys[r.Key]) {
					//lint:ignore ST1005 the message starts with a Kubernetes kind, a proper noun
					return fmt.Errorf("Deployment %s: %s reads Secret %s key %s, which is not the credentials Secret %s the README asks for", d.Name, env.Name, r.Name, r.Key, secretName)
				}
			}
		}
	}
	return nil
}
