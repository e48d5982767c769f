package kustomize

import (
	"fmt"
	"path"
	"strings"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// readme tells the operator what the overlay expects to find in the
// cluster: the credentials Secret above all, which Git never holds.
func readme(e *model.Environment, source string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	b.WriteString(files.MarkdownHeader(source))
	w("# %s: CHT %s on Kubernetes\n\n", e.Name, e.Version)
	w("Namespace `%s` on cluster `%s`, reconciled by %s from `%s` (branch `%s`).\n", e.Namespace, e.Cluster, e.GitOps, e.RepoURL, e.Branch)
	w("Host `%s`, CouchDB %s, storage %s. Rendered by cht-gen from `%s`;\n", e.Host, nodeSummary(e), storageSummary(e), source)
	w("change that file, not these.\n\n")

	w("## Before the first sync: the credentials Secret\n\n")
	w("The overlay never contains secret values. CHT's services read Secret `%s`\n", e.Credentials.SecretName)
	w("in namespace `%s`, keys %s.\n\n", e.Namespace, "`"+strings.Join(model.CredentialKeys, "`, `")+"`")
	switch es, sops := e.Credentials.ExternalSecret, e.Credentials.SOPSFile; {
	case es != nil:
		w("This overlay renders an `ExternalSecret` that fills it from %s `%s`, key `%s`\n", es.StoreKind, es.StoreName, es.RemoteKey)
		w("(refreshed every %s). The External Secrets Operator must be installed and the key\n", es.RefreshInterval)
		w("must hold the five properties above; `COUCH_URL` is\n")
		w("`http://<user>:<url-encoded password>@haproxy.%s.svc.cluster.local:5984/medic`.\n", e.Namespace)
	case sops != "":
		p := e.PathPrefix + "/" + OverlayDir(e) + "/" + sops
		w("It comes from `%s` in this folder: your file, SOPS-encrypted and committed.\n", sops)
		w("`kustomization.yaml` lists it; cht-gen checks it on every render and never writes it.\n")
		w("Flux decrypts it with the key in Secret `%s/%s`. Once, with an age key:\n\n", "flux-system", e.Flux.SOPSSecret)
		w("```\nage-keygen -o age.agekey   # keep it safe; its public key is age1...\n")
		w("mkdir -p %s\n", path.Dir(p))
		w("%s\n", SOPSCommand(e, p))
		w("kubectl -n flux-system create secret generic %s --from-file=age.agekey=age.agekey\n```\n\n", e.Flux.SOPSSecret)
		w("then render, commit and push. Render and validate refuse the file if it is missing,\n")
		w("not encrypted, holds a value in clear, or is not this Secret with all five keys.\n")
	case e.Existing:
		w("This instance runs already (`existing: true`): its CouchDB has data under the\n")
		w("credentials of that Secret. **Keep the Secret as it is**: never run `cht-gen secrets`\n")
		w("for it (it refuses), and never re-create it from a values file. `cht-gen handover %s`\n", e.Name)
		w("checks that it holds the keys above and keeps it while it moves the instance under\n")
		w("%s in place (docs/adopt-kubernetes.md). Back it up, outside Git:\n\n", e.GitOps)
		w("```\nkubectl -n %s get secret %s -o yaml > %s-credentials.yaml\n```\n", e.Namespace, e.Credentials.SecretName, e.Name)
	default:
		w("Create it once, before the reconciler first applies the overlay. The output starts\n")
		w("with namespace `%s` (the labels and annotations of `namespace.yaml`, so the\n", e.Namespace)
		w("reconciler adopts it), then the Secret, so this works on a fresh cluster:\n\n")
		w("```\ncht-gen secrets %s | kubectl apply -f -\n```\n\n", e.Name)
		w("`cht-gen secrets` makes fresh random values (URL-safe, so `COUCH_URL` works).\n")
		w("Run it once: running it again replaces the credentials of a running CouchDB.\n")
		if e.GitOps == "flux" {
			w("To keep the Secret in Git instead, encrypted, set `credentials.sopsFile` (README: SOPS).\n")
		}
	}

	if ex := e.CouchDB.Storage.Existing; ex != nil && len(ex.HostPaths) > 0 {
		w("\n## Before the first sync: CouchDB's directories\n\n")
		w("Each CouchDB node uses a directory that must exist on its Kubernetes node\n")
		w("(Medic's chart makes them with a Helm hook Job, which GitOps engines do not run):\n\n")
		for i, p := range ex.HostPaths {
			node := "(any node)"
			if i < len(e.CouchDB.Placement.Nodes) {
				node = "`" + e.CouchDB.Placement.Nodes[i] + "`"
			}
			w("- CouchDB node %d: `%s` on %s\n", i+1, p, node)
		}
		w("\nCouchDB's data is in its `%s` subfolder; keep it when moving volumes.\n", e.CouchDB.Storage.SubPath)
	}

	w("\n## Upgrades\n\n")
	w("The version lives in Git: `cht-gen bump %s --to <version>` opens a pull request;\n", e.Name)
	w("merging it is the upgrade. ")
	if !e.Has(model.KubernetesUpgradeService) {
		w("From CHT 5.0 there is no upgrade service on Kubernetes: Medic's\n")
		w("chart dropped it and the admin app only offers \"Stage\" (cht-core #10186). Stage the\n")
		w("target version there and merge once staging has finished, so the new views are\n")
		w("built before the new version starts.\n")
	} else if e.UpgradeService.Enabled {
		w("Medic's upgrade service is enabled here: an upgrade started in the\n")
		w("CHT admin app patches Deployments that %s then reverts. Upgrade through Git.\n", e.GitOps)
	} else {
		w("Medic's in-app upgrade service is not deployed, because %s would\n", e.GitOps)
		w("revert what it patches (cht-core #10186).\n")
	}

	if e.Has(model.Nouveau) {
		nouveauSection(w, e)
	}
	b.WriteString(model.MoveTo5Readme(e))

	w("\n## Files\n\n")
	base := "base"
	if e.Has(model.CoreHelmChart) {
		base = "base-5"
	}
	w("- `kustomization.yaml`: the overlay over `../../%s`; images pinned in the `patch-*.yaml` files.\n", base)
	w("- `namespace.yaml`, `couchdb-servers-configmap.yaml`, `storage.yaml`")
	if e.CouchDB.Clustered() {
		w(", `couchdb.yaml` (nodes 1..%d)", e.CouchDB.Nodes)
	}
	if e.Has(model.Nouveau) {
		w(", `nouveau.yaml`")
	}
	if e.Ingress.Enabled {
		w(", `ingress.yaml`")
	}
	if e.Credentials.ExternalSecret != nil {
		w(", `external-secret.yaml`")
	}
	w(".\n- `patch-*.yaml`: this namespace's service addresses, resources and placement.\n")
	if f := e.Credentials.SOPSFile; f != "" {
		w("- `%s`: yours, SOPS-encrypted; listed in `kustomization.yaml`, never written by cht-gen.\n", f)
	}
	return b.String()
}

func nodeSummary(e *model.Environment) string {
	if e.CouchDB.Clustered() {
		return fmt.Sprintf("cluster of %d", e.CouchDB.Nodes)
	}
	return "single node"
}

func storageSummary(e *model.Environment) string {
	st := e.CouchDB.Storage
	switch {
	case st.Existing != nil && len(st.Existing.EBSVolumeIDs) > 0:
		return fmt.Sprintf("%s on existing EBS volumes", st.Size)
	case st.Existing != nil:
		return fmt.Sprintf("%s on existing host paths", st.Size)
	case st.Class != "":
		return fmt.Sprintf("%s, class `%s`", st.Size, st.Class)
	default:
		return fmt.Sprintf("%s, default class", st.Size)
	}
}

// nouveauSection says where nouveau runs and what disk room it needs.
func nouveauSection(w func(string, ...any), e *model.Environment) {
	pod, node := "`cht-couchdb`", "CouchDB's volume"
	if e.CouchDB.Clustered() {
		pod, node = "`cht-couchdb-1`", "CouchDB node 1's volume"
	}
	w("\n## Nouveau\n\n")
	if nouveauPerNode(e) {
		w("CouchDB's full-text search runs in nouveau (image `cht-couchdb-nouveau`, port 5987),\n")
		w("a second container of every CouchDB pod `cht-couchdb-N` (from CHT 5.3.0; before,\n")
		w("only node 1 ran one and every node searched through it). Each node has its own\n")
		w("Service `nouveau-N` and CouchDB node N reads `NOUVEAU_URL=http://nouveau-N:5987`.\n")
		w("Each node's indexes live on its own volume (`couchdb-N-claim0`), in the volume's\n")
		w("`data` folder (Medic's chart mounts it at `/data/nouveau` with subPath `data`), ")
	} else {
		w("CouchDB's full-text search runs in nouveau (image `cht-couchdb-nouveau`, Service\n")
	}
	switch {
	case nouveauPerNode(e):
	case e.Has(model.NouveauInCouchDBPod):
		w("`nouveau`, port 5987), a second container of the CouchDB pod %s.\n", pod)
	default:
		w("`nouveau`, port 5987), in its own Deployment `cht-couchdb-nouveau`, scheduled on\n")
		w("the node of the CouchDB pod %s because it shares its ReadWriteOnce claim\n", pod)
		w("(from CHT 5.0.1 it is a container of that pod).\n")
	}
	if !nouveauPerNode(e) {
		w("Its indexes live on %s, in the volume's `data` folder (Medic's chart\n", node)
		w("mounts it at `/data/nouveau` with subPath `data`), ")
	}
	sp := e.CouchDB.Storage.NodeSubPath(1)
	if !e.CouchDB.Clustered() {
		sp = e.CouchDB.Storage.SubPath // as couchdbSingle mounts it
	}
	switch sp {
	case "data":
		w("which is also CouchDB's data folder.\n")
	case "":
		w("a subfolder of CouchDB's data, which fills the volume.\n")
	default:
		w("beside CouchDB's data (subPath `%s`).\n", sp)
	}
	w("Give that volume room: moving to 5.x rebuilds views and builds the nouveau\n")
	w("indexes, and Medic asks for up to 5 times the disk CouchDB uses before the\n")
	w("upgrade (https://docs.communityhealthtoolkit.org/hosting/cht/migration/preparing-for-5/).\n")
}

// SOPSCommand is how the overlay README, secrets --help and errors say to make credentials.sopsFile.
func SOPSCommand(e *model.Environment, path string) string {
	return fmt.Sprintf("cht-gen secrets %s --secret-only | sops --encrypt --age <age1 public key> --encrypted-regex '^(data|stringData)$' --input-type yaml --output-type yaml /dev/stdin > %s", e.Name, path)
}
