package gitops

import (
	"fmt"
	"strings"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// gitSource is one GitRepository: a repository, branch and credentials.
type gitSource struct {
	name, url, branch, secret string
}

// sourceKey tells GitRepositories apart: environments sharing repository,
// branch and credentials share one.
func sourceKey(e *model.Environment) string {
	return FluxURL(e.RepoURL) + "\x00" + e.Branch + "\x00" + e.RepoSecret
}

// flux renders clusters/<cluster>/: one GitRepository per distinct source
// (none for environments reading an existing source, gitops.flux.sourceRef),
// one Kustomization per environment, and a kustomization.yaml listing them.
func flux(cluster string, envs []*model.Environment) (files.Set, error) {
	dir := FluxDir + "/" + cluster
	out := files.Set{}
	sources, sourceOf := gitSources(envs)
	var resources []string
	if len(sources) > 0 {
		var repos []any
		for _, s := range sources {
			repos = append(repos, gitRepository(s))
		}
		resources = append(resources, "git-repository.yaml")
		if err := out.AddYAML(dir+"/git-repository.yaml", header(envs), repos...); err != nil {
			return nil, err
		}
	}
	for _, e := range envs {
		ref := M{{"kind", "GitRepository"}}
		if r := e.Flux.SourceRef; r != nil {
			ref = M{{"kind", r.Kind}, {"name", r.Name}, {"namespace", r.Namespace}}
		} else {
			ref = append(ref, KV{"name", sourceOf[sourceKey(e)].name})
		}
		name := "cht-" + e.Name + ".yaml"
		resources = append(resources, name)
		if err := out.AddYAML(dir+"/"+name, files.Header(e.SourceFile()), fluxKustomization(e, ref)); err != nil {
			return nil, err
		}
	}
	if err := out.AddYAML(dir+"/kustomization.yaml", header(envs), kustomization(resources)); err != nil {
		return nil, err
	}
	return out, out.Add(dir+"/README.md", []byte(fluxReadme(cluster, envs)))
}

// gitSources names one GitRepository per distinct repository, branch and
// credentials among the environments that do not reuse an existing source.
func gitSources(envs []*model.Environment) ([]*gitSource, map[string]*gitSource) {
	var sources []*gitSource
	sourceOf := map[string]*gitSource{}
	names := map[string]bool{}
	for _, e := range envs {
		key := sourceKey(e)
		if e.Flux.SourceRef != nil || sourceOf[key] != nil {
			continue
		}
		name := repoName(e.RepoURL)
		if names[name] {
			name = label(name + "-" + e.Branch)
		}
		for i := 2; names[name]; i++ {
			name = fmt.Sprintf("%s-%d", repoName(e.RepoURL), i)
		}
		names[name] = true
		s := &gitSource{name: name, url: FluxURL(e.RepoURL), branch: e.Branch, secret: e.RepoSecret}
		sourceOf[key] = s
		sources = append(sources, s)
	}
	return sources, sourceOf
}

func gitRepository(s *gitSource) M {
	spec := M{{"interval", "1m"}, {"url", s.url}, {"ref", M{{"branch", s.branch}}}}
	if s.secret != "" {
		spec = append(spec, KV{"secretRef", M{{"name", s.secret}}})
	}
	return M{
		{"apiVersion", "source.toolkit.fluxcd.io/v1"},
		{"kind", "GitRepository"},
		{"metadata", M{{"name", s.name}, {"namespace", FluxNamespace}}},
		{"spec", spec},
	}
}

// ExternalSources are the sources (namespace/name) environments read but
// this tree does not render: they must already exist in the cluster.
func ExternalSources(envs []model.Environment) map[string]bool {
	out := map[string]bool{}
	for i := range envs {
		if r := envs[i].Flux.SourceRef; r != nil && envs[i].Target == model.Kubernetes {
			out[r.Namespace+"/"+r.Name] = true
		}
	}
	return out
}

func fluxKustomization(e *model.Environment, sourceRef M) M {
	spec := M{
		{"interval", e.Flux.Interval},
		{"path", "./" + OverlayPath(e)},
		{"prune", true},
		{"wait", true},
		{"timeout", e.Flux.Timeout},
		{"sourceRef", sourceRef},
		{"targetNamespace", e.Namespace},
	}
	if e.Suspended {
		spec = append(spec, KV{"suspend", true})
	}
	// Decryption only with a file to decrypt: a secretRef alone makes Flux
	// wait for that Secret and then decrypt nothing (model.Validate).
	if e.Credentials.SOPSFile != "" {
		spec = append(spec, KV{"decryption", M{{"provider", "sops"}, {"secretRef", M{{"name", e.Flux.SOPSSecret}}}}})
	}
	return M{
		{"apiVersion", "kustomize.toolkit.fluxcd.io/v1"},
		{"kind", "Kustomization"},
		{"metadata", M{{"name", "cht-" + e.Name}, {"namespace", FluxNamespace}}},
		{"spec", spec},
	}
}

func fluxReadme(cluster string, envs []*model.Environment) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	b.WriteString(files.MarkdownHeader(sources(envs)))
	w("# Flux on cluster %s\n\n", cluster)
	w("One `Kustomization` per CHT environment (namespace `%s`), applying its overlay\n", FluxNamespace)
	w("from Git with `prune` and `wait`.\n\n")
	w("| environment | namespace | version | overlay | source |\n|---|---|---|---|---|\n")
	gitRepos, sourceOf := gitSources(envs)
	for _, e := range envs {
		src := "GitRepository " + FluxNamespace + "/"
		if r := e.Flux.SourceRef; r != nil {
			src = r.Kind + " " + r.Namespace + "/" + r.Name
		} else {
			src += sourceOf[sourceKey(e)].name
		}
		ns := e.Namespace
		if e.Suspended {
			ns += " (**suspended**)"
		}
		w("| %s | %s | %s | `%s` | %s |\n", e.Name, ns, e.Version, OverlayPath(e), src)
	}
	p := "./" + envs[0].PathPrefix + "/" + FluxDir + "/" + cluster
	w("\n## Point Flux at this folder once\n\n")
	if len(gitRepos) == 0 {
		r := envs[0].Flux.SourceRef
		w("This folder renders no GitRepository: it reads `%s/%s`, the source `flux bootstrap`\n", r.Namespace, r.Name)
		w("made for this repository (`gitops.flux.sourceRef`). Add one root Kustomization reading\n")
		w("the same source, in the folder `flux bootstrap` manages (outside `%s`), and commit it:\n\n", envs[0].PathPrefix)
		src := r.Kind + "/" + r.Name
		if r.Namespace != FluxNamespace {
			src += "." + r.Namespace
		}
		w("```\nflux create kustomization cht --source=%s --path=%s \\\n  --prune=true --interval=10m --export > cht.yaml\n```\n", src, p)
	} else {
		s := gitRepos[0]
		w("`git-repository.yaml` renders GitRepository `%s` for `%s` (branch `%s`).\n", s.name, s.url, s.branch)
		w("If that is the repository `flux bootstrap` manages, set `gitops.flux.sourceRef:\n")
		w("{kind: \"GitRepository\", name: \"flux-system\"}` instead: two sources for one repository\n")
		w("fetch at different times, and a removed environment's Kustomization fails with\n")
		w("`kustomization path not found` until both caught up.\n\n")
		w("For a hosting repository that is not the bootstrap one, create its source, then one\n")
		w("root Kustomization reading it (it then manages this folder, source included):\n\n")
		w("```\nkubectl apply -f %s/git-repository.yaml\n", p[2:])
		w("flux create kustomization cht --source=GitRepository/%s --path=%s \\\n  --prune=true --interval=10m\n```\n", s.name, p)
	}
	w("\nCreate each environment's credentials Secret before its first sync (see the\noverlay's README).\n")
	w("\n## Removing and parking an environment\n\n")
	w("Removing an environment from the environment files and rendering deletes\n")
	w("`cht-<env>.yaml` here. With `prune: true` on the root Kustomization, Flux then\n")
	w("deletes Kustomization `cht-<env>`, and its garbage collection deletes every\n")
	w("object it applied: the Deployments, Services, ConfigMaps, Ingress and RBAC of\n")
	w("that environment. CHT stops. Only the namespace and the PersistentVolumeClaims\n")
	w("(and PersistentVolumes) stay: they carry `kustomize.toolkit.fluxcd.io/prune: disabled`,\n")
	w("so CouchDB's data survives.\n\n")
	w("To park an environment instead, set `suspended: true` and render: its Kustomization\n")
	w("stays with `spec.suspend: true`, and Flux applies, changes and deletes nothing in\n")
	w("its namespace until `suspended` is removed. A suspended Kustomization that is then\n")
	w("removed is deleted without garbage collection: CHT keeps running, unmanaged.\n")
	return b.String()
}
