package gitops

import (
	"fmt"
	"strings"
	"time"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/apis/meta"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

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
			doc, err := document(gitRepository(s))
			if err != nil {
				return nil, err
			}
			repos = append(repos, doc)
		}
		resources = append(resources, "git-repository.yaml")
		if err := out.AddYAML(dir+"/git-repository.yaml", header(envs), repos...); err != nil {
			return nil, err
		}
	}
	for _, e := range envs {
		ref := kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind}
		if r := e.Flux.SourceRef; r != nil {
			ref = kustomizev1.CrossNamespaceSourceReference{Kind: r.Kind, Name: r.Name, Namespace: r.Namespace}
		} else {
			ref.Name = sourceOf[sourceKey(e)].name
		}
		k, err := fluxKustomization(e, ref)
		if err != nil {
			return nil, err
		}
		doc, err := document(k)
		if err != nil {
			return nil, err
		}
		name := "cht-" + e.Name + ".yaml"
		resources = append(resources, name)
		if err := out.AddYAML(dir+"/"+name, files.Header(e.SourceFile()), doc); err != nil {
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

func gitRepository(s *gitSource) *sourcev1.GitRepository {
	r := &sourcev1.GitRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.GitRepositoryKind},
		ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: FluxNamespace},
		Spec: sourcev1.GitRepositorySpec{
			Interval:  metav1.Duration{Duration: time.Minute},
			URL:       s.url,
			Reference: &sourcev1.GitRepositoryRef{Branch: s.branch},
		},
	}
	if s.secret != "" {
		r.Spec.SecretRef = &meta.LocalObjectReference{Name: s.secret}
	}
	return r
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

func fluxKustomization(e *model.Environment, sourceRef kustomizev1.CrossNamespaceSourceReference) (*kustomizev1.Kustomization, error) {
	interval, err := time.ParseDuration(e.Flux.Interval)
	if err != nil {
		return nil, fmt.Errorf("%s: gitops.flux.interval: %w", e.Name, err)
	}
	timeout, err := time.ParseDuration(e.Flux.Timeout)
	if err != nil {
		return nil, fmt.Errorf("%s: gitops.flux.timeout: %w", e.Name, err)
	}
	k := &kustomizev1.Kustomization{
		TypeMeta:   metav1.TypeMeta{APIVersion: kustomizev1.GroupVersion.String(), Kind: kustomizev1.KustomizationKind},
		ObjectMeta: metav1.ObjectMeta{Name: "cht-" + e.Name, Namespace: FluxNamespace},
		Spec: kustomizev1.KustomizationSpec{
			Interval:        metav1.Duration{Duration: interval},
			Path:            "./" + OverlayPath(e),
			Prune:           true,
			Wait:            true,
			Timeout:         &metav1.Duration{Duration: timeout},
			SourceRef:       sourceRef,
			TargetNamespace: e.Namespace,
			Suspend:         e.Suspended,
		},
	}
	// Decryption only with a file to decrypt: a secretRef alone makes Flux
	// wait for that Secret and then decrypt nothing (model.Validate).
	if e.Credentials.SOPSFile != "" {
		k.Spec.Decryption = &kustomizev1.Decryption{Provider: "sops", SecretRef: &meta.LocalObjectReference{Name: e.Flux.SOPSSecret}}
	}
	return k, nil
}

// document is a typed object as it is written: its fields (by their JSON
// names, sorted), without the status and creation time only a cluster
// sets.
func document(obj runtime.Object) (map[string]any, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(u, "status")
	if md, ok := u["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return u, nil
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
