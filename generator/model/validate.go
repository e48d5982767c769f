package model

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Problem is a semantic error or warning about one field of an environment.
type Problem struct {
	Env     string // environment name
	Field   string // path below the environment, e.g. "couchdb.nodes"
	Message string
	Warning bool
	// Value: the value alone is wrong, wherever it is written (it may be
	// inherited, e.g. from gitops.repoURL); otherwise it clashes with
	// other fields or environments.
	Value bool
}

func (p Problem) Error() string {
	return fmt.Sprintf("environments.%s.%s: %s", p.Env, p.Field, p.Message)
}

// kubernetesHAProxyPort is HAPROXY_PORT in Medic's charts (4.x and 5.x):
// the haproxy Service, the healthcheck and COUCH_URL all use it.
const kubernetesHAProxyPort = 5984

// Validate checks what the schema cannot: the 4.x/5.x rule with its reason,
// version constraints, list lengths that depend on the node count, and
// clashes between environments (namespaces on a shared cluster), and each
// value for the context it lands in (values.go). Environments the schema
// refused in part may be passed with the refused fields left zero: a zero
// field is unknown and the checks that need it are skipped, so that every
// other error is still reported.
func Validate(envs []Environment) []Problem {
	var out []Problem
	add := func(e *Environment, field, format string, args ...any) {
		out = append(out, Problem{Env: e.Name, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for i := range envs {
		e := &envs[i]
		checkValues(e, func(field, format string, args ...any) {
			out = append(out, Problem{Env: e.Name, Field: field, Message: fmt.Sprintf(format, args...), Value: true})
		})
		v, err := ParseVersion(e.Version)
		if e.Version == "" {
			v = nil
		} else if err != nil {
			add(e, "version", "%v%s", err, newMajorHint(e.Version))
		} else if e.VersionConstraint != "" {
			c, err := semver.NewConstraint(e.VersionConstraint)
			if err != nil {
				add(e, "versionConstraint", "%q is not a semver range (e.g. \"~4.22\", \">=4.5 <5\"): %v", e.VersionConstraint, err)
			} else if ok, _ := c.Validate(v); !ok {
				add(e, "version", "%s does not satisfy versionConstraint %q", e.Version, e.VersionConstraint)
			}
		}
		if v != nil {
			if p := UnlistedVersion(e, v); p != nil {
				out = append(out, *p)
			}
		}
		if v != nil && v.Prerelease() != "" && e.Channel != "beta" {
			add(e, "version", "%s is a pre-release: set channel: \"beta\" to run pre-releases", e.Version)
		}
		n := e.CouchDB.Nodes
		sub := e.CouchDB.Storage.SubPath
		if sub == "local.d" || strings.HasPrefix(sub, "local.d/") {
			add(e, "couchdb.storage.subPath", "%q overlaps the local.d subPath that holds CouchDB's credentials; CouchDB data would be mixed with its config", sub)
		}
		out = append(out, ulimitProblems(e, v != nil)...)
		if e.Target == Compose {
			out = append(out, docoCDProblems(e)...)
			if l := len(e.CouchDB.DataPaths); l != 0 && n != 0 && l != n {
				add(e, "couchdb.dataPaths", "has %d entries for %d CouchDB node(s): give one host folder per node, or none for Medic's defaults", l, n)
			}
			if e.Nginx.TLS.Mode == TLSAutoGenerate && v != nil && !e.Has(CertbotDeployHook) {
				add(e, "nginx.tls.mode", "AUTO_GENERATE needs CHT 4.2.0 or later (Medic's certbot file calls the deploy.sh hook nginx ships from 4.2.0): upgrade first, or use OWN_CERT")
			}
			if e.Nginx.HTTPPort == e.Nginx.HTTPSPort && e.Nginx.HTTPPort != 0 {
				add(e, "nginx.httpsPort", "is the same port as nginx.httpPort (%d)", e.Nginx.HTTPPort)
			}
			if inCore, inCouchDB := e.ComposeHealthcheck(); v != nil && !inCore && !inCouchDB {
				field := ""
				switch {
				case e.Healthcheck.LogLevel != "":
					field = "healthcheck.logLevel"
				case e.Healthcheck.Resources.Limits != nil || e.Healthcheck.Resources.Requests != nil:
					field = "healthcheck.resources"
				}
				if field != "" {
					out = append(out, Problem{Env: e.Name, Field: field, Warning: true,
						Message: fmt.Sprintf("has no effect: CHT %s runs the healthcheck service on Compose only with a CouchDB cluster (Medic's single-node files have none)", e.Version)})
				}
			}
		}
		if e.Target == Kubernetes {
			if l := len(e.CouchDB.Placement.Nodes); l != 0 && n != 0 && l != n {
				add(e, "couchdb.placement.nodes", "has %d entries for %d CouchDB node(s): name one Kubernetes node per CouchDB node, or none", l, n)
			}
			if ex := e.CouchDB.Storage.Existing; ex != nil && n != 0 {
				if l := len(ex.HostPaths) + len(ex.EBSVolumeIDs); l != n {
					add(e, "couchdb.storage.existing", "lists %d volume(s) for %d CouchDB node(s): one pre-existing volume per node", l, n)
				}
				if len(ex.HostPaths) > 0 && len(e.CouchDB.Placement.Nodes) != n {
					add(e, "couchdb.placement.nodes", "is required with existing hostPaths: a local volume lives on one Kubernetes node, name it per CouchDB node")
				}
			}
			out = append(out, gitopsProblems(e)...)
			if e.HAProxy.Port != 0 && e.HAProxy.Port != kubernetesHAProxyPort {
				out = append(out, Problem{Env: e.Name, Field: "haproxy.port", Warning: true,
					Message: fmt.Sprintf("has no effect on Kubernetes: HAProxy listens on %d behind its Service, as in Medic's charts, and the credentials Secret's COUCH_URL names that port; remove haproxy.port", kubernetesHAProxyPort)})
			}
			if e.UpgradeService.Enabled && v != nil && !e.Has(KubernetesUpgradeService) {
				add(e, "upgradeService.enabled", "CHT %s has no upgrade service on Kubernetes: Medic's 5.x chart dropped it and the admin app only stages upgrades; remove upgradeService.enabled and upgrade with a version bump in Git", e.Version)
			} else if e.UpgradeService.Enabled {
				out = append(out, Problem{Env: e.Name, Field: "upgradeService.enabled", Warning: true,
					Message: fmt.Sprintf("the upgrade service patches Deployment images in place and %s reverts them to what Git says, leaving CHT half-upgraded (cht-core #10186); upgrade with a version bump in Git instead", e.GitOps)})
			}
		}
	}
	out = append(out, clashes(envs)...)
	return out
}

// clashes finds environments that would overwrite each other's objects.
func clashes(envs []Environment) []Problem {
	var out []Problem
	seen := map[string]string{}
	names := make([]int, 0, len(envs))
	for i := range envs {
		names = append(names, i)
	}
	sort.Slice(names, func(a, b int) bool { return envs[names[a]].Name < envs[names[b]].Name })
	for _, i := range names {
		e := &envs[i]
		if e.Target != Kubernetes || e.Namespace == "" {
			continue
		}
		key := e.Cluster + "/" + e.Namespace
		if other, ok := seen[key]; ok {
			out = append(out, Problem{Env: e.Name, Field: "namespace",
				Message: fmt.Sprintf("namespace %q on cluster %q is already used by environment %q: environments sharing a cluster need their own namespaces", e.Namespace, e.Cluster, other)})
			continue
		}
		seen[key] = e.Name
	}
	// A copied environment whose host was not changed would take the other
	// one's traffic (ingress rules, certificates, DNS).
	hosts := map[string]string{}
	for _, i := range names {
		e := &envs[i]
		h := strings.ToLower(e.Host)
		if h == "" || h == "localhost" || h == "127.0.0.1" {
			continue
		}
		if other, ok := hosts[h]; ok {
			out = append(out, Problem{Env: e.Name, Field: "host",
				Message: fmt.Sprintf("%q is already the host of environment %q: each CHT instance needs its own host name", e.Host, other)})
			continue
		}
		hosts[h] = e.Name
	}
	// An ApplicationSet is one object per cluster over one repository, and
	// its directory generator knows only the overlay's name.
	sets := map[string]*Environment{}
	for _, i := range names {
		e := &envs[i]
		if e.Target != Kubernetes || e.GitOps != "argocd" || e.ArgoCDMode != "applicationset" {
			continue
		}
		if e.Namespace != "cht-"+e.Name {
			out = append(out, Problem{Env: e.Name, Field: "namespace",
				Message: fmt.Sprintf("is %q, but argocdMode \"applicationset\" derives namespaces from overlay names (cht-%s): drop namespace or use argocdMode \"application\"", e.Namespace, e.Name)})
		}
		first, ok := sets[e.Cluster]
		if !ok {
			sets[e.Cluster] = e
			continue
		}
		if e.RepoURL != first.RepoURL || e.Branch != first.Branch || e.PathPrefix != first.PathPrefix {
			out = append(out, Problem{Env: e.Name, Field: "repoURL",
				Message: fmt.Sprintf("cluster %q has one ApplicationSet, over %s (branch %s, path %s) from environment %q: environments in it must share repoURL, branch and pathPrefix", e.Cluster, first.RepoURL, first.Branch, first.PathPrefix, first.Name)})
		}
	}
	return append(out, argoDestinations(envs, names)...)
}

// argoDestinations checks that a cluster is one Argo CD destination: its
// environments deploy to one server, and two cluster names never name one
// server (their namespaces are checked per cluster name, so two tenants
// could share a namespace there).
func argoDestinations(envs []Environment, names []int) []Problem {
	var out []Problem
	byCluster := map[string]*Environment{}
	byServer := map[string]*Environment{}
	for _, i := range names {
		e := &envs[i]
		if e.Target != Kubernetes || e.GitOps != "argocd" {
			continue
		}
		server := e.ArgoCDDestination()
		if u, err := url.Parse(server); err != nil || u.User != nil {
			continue // refused by checkURL, which does not echo it
		}
		if first, ok := byCluster[e.Cluster]; !ok {
			byCluster[e.Cluster] = e
		} else if first.ArgoCDDestination() != server {
			out = append(out, Problem{Env: e.Name, Field: "argocdServer",
				Message: fmt.Sprintf("is %s, but environment %q of the same cluster %q deploys to %s: a cluster is one Argo CD destination; give its environments one argocdServer, or put this one on another cluster", server, first.Name, e.Cluster, first.ArgoCDDestination())})
			continue
		}
		if server == ArgoCDInCluster {
			continue // each cluster's own Argo CD
		}
		if first, ok := byServer[server]; !ok {
			byServer[server] = e
		} else if first.Cluster != e.Cluster {
			out = append(out, Problem{Env: e.Name, Field: "argocdServer",
				Message: fmt.Sprintf("%s is also where cluster %q deploys (environment %q): name that cluster %q here too, so that their namespaces are checked together", server, first.Cluster, first.Name, first.Cluster)})
		}
	}
	return out
}

// gitopsProblems checks the reconciler settings of a Kubernetes
// environment that only make sense together.
func gitopsProblems(e *Environment) []Problem {
	var out []Problem
	add := func(field, format string, args ...any) {
		out = append(out, Problem{Env: e.Name, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	sops := e.Credentials.SOPSFile
	switch {
	case sops != "" && e.GitOps != "flux":
		if e.Existing {
			add("credentials.sopsFile", "Argo CD does not decrypt SOPS files: it would apply the encrypted Secret as is; remove credentials.sopsFile and keep Secret %s the running instance has (existing: true), or use credentials.externalSecret", e.Credentials.SecretName)
			break
		}
		add("credentials.sopsFile", "Argo CD does not decrypt SOPS files: it would apply the encrypted Secret as is; use credentials.externalSecret, or create the Secret with `cht-gen secrets %s | kubectl apply -f -`", e.Name)
	case sops != "" && e.Credentials.ExternalSecret != nil:
		add("credentials.sopsFile", "and credentials.externalSecret both make Secret %s: keep one", e.Credentials.SecretName)
	case sops == "" && e.Flux.SOPSSecret != "":
		add("flux.sopsSecret", "makes Flux wait for Secret %s and then decrypts nothing: set credentials.sopsFile to the SOPS-encrypted credentials file committed in the overlay (e.g. \"secrets/%s.enc.yaml\", see cht-gen docs/kubernetes.md, SOPS), or remove flux.sopsSecret", e.Flux.SOPSSecret, e.Name)
	}
	if e.GitOps != "argocd" && e.ArgoCDDestination() != ArgoCDInCluster {
		out = append(out, Problem{Env: e.Name, Field: "argocdServer", Warning: true,
			Message: fmt.Sprintf("has no effect: environment %q is reconciled by %s, which applies it in the cluster it runs in", e.Name, e.GitOps)})
	}
	if e.Suspended && e.GitOps == "argocd" && e.ArgoCDMode == "applicationset" {
		add("suspended", "cannot park one environment of an ApplicationSet (its template is shared): use argocdMode \"application\"")
	}
	return out
}

// ulimitProblems warns where couchdb.ulimit cannot do what it says: Medic's
// CouchDB image reads DEFAULT_ULIMIT from 4.20.0 only, and a Kubernetes pod
// cannot set a container's open-files limit.
func ulimitProblems(e *Environment, versionOK bool) []Problem {
	if e.CouchDB.Ulimit <= 0 || !versionOK {
		return nil
	}
	warn := func(msg string) []Problem {
		return []Problem{{Env: e.Name, Field: "couchdb.ulimit", Warning: true, Message: msg}}
	}
	if !e.Has(DefaultUlimitSwitch) {
		return warn(fmt.Sprintf("has no effect: Medic's CouchDB image of CHT %s always raises the open-files limit to 100000 (DEFAULT_ULIMIT came in 4.20.0); remove couchdb.ulimit or upgrade", e.Version))
	}
	if e.Target == Kubernetes {
		return warn("sets DEFAULT_ULIMIT=true, so CouchDB keeps the container runtime's open-files limit instead of raising it to 100000; the number itself has no effect on Kubernetes (a pod cannot set a container's ulimit)")
	}
	return nil
}
