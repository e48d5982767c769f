package diff

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/gitops"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/load"
)

// fleet renders a Kubernetes tenant (Flux) and a Compose VM at version v,
// with the renderers cht-gen uses, into one tree.
func fleet(t *testing.T, v string) files.Set { return fleetOf(t, v, 1) }

// fleetOf is fleet with nodes CouchDB nodes in each environment.
func fleetOf(t *testing.T, v string, nodes int) files.Set {
	t.Helper()
	src := `package environments
gitops: repoURL: "https://github.com/x/y"
environments: prod: {target: "kubernetes", version: "` + v + `", host: "cht.example.org", cluster: "moh", gitops: "flux", ingress: provider: "nginx", couchdb: nodes: ` + fmt.Sprint(nodes) + `}
environments: vm: {target: "compose", version: "` + v + `", host: "vm.example.org", couchdb: nodes: ` + fmt.Sprint(nodes) + `}
`
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(src)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	envs := res.Environments
	var k8s = envs[:0:0]
	set := files.Set{}
	for i := range envs {
		e := &envs[i]
		var part files.Set
		if e.Target == "compose" {
			part, err = compose.Render(e, "envs/a.cue")
		} else {
			k8s = append(k8s, *e)
			part, err = kustomize.RenderOverlay(e, "envs/a.cue")
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := set.Merge(part); err != nil {
			t.Fatal(err)
		}
	}
	for _, render := range []func() (files.Set, error){
		func() (files.Set, error) { return kustomize.RenderShared("0.32", k8s) },
		func() (files.Set, error) { return gitops.Render(k8s) },
	} {
		part, err := render()
		if err != nil {
			t.Fatal(err)
		}
		if err := set.Merge(part); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

// Build makes one unit per overlay, per reconciler folder and per Compose
// folder, each fully built: base and components only through overlays.
func TestBuild_OneUnitPerEnvironmentAndReconcilerFolder(t *testing.T) {
	units, err := Build(context.Background(), fleet(t, "4.22.0"))
	if err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range units {
			if !yield(n) {
				return
			}
		}
	})
	if want := []string{gitops.FluxDir + "/moh", "prod", "vm"}; !slices.Equal(names, want) {
		t.Fatalf("units %v, want %v", names, want)
	}
	api, ok := units["prod"].Objects["Deployment/cht-api"]
	if !ok || api.Group != "api" || api.Images["cht-api"] != "public.ecr.aws/medic/cht-api:4.22.0" {
		t.Errorf("prod Deployment/cht-api: %+v (present %v)", api, ok)
	}
	if !strings.Contains(api.YAML, "namespace: cht-prod") {
		t.Errorf("prod's objects are not built through the overlay:\n%s", api.YAML)
	}
	vmAPI, ok := units["vm"].Objects["service/api"]
	if !ok || vmAPI.Images["api"] != "public.ecr.aws/medic/cht-api:4.22.0" {
		t.Errorf("vm service/api: %+v (present %v)", vmAPI, ok)
	}
	if _, ok := units["vm"].Objects["upgrade-service/service/cht-upgrade-service"]; !ok {
		t.Errorf("vm: the upgrade service project is not loaded: %v", slices.Sorted(func(yield func(string) bool) {
			for k := range units["vm"].Objects {
				if !yield(k) {
					return
				}
			}
		}))
	}
}

// A 4.x -> 5.x move, built on both sides: nouveau appears on both
// targets (in the CouchDB pod on Kubernetes, 5.1+), saying where it writes
// (the data-affecting part a reviewer must see: CouchDB's claim and its
// subPath; the host folder beside CouchDB's data), Compose's healthcheck
// leaves cht-core.yml (5.x), every CHT image moves, and the reconciler
// folder does not change.
func TestCompare_FourToFiveOnRenderedTrees(t *testing.T) {
	old, err := Build(context.Background(), fleet(t, "4.22.0"))
	if err != nil {
		t.Fatal(err)
	}
	new, err := Build(context.Background(), fleet(t, "5.2.0"))
	if err != nil {
		t.Fatal(err)
	}
	changes := Compare(old, new, "HEAD", "working tree")
	summary := map[string]Change{}
	for _, c := range changes {
		summary[c.Name] = c
	}
	for name, want := range map[string][]string{
		gitops.FluxDir + "/moh": {"unchanged"},
		"prod": {"+ nouveau (Service nouveau); + container cht-couchdb-nouveau in Deployment cht-couchdb (data: claim couchdb-claim0, subPath \"data\", at /data/nouveau); ",
			"cht-api, cht-couchdb, ", "image 4.22.0 -> 5.2.0"},
		"vm": {"+ service nouveau (data: /srv/cht/vm/srv/nouveau at /data/nouveau); - service healthcheck; ", "api, couchdb, ", "image 4.22.0 -> 5.2.0"},
	} {
		for _, w := range want {
			if !strings.Contains(summary[name].Summary, w) {
				t.Errorf("%s: summary %q does not say %q", name, summary[name].Summary, w)
			}
		}
	}
	prod := summary["prod"]
	if !strings.Contains(prod.Diff, "--- HEAD: prod: Deployment/cht-api\n+++ working tree: prod: Deployment/cht-api\n") {
		t.Errorf("prod's unified diff is not labelled per side and object:\n%.600s", prod.Diff)
	}
	if !slices.IsSortedFunc(prod.Images, func(a, b ImageChange) int {
		return strings.Compare(a.Object+"\x00"+a.Container, b.Object+"\x00"+b.Container)
	}) || len(prod.Images) == 0 {
		t.Errorf("image changes not sorted or empty: %+v", prod.Images)
	}
	if summary[gitops.FluxDir+"/moh"].Diff != "" {
		t.Errorf("an unchanged unit has a diff:\n%s", summary[gitops.FluxDir+"/moh"].Diff)
	}
}

// 5.2 -> 5.3 on a three-node cluster: the summary a reviewer reads (diff,
// bump's pull request) names a nouveau container added to every other
// node's pod with the claim its indexes live on, the Services nouveau-N
// that appear and the Service nouveau that goes; the Compose cluster keeps
// its one nouveau (Medic's Compose files did not change).
func TestCompare_FiveTwoToFiveThreeCluster(t *testing.T) {
	old, err := Build(context.Background(), fleetOf(t, "5.2.0", 3))
	if err != nil {
		t.Fatal(err)
	}
	new, err := Build(context.Background(), fleetOf(t, "5.3.0", 3))
	if err != nil {
		t.Fatal(err)
	}
	summary := map[string]string{}
	for _, c := range Compare(old, new, "HEAD", "working tree") {
		summary[c.Name] = c.Summary
	}
	prod := summary["prod"]
	for _, w := range []string{
		"+ nouveau-1 (Service nouveau-1)", "+ nouveau-2 (Service nouveau-2)", "+ nouveau-3 (Service nouveau-3)", "- nouveau (Service nouveau)",
		"+ container cht-couchdb-nouveau in Deployment cht-couchdb-2 (data: claim couchdb-2-claim0, subPath \"data\", at /data/nouveau)",
		"+ container cht-couchdb-nouveau in Deployment cht-couchdb-3 (data: claim couchdb-3-claim0, subPath \"data\", at /data/nouveau)",
		"image 5.2.0 -> 5.3.0",
	} {
		if !strings.Contains(prod, w) {
			t.Errorf("prod: summary %q does not say %q", prod, w)
		}
	}
	if strings.Contains(prod, "in Deployment cht-couchdb-1 ") {
		t.Errorf("prod: node 1 already ran nouveau: %q", prod)
	}
	if vm := summary["vm"]; strings.Contains(vm, "nouveau (") || strings.Contains(vm, "+ service") {
		t.Errorf("vm: the Compose cluster changes more than images: %q", vm)
	}
}

// Units only on one side are new or removed, and Compare lists every unit
// of both sides once, sorted.
func TestCompare_NewAndRemovedUnits(t *testing.T) {
	obj := Object{Kind: "Service", Name: "api", YAML: "kind: Service\n"}
	one := &Unit{Objects: map[string]Object{"Service/api": obj}}
	two := &Unit{Objects: map[string]Object{"Service/api": obj, "Service/b": {Kind: "Service", Name: "b", YAML: "b\n"}}}
	changes := Compare(map[string]*Unit{"b-old": two, "same": one}, map[string]*Unit{"a-new": one, "same": one}, "a", "b")
	var got []string
	for _, c := range changes {
		got = append(got, c.Name+": "+c.Summary)
	}
	want := []string{"a-new: new (1 objects)", "b-old: removed (2 objects)", "same: unchanged"}
	if !slices.Equal(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
	if changes[0].Added != 1 || changes[1].Removed != 2 || !strings.Contains(changes[1].Diff, "--- a: b-old: Service/b") {
		t.Errorf("counts or diff: %+v", changes[:2])
	}
}

// An image change is shortened to the tags only when the image name stays.
func TestImageChange(t *testing.T) {
	for _, tc := range []struct{ old, new, want string }{
		{"public.ecr.aws/medic/cht-api:4.22.0", "public.ecr.aws/medic/cht-api:5.2.0", "4.22.0 -> 5.2.0"},
		{"public.ecr.aws/s5s3h4s7/cht-api:4.1.0-4.1.0", "public.ecr.aws/medic/cht-api:4.2.0", "public.ecr.aws/s5s3h4s7/cht-api:4.1.0-4.1.0 -> public.ecr.aws/medic/cht-api:4.2.0"},
		{"registry:5000/cht-api", "registry:5000/cht-api:5.2.0", "registry:5000/cht-api -> registry:5000/cht-api:5.2.0"},
		{"registry:5000/cht-api:4.22.0", "registry:5000/cht-api:5.2.0", "4.22.0 -> 5.2.0"},
	} {
		if got := imageChange(tc.old, tc.new); got != tc.want {
			t.Errorf("imageChange(%s, %s) = %q, want %q", tc.old, tc.new, got, tc.want)
		}
	}
}

// BuildPair builds only the units whose inputs differ; Compare of its
// result is Compare of two full builds. A unit identical on both sides is
// not built at all: one spoiled the same way on both sides still passes,
// and spoiled on one side fails.
func TestBuildPair_BuildsOnlyWhatDiffers(t *testing.T) {
	ctx := context.Background()
	old, new := fleet(t, "4.22.0"), fleet(t, "5.2.0")
	a, b, err := BuildPair(ctx, old, new)
	if err != nil {
		t.Fatal(err)
	}
	fullA, _ := Build(ctx, old)
	fullB, _ := Build(ctx, new)
	got, want := Compare(a, b, "HEAD", "working tree"), Compare(fullA, fullB, "HEAD", "working tree")
	if !slices.EqualFunc(got, want, func(x, y Change) bool { return x.Name == y.Name && x.Summary == y.Summary && x.Diff == y.Diff }) {
		t.Errorf("BuildPair compares differently:\n got  %+v\n want %+v", got, want)
	}

	// Within 4.x, the reconciler folder and the base it may read stay.
	old, new = fleet(t, "4.21.1"), fleet(t, "4.22.0")
	if a, b, err = BuildPair(ctx, old, new); err != nil {
		t.Fatal(err)
	}
	if u := a[gitops.FluxDir+"/moh"]; u == nil || u != b[gitops.FluxDir+"/moh"] || len(u.Objects) != 0 {
		t.Errorf("the unchanged reconciler folder was built: %+v", u)
	}
	if len(a["prod"].Objects) == 0 || len(b["vm"].Objects) == 0 {
		t.Error("the environments that changed were not built")
	}

	reconciler := gitops.FluxDir + "/moh/kustomization.yaml"
	spoil := func(s files.Set) files.Set {
		out := files.Set{}
		for p, c := range s {
			out[p] = c
		}
		out[reconciler] = []byte("resources: [missing.yaml]\n")
		return out
	}
	if _, _, err := BuildPair(ctx, spoil(old), spoil(new)); err != nil {
		t.Errorf("a unit identical on both sides was built: %v", err)
	}
	if _, _, err := BuildPair(ctx, old, spoil(new)); err == nil {
		t.Error("a unit that differs was not built")
	}
}
