package gitops

import (
	"bytes"
	"fmt"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/cht-gen/cht-gen/generator/kustomize"
)

var fluxScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{kustomizev1.AddToScheme, sourcev1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

var strictFlux = json.NewSerializerWithOptions(json.DefaultMetaFactory, fluxScheme, fluxScheme, json.SerializerOptions{Yaml: true, Strict: true})

// VerifyFlux decodes every object of a built clusters/<cluster> folder
// strictly into Flux's own API types (unknown or mis-cased fields are
// errors) and checks each Kustomization's source is in the folder or one
// of external (namespace/name, see ExternalSources).
func VerifyFlux(stream []byte, external map[string]bool) error {
	docs, err := kustomize.SplitYAML(stream)
	if err != nil {
		return err
	}
	repos := map[string]bool{}
	var ks []*kustomizev1.Kustomization
	for _, doc := range docs {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, gvk, err := strictFlux.Decode(doc, nil, nil)
		if err != nil {
			var meta struct {
				Kind     string
				Metadata struct{ Name string }
			}
			_ = yaml.Unmarshal(doc, &meta)
			return fmt.Errorf("%s %s: %w", meta.Kind, meta.Metadata.Name, err)
		}
		switch o := obj.(type) {
		case *sourcev1.GitRepository:
			repos[o.Namespace+"/"+o.Name] = true
		case *kustomizev1.Kustomization:
			ks = append(ks, o)
		default:
			return fmt.Errorf("unexpected %s in a Flux folder", gvk.Kind)
		}
	}
	for _, k := range ks {
		ns := k.Spec.SourceRef.Namespace
		if ns == "" {
			ns = k.Namespace
		}
		key := ns + "/" + k.Spec.SourceRef.Name
		if k.Spec.SourceRef.Kind != sourcev1.GitRepositoryKind || !repos[key] && !external[key] {
			//lint:ignore ST1005 the message starts with a Kubernetes kind, a proper noun
			return fmt.Errorf("Kustomization %s reads %s %s, which is not in the folder", k.Name, k.Spec.SourceRef.Kind, k.Spec.SourceRef.Name)
		}
	}
	return nil
}
