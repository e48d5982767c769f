package gitops

import (
	"fmt"
	"strings"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// syncPolicy is automated sync with prune and self-heal, creating the
// namespace. Applications carry no resources finalizer: deleting one leaves
// CHT and its data running. A suspended environment's Application has no
// automated sync: Argo CD shows drift but applies and deletes nothing.
func syncPolicy(suspended bool) M {
	if suspended {
		return M{{"syncOptions", []string{"CreateNamespace=true"}}}
	}
	return M{
		{"automated", M{{"prune", true}, {"selfHeal", true}}},
		{"syncOptions", []string{"CreateNamespace=true"}},
	}
}

// argocd renders argocd/<cluster>/: an Application per environment, or one
// ApplicationSet whose git directory generator lists the overlays.
func argocd(cluster string, envs []*model.Environment) (files.Set, error) {
	dir := ArgoCDDir + "/" + cluster
	out := files.Set{}
	var resources []string
	if envs[0].ArgoCDMode == "applicationset" {
		resources = append(resources, "applicationset.yaml")
		if err := out.AddYAML(dir+"/applicationset.yaml", header(envs), applicationSet(cluster, envs)); err != nil {
			return nil, err
		}
	} else {
		for _, e := range envs {
			name := "cht-" + e.Name + ".yaml"
			resources = append(resources, name)
			if err := out.AddYAML(dir+"/"+name, files.Header(e.SourceFile()), application(e)); err != nil {
				return nil, err
			}
		}
	}
	if err := out.AddYAML(dir+"/kustomization.yaml", header(envs), kustomization(resources)); err != nil {
		return nil, err
	}
	return out, out.Add(dir+"/README.md", []byte(argoReadme(cluster, envs)))
}

func application(e *model.Environment) M {
	return M{
		{"apiVersion", "argoproj.io/v1alpha1"},
		{"kind", "Application"},
		{"metadata", M{{"name", "cht-" + e.Name}, {"namespace", ArgoCDNamespace}}},
		{"spec", M{
			{"project", "default"},
			{"source", M{{"repoURL", e.RepoURL}, {"targetRevision", e.Branch}, {"path", OverlayPath(e)}}},
			{"destination", M{{"server", e.ArgoCDDestination()}, {"namespace", e.Namespace}}},
			{"syncPolicy", syncPolicy(e.Suspended)},
		}},
	}
}

func applicationSet(cluster string, envs []*model.Environment) M {
	e := envs[0]
	var dirs []M
	for _, e := range envs {
		dirs = append(dirs, M{{"path", OverlayPath(e)}})
	}
	return M{
		{"apiVersion", "argoproj.io/v1alpha1"},
		{"kind", "ApplicationSet"},
		{"metadata", M{{"name", "cht-" + cluster}, {"namespace", ArgoCDNamespace}}},
		{"spec", M{
			{"goTemplate", true},
			{"goTemplateOptions", []string{"missingkey=error"}},
			// Listed, not globbed: overlays of other clusters live beside these.
			{"generators", []M{{{"git", M{{"repoURL", e.RepoURL}, {"revision", e.Branch}, {"directories", dirs}}}}}},
			{"template", M{
				{"metadata", M{{"name", "cht-{{.path.basename}}"}}},
				{"spec", M{
					{"project", "default"},
					{"source", M{{"repoURL", e.RepoURL}, {"targetRevision", e.Branch}, {"path", "{{.path.path}}"}}},
					{"destination", M{{"server", e.ArgoCDDestination()}, {"namespace", "cht-{{.path.basename}}"}}},
					{"syncPolicy", syncPolicy(false)}, // suspended is refused here (model.Validate)
				}},
			}},
			// An environment dropped from the list leaves CHT running.
			{"syncPolicy", M{{"preserveResourcesOnDeletion", true}}},
		}},
	}
}

func argoReadme(cluster string, envs []*model.Environment) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	b.WriteString(files.MarkdownHeader(sources(envs)))
	w("# Argo CD on cluster %s\n\n", cluster)
	if envs[0].ArgoCDMode == "applicationset" {
		w("One `ApplicationSet` (namespace `%s`) whose git directory generator lists the\noverlays below; it makes one Application per environment.\n\n", ArgoCDNamespace)
	} else {
		w("One `Application` per CHT environment (namespace `%s`).\n\n", ArgoCDNamespace)
	}
	w("| environment | namespace | version | overlay |\n|---|---|---|---|\n")
	for _, e := range envs {
		ns := e.Namespace
		if e.Suspended {
			ns += " (**suspended**: no automated sync)"
		}
		w("| %s | %s | %s | `%s` |\n", e.Name, ns, e.Version, OverlayPath(e))
	}
	w("\nApply this folder once (`kubectl apply -k %s/%s/%s`), or point an app-of-apps at it,\n", envs[0].PathPrefix, ArgoCDDir, cluster)
	if server := envs[0].ArgoCDDestination(); server == model.ArgoCDInCluster {
		w("in the Argo CD that runs on cluster %s: the Applications deploy to the cluster their\n", cluster)
		w("Argo CD runs in (`%s`), so a central Argo CD managing several clusters\n", server)
		w("would put every cluster's environments on its own (set `argocdServer` for that).\n")
	} else {
		w("in the Argo CD that manages cluster %s: the Applications deploy to `%s`\n", cluster, server)
		w("(`argocdServer`), which must be registered in that Argo CD (`argocd cluster add`).\n")
	}
	w("Sync is automated with prune and self-heal. Create each environment's credentials\n")
	w("Secret first (see the overlay's README). Namespaces, claims and volumes carry\n")
	w("`argocd.argoproj.io/sync-options: Prune=false,Delete=false`: CouchDB's data outlives\nits Application.\n")
	w("\nRemoving an environment deletes its Application once this folder is re-applied with\n")
	w("pruning (an app-of-apps); with no resources finalizer, everything it deployed keeps\n")
	w("running, unmanaged. `suspended: true` keeps the Application without automated sync:\n")
	w("Argo CD shows drift but applies, changes and deletes nothing.\n")
	return b.String()
}
