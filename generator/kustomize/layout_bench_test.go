package kustomize_test

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/internal/synth"
)

// BenchmarkOverlayLayout prices the repository layout, not cht-gen's code:
// one krusty build of each Kubernetes overlay of the 100-environment fleet
// (make bench's), as rendered (shared base and components, five
// strategic-merge patches) and in two layouts cht-gen does not render:
// the same overlays without their patches (what the patches cost; the
// result differs), and flattened, every object already patched in one
// file under the overlay's namespace and labels (the same objects as
// rendered, checked below). README, Performance, reads these numbers.
//
//	go test -run '^$' -bench OverlayLayout -benchtime 3x ./generator/kustomize/
func BenchmarkOverlayLayout(b *testing.B) {
	res, err := load.Load(synth.Environments(100), "environments")
	if err != nil {
		b.Fatal(err)
	}
	set, err := kustomize.RenderShared("0.32", res.Environments)
	if err != nil {
		b.Fatal(err)
	}
	var rendered []string
	for i := range res.Environments {
		e := &res.Environments[i]
		if e.Target != model.Kubernetes {
			continue
		}
		o, err := kustomize.RenderOverlay(e, "environments/x.cue")
		if err != nil {
			b.Fatal(err)
		}
		if err := set.Merge(o); err != nil {
			b.Fatal(err)
		}
		rendered = append(rendered, kustomize.OverlayDir(e))
	}
	var unpatched, flattened []string
	for _, dir := range rendered {
		unpatched = append(unpatched, variant(b, set, dir, "-unpatched", "patches"))
		flattened = append(flattened, flatten(b, set, dir))
	}
	for _, layout := range []struct {
		name string
		dirs []string
	}{{"rendered", rendered}, {"unpatched", unpatched}, {"flattened", flattened}} {
		ix := kustomize.NewIndex(set)
		b.Run(layout.name, func(b *testing.B) {
			for range b.N {
				for _, dir := range layout.dirs {
					if _, err := ix.BuildJSON(dir); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(layout.dirs))/1e6, "ms/overlay")
		})
	}
}

// variant copies overlay dir to dir+suffix in set, without the
// kustomization's fields drop, and returns the copy's folder.
func variant(b *testing.B, set files.Set, dir, suffix string, drop ...string) string {
	k, err := yaml.Parse(string(set[dir+"/kustomization.yaml"]))
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range drop {
		if err := k.PipeE(yaml.Clear(f)); err != nil {
			b.Fatal(err)
		}
	}
	for p, data := range set {
		if strings.HasPrefix(p, dir+"/") {
			set[dir+suffix+strings.TrimPrefix(p, dir)] = data
		}
	}
	set[dir+suffix+"/kustomization.yaml"] = []byte(k.MustString())
	return dir + suffix
}

// flatten builds dir without its namespace and labels, and writes the
// result as the one resource of an overlay that adds them back.
func flatten(b *testing.B, set files.Set, dir string) string {
	k, err := yaml.Parse(string(set[dir+"/kustomization.yaml"]))
	if err != nil {
		b.Fatal(err)
	}
	namespace, err := k.Pipe(yaml.Lookup("namespace"))
	if err != nil {
		b.Fatal(err)
	}
	labels, err := k.Pipe(yaml.Lookup("labels"))
	if err != nil {
		b.Fatal(err)
	}
	objects, err := kustomize.Build(set, variant(b, set, dir, "-prebuilt", "namespace", "labels"))
	if err != nil {
		b.Fatal(err)
	}
	flat := dir + "-flattened"
	set[flat+"/objects.yaml"] = objects
	set[flat+"/kustomization.yaml"] = []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
		"namespace: " + namespace.YNode().Value + "\nlabels:\n" + labels.MustString() + "resources:\n- objects.yaml\n")
	want, err := kustomize.Build(set, dir)
	if err != nil {
		b.Fatal(err)
	}
	if got, err := kustomize.Build(set, flat); err != nil || string(got) != string(want) {
		b.Fatalf("%s flattened builds other objects (%v)", dir, err)
	}
	return flat
}
