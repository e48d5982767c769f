package generator

import (
	"encoding/json"
	"fmt"

	"github.com/cht-gen/cht-gen/generator/handover"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/model"
)

// Handover plans e's handover (generator/handover). A Kubernetes plan keeps
// exactly what e's overlay builds to, so the overlay is built here.
func Handover(e *model.Environment, o handover.Options) (handover.Plan, error) {
	if e.Target == model.Kubernetes {
		objs, err := overlayObjects(e)
		if err != nil {
			return handover.Plan{}, err
		}
		o.Kubernetes.Overlay = objs
	}
	return handover.For(e, o)
}

// overlayObjects are the objects e's overlay builds to.
func overlayObjects(e *model.Environment) ([]handover.Object, error) {
	docs, err := kustomize.BuildEnvironment(e)
	if err != nil {
		return nil, fmt.Errorf("build overlay of %s: %w", e.Name, err)
	}
	out := make([]handover.Object, 0, len(docs))
	for _, d := range docs {
		var o struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(d, &o); err != nil {
			return nil, err
		}
		out = append(out, handover.Object{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Metadata.Name})
	}
	return out, nil
}
