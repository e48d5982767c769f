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

// flux renders clusters/<cluster>/: one GitRepository per distinct source,
// one Kustomization per environment, and a kustomization.yaml listing them.
func flux(cluster string, envs []*model.Environment) (files.Set, error) {
	dir := FluxDir + "/" + cluster
	out := files.Set{}
	var sources []*gitSource
	sourceOf := map[string]*gitSource{}
	names := map[string]bool{}
	for _, e := range envs {
		key := sourceKey(e)
		if sourceOf[key] != nil {
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
	var repos []any
	for _, s := range sources {
		spec := M{{"interval", "1m"}, {"url", s.url}, {"ref", M{{"branch", s.branch}}}}
		if s.secret != "" {
			spec = append(spec, KV{"secretRef", M{{"name", s.secret}}})
		}
		repos = append(repos, M{
			{"apiVersion", "source.toolkit.fluxcd.io/v1"},
			{"kind", "GitRepository"},
			{"metadata", M{{"name", s.name}, {"namespace", FluxNamespace}}},
			{"spec", spec},
		})
	}
	resources := []string{"git-repository.yaml"}
	if err := add(out, dir+"/git-repository.yaml", header(envs), repos...); err != nil {
		return nil, err
	}
	for _, e := range envs {
		s := sourceOf[sourceKey(e)]
		name := "cht-" + e.Name + ".yaml"
		resources = append(resources, name)
		if err := add(out, dir+"/"+name, files.Header(e.SourceFile()), fluxKustomization(e, s.name)); err != nil {
			return nil, err
		}
	}
	if err := add(out, dir+"/kustomization.yaml", header(envs), kustomization(resources)); err != nil {
		return nil, err
	}
	return out, out.Add(dir+"/README.md", []byte(fluxReadme(cluster, envs)))
}

func fluxKustomization(e *model.Environment, sourceName string) M {
	spec := M{
		{"interval", e.Flux.Interval},
		{"path", "./" + OverlayPath(e)},
		{"prune", true},
		{"wait", true},
		{"timeout", e.Flux.Timeout},
		{"sourceRef", M{{"kind", "GitRepository"}, {"name", sourceName}}},
		{"targetNamespace", e.Namespace},
	}
	if e.Flux.SOPSSecret != "" {
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
	w("from Git with `prune` and `wait`, and the `GitRepository` they read.\n\n")
	w("| environment | namespace | version | overlay |\n|---|---|---|---|\n")
	for _, e := range envs {
		w("| %s | %s | %s | `%s` |\n", e.Name, e.Namespace, e.Version, OverlayPath(e))
	}
	p := "./" + envs[0].PathPrefix + "/" + FluxDir + "/" + cluster
	w("\nPoint Flux at this folder once (outside `%s`, e.g. in the folder `flux bootstrap`\nmanages):\n\n", envs[0].PathPrefix)
	w("```\nflux create kustomization cht --source=GitRepository/flux-system --path=%s \\\n  --prune=true --interval=10m --export > cht.yaml\n```\n\n", p)
	w("Create each environment's credentials Secret first (see the overlay's README).\n")
	w("Namespaces, claims and volumes carry `kustomize.toolkit.fluxcd.io/prune: disabled`:\n")
	w("removing an environment from Git stops reconciling it but never deletes CouchDB's data.\n")
	return b.String()
}
