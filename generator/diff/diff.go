// Package diff compares two rendered trees the way a reviewer reads them:
// per environment, the fully built manifests (kustomize build output, the
// loaded Compose project), with a one-line summary of what changes.
package diff

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/gitops"
	"github.com/cht-gen/cht-gen/generator/kustomize"
)

// Unit is one thing a reviewer compares: an environment or a cluster's
// reconciler folder, built.
type Unit struct {
	Name    string // "prod", or "clusters/moh-eks"
	Objects map[string]Object
	// Compose: a Compose environment folder; Agent: what deploys it on the
	// VM when the tree is merged ("doco-cd", or "" for the manual flow).
	Compose bool
	Agent   string
}

// Object is one built object (or Compose service).
type Object struct {
	Kind, Name string // "Deployment", "cht-api"; Compose: "service", "api"
	// Group is the CHT service the object belongs to (the cht.service
	// label Medic's chart sets); empty when it has none.
	Group  string
	YAML   string
	Images map[string]string // container or service name -> image
	// Data is where a container or service keeps data that outlives it
	// (Compose host folders; Kubernetes claims and subPaths), so a summary
	// says where what appears writes: "claim couchdb-claim0, subPath data".
	Data map[string]string
}

// Build builds every unit of a rendered tree.
func Build(ctx context.Context, set files.Set) (map[string]*Unit, error) {
	ix := kustomize.NewIndex(set)
	out := map[string]*Unit{}
	for name, in := range unitsOf(set, ix) {
		u, err := in.build(ctx, set, ix)
		if err != nil {
			return nil, err
		}
		out[name] = u
	}
	return out, nil
}

// BuildPair builds the units of two trees for Compare. A unit whose
// inputs are byte for byte the same in both builds to the same objects,
// so it is not built: both maps hold one empty Unit for it, which Compare
// reports unchanged. (A bump of one environment of a thousand builds a
// handful of units, not two thousand.)
func BuildPair(ctx context.Context, a, b files.Set) (ua, ub map[string]*Unit, err error) {
	ixA, ixB := kustomize.NewIndex(a), kustomize.NewIndex(b)
	inA, inB := unitsOf(a, ixA), unitsOf(b, ixB)
	ua, ub = map[string]*Unit{}, map[string]*Unit{}
	for name, x := range inA {
		if y, ok := inB[name]; ok && x.same(a, y, b) {
			ua[name] = &Unit{Name: name, Objects: map[string]Object{}, Compose: x.compose}
			ub[name] = ua[name]
			continue
		}
		if ua[name], err = x.build(ctx, a, ixA); err != nil {
			return nil, nil, err
		}
	}
	for name, y := range inB {
		if ub[name] != nil {
			continue
		}
		if ub[name], err = y.build(ctx, b, ixB); err != nil {
			return nil, nil, err
		}
	}
	return ua, ub, nil
}

// unitInput is what one unit is built from.
type unitInput struct {
	name, dir string
	compose   bool
	inputs    []string // the files the build reads, sorted
}

// unitsOf lists the units of a rendered tree: each overlay and reconciler
// folder (the base and components are seen through the overlays) and each
// Compose environment folder.
func unitsOf(set files.Set, ix *kustomize.Index) map[string]unitInput {
	out := map[string]unitInput{}
	for _, dir := range set.Dirs() {
		switch {
		case strings.HasPrefix(dir, kustomize.OverlaysDir+"/"):
			out[path.Base(dir)] = unitInput{name: path.Base(dir), dir: dir, inputs: ix.Inputs(dir)}
		case strings.HasPrefix(dir, gitops.FluxDir+"/"), strings.HasPrefix(dir, gitops.ArgoCDDir+"/"):
			out[dir] = unitInput{name: dir, dir: dir, inputs: ix.Inputs(dir)}
		}
	}
	for _, p := range set.Paths() {
		if parts := strings.Split(p, "/"); len(parts) >= 3 && parts[0] == compose.Root {
			in := out[parts[1]]
			in.name, in.dir, in.compose = parts[1], compose.Root+"/"+parts[1], true
			in.inputs = append(in.inputs, p)
			out[parts[1]] = in
		}
	}
	return out
}

// same reports whether u in set reads the same files, with the same
// bytes, as v in other.
func (u unitInput) same(set files.Set, v unitInput, other files.Set) bool {
	return u.compose == v.compose && slices.EqualFunc(u.inputs, v.inputs, func(p, q string) bool {
		return p == q && bytes.Equal(set[p], other[q])
	})
}

func (u unitInput) build(ctx context.Context, set files.Set, ix *kustomize.Index) (*Unit, error) {
	if u.compose {
		return composeUnit(ctx, set, u.name)
	}
	built, err := ix.Build(u.dir)
	if err != nil {
		return nil, err
	}
	return kubernetesUnit(u.name, built)
}

func kubernetesUnit(name string, built []byte) (*Unit, error) {
	docs, err := kustomize.SplitYAML(built)
	if err != nil {
		return nil, err
	}
	u := &Unit{Name: name, Objects: map[string]Object{}}
	for _, d := range docs {
		var o struct {
			Kind     string
			Metadata struct {
				Name   string
				Labels map[string]string
			}
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Name, Image  string
							VolumeMounts []struct{ Name, MountPath, SubPath string } `json:"volumeMounts"`
						}
						Volumes []struct {
							Name                  string
							PersistentVolumeClaim *struct{ ClaimName string } `json:"persistentVolumeClaim"`
						}
					}
				}
			}
		}
		if err := yaml.Unmarshal(d, &o); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if o.Kind == "" {
			continue
		}
		obj := Object{Kind: o.Kind, Name: o.Metadata.Name, Group: o.Metadata.Labels["cht.service"], YAML: string(d), Images: map[string]string{}}
		claims := map[string]string{}
		for _, v := range o.Spec.Template.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				claims[v.Name] = v.PersistentVolumeClaim.ClaimName
			}
		}
		for _, c := range o.Spec.Template.Spec.Containers {
			obj.Images[c.Name] = c.Image
			var data []string
			for _, m := range c.VolumeMounts {
				if claim, ok := claims[m.Name]; ok {
					data = append(data, fmt.Sprintf("claim %s, subPath %q, at %s", claim, m.SubPath, m.MountPath))
				}
			}
			if len(data) > 0 {
				if obj.Data == nil {
					obj.Data = map[string]string{}
				}
				obj.Data[c.Name] = strings.Join(data, "; ")
			}
		}
		u.Objects[o.Kind+"/"+o.Metadata.Name] = obj
	}
	return u, nil
}

// composeUnit loads each Compose project of an environment folder as
// `docker compose config` shows it, with placeholder secrets.
func composeUnit(ctx context.Context, set files.Set, env string) (*Unit, error) {
	dir := compose.Root + "/" + env
	u := &Unit{Name: env, Objects: map[string]Object{}, Compose: true, Agent: composeAgent(set, dir)}
	projects := []struct {
		sub   string
		names []string
	}{{".", []string{compose.CoreFile, compose.SingleFile, compose.ClusteredFile}},
		{path.Dir(compose.UpgradeFile), []string{path.Base(compose.UpgradeFile)}},
		{path.Dir(compose.CertbotFile), []string{path.Base(compose.CertbotFile)}}}
	for _, p := range projects {
		var names []string
		for _, n := range p.names {
			if _, ok := set[path.Join(dir, p.sub, n)]; ok {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			continue
		}
		proj, err := compose.LoadProject(ctx, set, path.Join(dir, p.sub), path.Join("/srv/cht", env, p.sub), env, names, compose.DummySecrets())
		if err != nil {
			return nil, err
		}
		for _, s := range proj.Services {
			b, err := yaml.Marshal(s)
			if err != nil {
				return nil, err
			}
			key, name := "service/"+s.Name, s.Name
			if p.sub != "." {
				key, name = p.sub+"/"+key, p.sub+"/"+s.Name
			}
			obj := Object{Kind: "service", Name: name, YAML: string(b), Images: map[string]string{s.Name: s.Image}}
			var data []string
			for _, v := range s.Volumes {
				if v.Type == "bind" {
					data = append(data, v.Source+" at "+v.Target)
				}
			}
			if len(data) > 0 {
				obj.Data = map[string]string{s.Name: strings.Join(data, "; ")}
			}
			u.Objects[key] = obj
		}
	}
	if err := addDocoCDAgent(ctx, set, dir, env, u); err != nil {
		return nil, err
	}
	return u, nil
}

// Change is what happens to one unit between two trees.
type Change struct {
	Name    string
	Summary string // one line, without the name
	Diff    string // unified diff of the changed objects; empty when unchanged

	Changed, Added, Removed int           // objects
	Images                  []ImageChange // containers whose image changes, sorted

	// Compose environment folders: Agent deploys the new tree on the VM
	// when it is merged ("doco-cd"; "" for the manual flow); AgentStops:
	// the old tree had an agent deploying it and the new one has none
	// (suspended or removed), so the agent stops changing the VM.
	Compose    bool
	Agent      string
	AgentStops bool
	// AgentChanged: the agent's own compose file changed (a doco-cd
	// version, setting or pinned folder), which it never deploys itself.
	AgentChanged bool
}

// ImageChange is one container (or Compose service) moving images.
type ImageChange struct {
	Object    string `json:"object"`
	Container string `json:"container"`
	From      string `json:"from"`
	To        string `json:"to"`
}

// Compare returns a Change for every unit in old or new, sorted by name.
// aName and bName label the two sides in the unified diffs.
func Compare(old, new map[string]*Unit, aName, bName string) []Change {
	var out []Change
	for _, n := range unionKeys(old, new) {
		out = append(out, compareUnit(n, old[n], new[n], aName, bName))
	}
	return out
}

func compareUnit(name string, a, b *Unit, aName, bName string) Change {
	if a == nil {
		a = &Unit{Objects: map[string]Object{}}
	}
	if b == nil {
		b = &Unit{Objects: map[string]Object{}}
	}
	var added, removed, changed int
	images := map[string][]string{} // "old -> new" -> containers
	var topo topology
	var moved []ImageChange
	var unified strings.Builder
	agentChanged := false
	for _, k := range unionKeys(a.Objects, b.Objects) {
		oa, inA := a.Objects[k]
		ob, inB := b.Objects[k]
		switch {
		case !inA:
			added++
			topo.add("+", ob)
		case !inB:
			removed++
			topo.add("-", oa)
		case oa.YAML == ob.YAML:
			continue
		default:
			changed++
			agentChanged = agentChanged || isAgentObject(k)
			topo.containers(oa, ob)
			for c, img := range ob.Images {
				if old, ok := oa.Images[c]; ok && old != img {
					key := imageChange(old, img)
					images[key] = append(images[key], c)
					moved = append(moved, ImageChange{Object: k, Container: c, From: old, To: img})
				}
			}
		}
		d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(oa.YAML), B: difflib.SplitLines(ob.YAML),
			FromFile: aName + ": " + name + ": " + k, ToFile: bName + ": " + name + ": " + k, Context: 3,
		})
		unified.WriteString(d)
	}
	sort.Slice(moved, func(i, j int) bool {
		return moved[i].Object+"\x00"+moved[i].Container < moved[j].Object+"\x00"+moved[j].Container
	})
	c := Change{Name: name, Diff: unified.String(), Changed: changed, Added: added, Removed: removed, Images: moved,
		Compose: a.Compose || b.Compose, Agent: b.Agent, AgentStops: a.Agent != "" && b.Agent == "", AgentChanged: agentChanged}
	switch {
	case len(a.Objects) == 0 && len(b.Objects) > 0:
		c.Summary = fmt.Sprintf("new (%d objects)", len(b.Objects))
	case len(b.Objects) == 0 && len(a.Objects) > 0:
		c.Summary = fmt.Sprintf("removed (%d objects)", len(a.Objects))
	case added+removed+changed == 0:
		c.Summary = "unchanged"
	default:
		parts := topo.lines()
		for _, k := range slices.Sorted(maps.Keys(images)) {
			cs := images[k]
			sort.Strings(cs)
			parts = append(parts, fmt.Sprintf("%s image %s", strings.Join(cs, ", "), k))
		}
		parts = append(parts, fmt.Sprintf("%d changed, %d added, %d removed", changed, added, removed))
		c.Summary = strings.Join(parts, "; ")
	}
	c.Summary += agentNote(c, a.Agent)
	return c
}

// topology collects the objects and containers a change adds or removes,
// so a summary names them: "+ nouveau (Deployment cht-couchdb-nouveau,
// Service nouveau)", "- upgrade-service (...)", "+ container X in
// Deployment Y". It knows no object by name: whatever appears is named.
type topology struct {
	groups map[string][]string // "+ nouveau" -> ["Deployment cht-couchdb-nouveau"]
	single []string            // "+ Role x", "+ container c in Deployment d"
}

func (t *topology) add(sign string, o Object) {
	what := o.Kind + " " + o.Name
	if o.Group == "" {
		if d := o.Data[path.Base(o.Name)]; sign == "+" && o.Kind == "service" && d != "" {
			what += " (data: " + d + ")"
		}
		t.single = append(t.single, sign+" "+what)
		return
	}
	if t.groups == nil {
		t.groups = map[string][]string{}
	}
	k := sign + " " + o.Group
	t.groups[k] = append(t.groups[k], what)
}

// containers notes containers added to or removed from an object both
// trees have (CHT 5.1 moved nouveau into the CouchDB pod).
func (t *topology) containers(a, b Object) {
	if a.Kind == "service" {
		return // a Compose service is its container
	}
	for _, c := range slices.Sorted(maps.Keys(b.Images)) {
		if _, ok := a.Images[c]; !ok {
			line := fmt.Sprintf("+ container %s in %s %s", c, b.Kind, b.Name)
			if d := b.Data[c]; d != "" {
				line += " (data: " + d + ")"
			}
			t.single = append(t.single, line)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(a.Images)) {
		if _, ok := b.Images[c]; !ok {
			t.single = append(t.single, fmt.Sprintf("- container %s in %s %s", c, a.Kind, a.Name))
		}
	}
}

// lines are the additions first, then the removals, each sorted.
func (t *topology) lines() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(t.groups)) {
		objs := t.groups[k]
		sort.Strings(objs)
		out = append(out, fmt.Sprintf("%s (%s)", k, strings.Join(objs, ", ")))
	}
	out = append(out, t.single...)
	sort.SliceStable(out, func(i, j int) bool { return out[i][0] == '+' && out[j][0] == '-' })
	return out
}

// unionKeys are the keys of a and b, sorted, each once.
func unionKeys[V any](a, b map[string]V) []string {
	return slices.Compact(slices.Sorted(func(yield func(string) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
		for k := range b {
			if !yield(k) {
				return
			}
		}
	}))
}

// imageChange is "old -> new", shortened to the tags when only they differ.
func imageChange(old, new string) string {
	on, ot, ok1 := cut(old)
	nn, nt, ok2 := cut(new)
	if ok1 && ok2 && on == nn {
		return ot + " -> " + nt
	}
	return old + " -> " + new
}

func cut(image string) (name, tag string, ok bool) {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, "", false
	}
	return image[:i], image[i+1:], true
}
