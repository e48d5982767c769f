package kustomize

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
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
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/cht-gen/cht-gen/generator/files"
)

// krusty is not safe for concurrent use (kustomize#3659): one build at a time.
var buildMu sync.Mutex

// Build runs kustomize (krusty, ordered like the CLI) on dir inside set,
// on an in-memory filesystem, and returns the YAML stream.
func Build(set files.Set, dir string) (out []byte, err error) {
	fs := filesys.MakeFsInMemory()
	// Only what dir can reference: itself, the base and the components.
	// Copying the whole set made N overlays cost N² file writes.
	for p := range set {
		if !strings.HasSuffix(p, ".yaml") || !(strings.HasPrefix(p, dir+"/") || strings.HasPrefix(p, BaseDir+"/") || strings.HasPrefix(p, Root+"/components/")) {
			continue
		}
		if err := fs.WriteFile("/"+p, set[p]); err != nil {
			return nil, err
		}
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize build %s panicked: %v", dir, r)
		}
	}()
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	rm, err := krusty.MakeKustomizer(opts).Run(fs, "/"+dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return rm.AsYaml()
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

var strict = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})

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
	var deployments []*appsv1.Deployment
	var services []*corev1.Service
	configMaps := map[string]map[string]string{}
	keys := map[string]bool{}
	for _, k := range secretKeys {
		keys[k] = true
	}
	for _, doc := range docs {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var meta struct {
			Kind     string
			Metadata struct{ Name string }
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
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
						return fmt.Errorf("Deployment %s: %s reads ConfigMap %s key %s, which the overlay does not provide", d.Name, env.Name, r.Name, r.Key)
					}
				}
				if r := env.ValueFrom.SecretKeyRef; r != nil && (r.Name != secretName || !keys[r.Key]) {
					return fmt.Errorf("Deployment %s: %s reads Secret %s key %s, which is not the credentials Secret %s the README asks for", d.Name, env.Name, r.Name, r.Key, secretName)
				}
			}
		}
	}
	return nil
}
