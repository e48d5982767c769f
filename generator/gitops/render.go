package gitops

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/model"
)

type (
	M  = files.Map
	KV = files.KV
)

// Reconcilers' namespaces: where `flux bootstrap` and Argo CD's install put
// their controllers, and where they look for their objects by default.
const (
	FluxNamespace   = "flux-system"
	ArgoCDNamespace = "argocd"
	FluxDir         = "clusters"
	ArgoCDDir       = "argocd"
)

// Render renders the reconciler objects of every Kubernetes environment.
func Render(envs []model.Environment) (files.Set, error) {
	type group struct {
		gitops, cluster string
		envs            []*model.Environment
	}
	groups := map[string]*group{}
	for i := range envs {
		e := &envs[i]
		if e.Target != model.Kubernetes {
			continue
		}
		key := e.GitOps + "/" + e.Cluster
		if groups[key] == nil {
			groups[key] = &group{gitops: e.GitOps, cluster: e.Cluster}
		}
		groups[key].envs = append(groups[key].envs, e)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := files.Set{}
	for _, k := range keys {
		g := groups[k]
		sort.Slice(g.envs, func(a, b int) bool { return g.envs[a].Name < g.envs[b].Name })
		var set files.Set
		var err error
		switch g.gitops {
		case "flux":
			set, err = flux(g.cluster, g.envs)
		case "argocd":
			set, err = argocd(g.cluster, g.envs)
		default:
			err = fmt.Errorf("unknown reconciler %q", g.gitops)
		}
		if err != nil {
			return nil, fmt.Errorf("%s objects for cluster %s: %w", g.gitops, g.cluster, err)
		}
		if err := out.Merge(set); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OverlayPath is e's overlay as a path inside the repository.
func OverlayPath(e *model.Environment) string {
	return path.Join(e.PathPrefix, kustomize.OverlayDir(e))
}

// header names every environment file a shared file comes from.
func header(envs []*model.Environment) string { return files.Header(sources(envs)) }

func sources(envs []*model.Environment) string {
	seen := map[string]bool{}
	var src []string
	for _, e := range envs {
		s := e.SourceFile()
		if !seen[s] {
			seen[s] = true
			src = append(src, s)
		}
	}
	sort.Strings(src)
	return strings.Join(src, ", ")
}

func kustomization(resources []string) M {
	return M{{"apiVersion", "kustomize.config.k8s.io/v1beta1"}, {"kind", "Kustomization"}, {"resources", resources}}
}

var notLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// label turns s into a DNS label fragment.
func label(s string) string {
	s = strings.Trim(notLabel.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 40 {
		s = strings.Trim(s[:40], "-")
	}
	if s == "" {
		s = "repo"
	}
	return s
}

// repoName is the last path element of a Git URL, without .git.
func repoName(url string) string {
	url = strings.TrimSuffix(strings.TrimSuffix(url, "/"), ".git")
	if i := strings.LastIndexAny(url, "/:"); i >= 0 {
		url = url[i+1:]
	}
	return label(url)
}

var scpLike = regexp.MustCompile(`^([A-Za-z0-9._-]+@[A-Za-z0-9.-]+):(.+)$`)

// FluxURL is url as Flux's GitRepository accepts it: scp-like
// "git@host:org/repo" becomes "ssh://git@host/org/repo".
func FluxURL(url string) string {
	if m := scpLike.FindStringSubmatch(url); m != nil && !strings.Contains(url, "://") {
		return "ssh://" + m[1] + "/" + m[2]
	}
	return url
}
