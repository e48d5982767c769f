package handover

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/cht-gen/cht-gen/generator/model"
)

// KubernetesOptions tune a Kubernetes handover.
type KubernetesOptions struct {
	// Release is the Helm release that runs the instance; default: the
	// environment's name (Medic's deploy script names it project_name).
	Release string
	// Overlay is every object e's overlay builds to (kustomize build), as
	// kubectl names them. The reconciler adopts these in place; whatever
	// else the Helm release made is removed. Required.
	Overlay []Object
}

// Object is one Kubernetes object, by API version, kind and name.
type Object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// KubectlName is how `kubectl get -o name` prints o: kind.group/name,
// lower-case, no group for the core API.
func (o Object) KubectlName() string {
	kind := strings.ToLower(o.Kind)
	if group, _, ok := strings.Cut(o.APIVersion, "/"); ok {
		kind += "." + group
	}
	return kind + "/" + o.Name
}

// Annotations the reconcilers read: neither prunes nor deletes an object
// carrying them (the rendered claims and volumes carry them too).
const (
	fluxPrune   = "kustomize.toolkit.fluxcd.io/prune=disabled"
	argoOptions = "argocd.argoproj.io/sync-options=Prune=false,Delete=false"
)

// dataKinds are what the removal of Helm's leftovers must never delete:
// they hold CouchDB's data or its credentials.
var dataKinds = []string{"persistentvolumeclaim/", "persistentvolume/", "secret/"}

// claim is one CouchDB node's claim as the environment describes it.
type claim struct {
	node   int
	name   string
	volume string // the pre-existing volume it must be bound to; "" for a dynamic one
	class  string // the storage class it must have; "" with any: the cluster default
	anyCls bool
	ebs    string // the EBS volume id of a pre-existing volume
	path   string // the host path of a pre-existing local volume
	// new: Medic's chart had no claim for it (cht-chart-4x mounts a
	// single node's host folder directly); the overlay creates it.
	new bool
}

// Kubernetes plans the handover of a Kubernetes environment from the Helm
// release of Medic's chart that runs it.
func Kubernetes(e *model.Environment, o KubernetesOptions) (Plan, error) {
	if e.Target != model.Kubernetes {
		return Plan{}, fmt.Errorf("environment %s targets %s, not kubernetes", e.Name, e.Target)
	}
	if len(o.Overlay) == 0 {
		return Plan{}, errors.New("no overlay objects: the handover keeps what the overlay renders, so it needs them")
	}
	release := o.Release
	if release == "" {
		release = e.Name
	}
	// Helm's own rule (chartutil.ValidateReleaseName): a DNS subdomain of
	// at most 53 characters.
	if msgs := validation.IsDNS1123Subdomain(release); len(msgs) > 0 || len(release) > 53 {
		return Plan{}, fmt.Errorf("%q is not a Helm release name: lower-case letters, digits, - and ., at most 53 characters", release)
	}
	size, err := resource.ParseQuantity(e.CouchDB.Storage.Size)
	if err != nil {
		return Plan{}, fmt.Errorf("couchdb.storage.size %q: %w", e.CouchDB.Storage.Size, err)
	}
	k := &k8s{e: e, release: release, size: size.String(), claims: claims(e), overlay: o.Overlay}
	steps := []func() (Step, error){
		k.context, k.helmRelease, k.claimsBound, k.volumes, k.secret, k.helmOnlyCheck,
		k.retain, k.protect, k.removeHelmOnly, k.apiUpgradeServiceURL, k.dropHelmOwnership, k.forget,
	}
	p := Plan{Environment: e.Name, Target: e.Target}
	for _, step := range steps {
		s, err := step()
		if err != nil {
			return Plan{}, fmt.Errorf("environment %s: %w", e.Name, err)
		}
		if s.Name != "" {
			p.Steps = append(p.Steps, s)
		}
	}
	return p, nil
}

// claims are the CouchDB claims e's overlay renders, with what each must be
// bound to (the names of Medic's charts, which cht-gen keeps).
func claims(e *model.Environment) []claim {
	st := e.CouchDB.Storage
	var out []claim
	for n := 1; n <= e.CouchDB.Nodes; n++ {
		c := claim{node: n, name: "couchdb-claim0", class: st.Class, anyCls: st.Class == ""}
		pv := "couchdb-pv-" + e.Namespace
		if e.CouchDB.Clustered() {
			c.name, pv = fmt.Sprintf("couchdb-%d-claim0", n), fmt.Sprintf("couchdb-pv-%s-%d", e.Namespace, n)
		}
		if ex := st.Existing; ex != nil {
			c.volume, c.anyCls = pv, false
			if len(ex.EBSVolumeIDs) >= n {
				c.ebs = ex.EBSVolumeIDs[n-1]
			}
			if len(ex.HostPaths) >= n {
				c.path = ex.HostPaths[n-1]
				c.new = !e.CouchDB.Clustered() && !e.Has(model.CoreHelmChart)
			}
		}
		out = append(out, c)
	}
	return out
}

// k8s builds the steps of one Kubernetes handover.
type k8s struct {
	e       *model.Environment
	release string
	size    string // the claims' size, canonical as the API server prints it
	claims  []claim
	overlay []Object
}

// script collects a step's lines; q quotes a value for sh and keeps the
// first value that cannot be quoted as the step's error.
type script struct {
	prelude string // the sh functions every step defines: fail and say
	b       strings.Builder
	err     error
}

func (s *script) q(v string) string {
	out, err := quote(v)
	if err != nil && s.err == nil {
		s.err = err
	}
	return out
}

func (s *script) line(format string, args ...any) { fmt.Fprintf(&s.b, format+"\n", args...) }

func (s *script) step(name string, kind Kind, why string) (Step, error) {
	if s.err != nil {
		return Step{}, fmt.Errorf("step %s: %w", name, s.err)
	}
	return Step{Name: name, Why: why, Kind: kind, Script: s.prelude + s.b.String()}, nil
}

// newScript starts a step: fail MESSAGE... stops the script with the
// message on stderr; say MESSAGE... reports. Both name the environment.
func (k *k8s) newScript() *script {
	s := &script{}
	who := s.q("handover " + k.e.Name + ":")
	s.prelude = fmt.Sprintf("fail() { echo %s \"$*\" >&2; exit 1; }\nsay() { echo %s \"$*\"; }\n", who, who)
	return s
}

// kubectl is "kubectl -n NAMESPACE", quoted in s.
func (k *k8s) kubectl(s *script) string { return "kubectl -n " + s.q(k.e.Namespace) }

func (k *k8s) context() (Step, error) {
	s := k.newScript()
	e := k.e
	s.line(`command -v kubectl >/dev/null || fail 'kubectl not found on PATH'`)
	s.line(`command -v helm >/dev/null || fail 'helm not found on PATH'`)
	s.line(`ctx=$(kubectl config current-context) || fail 'kubectl has no current context: select cluster' %s 'with kubectl config use-context'`, s.q(e.Cluster))
	s.line(`kubectl get namespace %s >/dev/null || fail namespace %s 'not found in context' "$ctx": 'is it cluster' %s of environment %s'?'`,
		s.q(e.Namespace), s.q(e.Namespace), s.q(e.Cluster), s.q(e.Name))
	s.line(`say context "$ctx", namespace %s`, s.q(e.Namespace))
	return s.step("context", Check, "kubectl and helm act on the current context: make sure it is the cluster of this environment and that its namespace exists.")
}

// helmRelease reports whether the Helm release is still there: a second run,
// after an earlier one made Helm forget it, goes on (every change is
// idempotent); the claims' and the Secret's Helm annotations tell whether
// they belong to another release.
func (k *k8s) helmRelease() (Step, error) {
	s := k.newScript()
	r, ns := s.q(k.release), s.q(k.e.Namespace)
	s.line(`if helm status %s -n %s >/dev/null 2>&1; then`, r, ns)
	s.line(`  say Helm release %s found in namespace %s: it is handed over below`, r, ns)
	s.line(`else`)
	s.line(`  say Helm release %s not in namespace %s: Helm forgot it in an earlier run, or --release names another release '(checked below)'`, r, ns)
	s.line(`fi`)
	return s.step("helm-release", Check, "The release Medic's chart was installed as. Its absence is not an error: a second run finds it forgotten by the first.")
}

func (k *k8s) claimsBound() (Step, error) {
	s := k.newScript()
	e, kc := k.e, k.kubectl(s)
	nodes := fmt.Sprintf("%d CouchDB node(s) (couchdb.nodes)", e.CouchDB.Nodes)
	// A claim of another node count means another topology: the overlay
	// would start CouchDB nodes on new, empty claims.
	var others []string
	if e.CouchDB.Clustered() {
		others = append(others, "couchdb-claim0", fmt.Sprintf("couchdb-%d-claim0", e.CouchDB.Nodes+1))
	} else {
		others = append(others, "couchdb-1-claim0")
	}
	for _, c := range others {
		s.line(`! %s get pvc %s >/dev/null 2>&1 || fail claim %s exists in namespace %s, but the environment describes %s: the instance runs another CouchDB topology`,
			kc, s.q(c), s.q(c), s.q(e.Namespace), s.q(nodes))
	}
	for _, c := range k.claims {
		if c.new {
			k.hostPathDeployment(s, c)
			continue
		}
		s.line(`got=$(%s get pvc %s -o jsonpath='{.status.phase}|{.spec.volumeName}|{.spec.storageClassName}|{.spec.resources.requests.storage}|{.metadata.annotations.meta\.helm\.sh/release-name}' 2>/dev/null) ||`, kc, s.q(c.name))
		s.line(`  fail claim %s not found in namespace %s: the environment describes %s`, s.q(c.name), s.q(e.Namespace), s.q(nodes))
		s.line(`IFS='|' read -r phase volume class size owner <<EOF`)
		s.line(`$got`)
		s.line(`EOF`)
		s.line(`[ "$phase" = Bound ] || fail claim %s is "$phase", not Bound`, s.q(c.name))
		if c.volume != "" {
			s.line(`[ "$volume" = %s ] || fail claim %s is bound to volume "$volume"';' the environment describes pre-existing volume %s '(couchdb.storage.existing)'`, s.q(c.volume), s.q(c.name), s.q(c.volume))
		}
		if !c.anyCls {
			s.line(`[ "$class" = %s ] || fail claim %s has storage class "[$class]"';' the environment renders %s '(couchdb.storage.class): the class of a claim cannot change'`, s.q(c.class), s.q(c.name), s.q("["+c.class+"]"))
		}
		s.line(`[ "$size" = %s ] || fail claim %s requests "$size"';' the environment renders %s '(couchdb.storage.size)': set it to "$size"`, s.q(k.size), s.q(c.name), s.q(k.size))
		s.line(`[ -z "$owner" ] || [ "$owner" = %s ] || fail claim %s belongs to Helm release "$owner", not %s: pass --release "$owner"`, s.q(k.release), s.q(c.name), s.q(k.release))
	}
	return s.step("claims-bound", Check, "Each CouchDB node's data is on its claim. The overlay renders the claims of Medic's chart by name; the reconciler adopts them only if they exist, are bound, and have the class and size it renders (a claim's class cannot change, a smaller size is refused).")
}

// hostPathDeployment checks a single node's host folder, which
// cht-chart-4x mounts directly (no claim): the overlay's local volume
// must name the same folder.
func (k *k8s) hostPathDeployment(s *script, c claim) {
	kc := k.kubectl(s)
	s.line(`if ! %s get pvc %s >/dev/null 2>&1; then`, kc, s.q(c.name))
	s.line(`  path=$(%s get deployment cht-couchdb -o jsonpath='{.spec.template.spec.volumes[?(@.hostPath)].hostPath.path}') || fail deployment cht-couchdb not found in namespace %s`, kc, s.q(k.e.Namespace))
	s.line(`  [ "$path" = %s ] || fail CouchDB mounts host folder "$path"';' the environment describes %s '(couchdb.storage.existing.hostPaths)'`, s.q(c.path), s.q(c.path))
	s.line(`fi`)
}

func (k *k8s) volumes() (Step, error) {
	s := k.newScript()
	kc := k.kubectl(s)
	for _, c := range k.claims {
		if c.new {
			continue
		}
		s.line(`pv=$(%s get pvc %s -o jsonpath='{.spec.volumeName}')`, kc, s.q(c.name))
		s.line(`got=$(kubectl get pv "$pv" -o jsonpath='{.spec.claimRef.namespace}/{.spec.claimRef.name}|{.spec.csi.volumeHandle}|{.spec.local.path}') || fail volume "$pv" of claim %s not found`, s.q(c.name))
		s.line(`IFS='|' read -r ref handle path <<EOF`)
		s.line(`$got`)
		s.line(`EOF`)
		want := k.e.Namespace + "/" + c.name
		s.line(`[ "$ref" = %s ] || fail volume "$pv" is bound to "$ref", not to claim %s`, s.q(want), s.q(want))
		if c.ebs != "" {
			s.line(`[ "$handle" = %s ] || fail volume "$pv" is EBS volume "$handle"';' the environment describes %s '(couchdb.storage.existing.ebsVolumeIDs)'`, s.q(c.ebs), s.q(c.ebs))
		}
		if c.path != "" {
			s.line(`[ "$path" = %s ] || fail volume "$pv" is host folder "$path"';' the environment describes %s '(couchdb.storage.existing.hostPaths)'`, s.q(c.path), s.q(c.path))
		}
	}
	if s.b.Len() == 0 {
		return Step{}, nil
	}
	return s.step("volumes", Check, "Each claim's volume is the one the environment describes: bound to that claim, and for pre-existing volumes the same EBS volume or host folder.")
}

func (k *k8s) secret() (Step, error) {
	s := k.newScript()
	e, kc := k.e, k.kubectl(s)
	name := s.q(e.Credentials.SecretName)
	s.line(`%s get secret %s >/dev/null 2>&1 || fail Secret %s not found in namespace %s: CHT reads its CouchDB credentials from it '(credentials.secretName)'`, kc, name, name, s.q(e.Namespace))
	s.line(`for key in %s; do`, strings.Join(model.CredentialKeys, " "))
	// The value is tested, never printed.
	s.line(`  [ -n "$(%s get secret %s -o "jsonpath={.data.$key}")" ] || fail Secret %s has no key "$key"`, kc, name, name)
	s.line(`done`)
	return s.step("credentials-secret", Check, "CHT's services read the CouchDB credentials from this Secret, which Medic's chart made from the values' passwords. It is kept exactly as it is: CouchDB's data already uses those credentials.")
}

// keep are the objects the reconciler adopts: the overlay's and the
// credentials Secret, as `kubectl get -o name` prints them, sorted.
func (k *k8s) keep() []string {
	set := map[string]bool{"secret/" + k.e.Credentials.SecretName: true}
	for _, o := range k.overlay {
		set[o.KubectlName()] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// helmOnly sets $helm_only to what the release made that still exists and
// the overlay does not render (empty once Helm forgot the release), and
// stops if that holds data or credentials.
func (k *k8s) helmOnly(s *script) {
	kc, r, ns := k.kubectl(s), s.q(k.release), s.q(k.e.Namespace)
	s.line(`helm_only=`)
	s.line(`if helm status %s -n %s >/dev/null 2>&1; then`, r, ns)
	s.line(`  manifest=$(helm get manifest %s -n %s) || fail cannot read the manifest of Helm release %s`, r, ns, r)
	s.line(`  made=$(printf '%%s\n' "$manifest" | %s get -f - -o name --ignore-not-found) || fail cannot list the objects of Helm release %s`, kc, r)
	var keep []string
	for _, n := range k.keep() {
		keep = append(keep, "-e "+s.q(n))
	}
	s.line(`  helm_only=$(printf '%%s\n' "$made" | grep -vxF %s || true)`, strings.Join(keep, " "))
	s.line(`fi`)
	var kinds []string
	for _, d := range dataKinds {
		kinds = append(kinds, d+"*")
	}
	s.line(`for o in $helm_only; do`)
	s.line(`  case $o in %s) fail Helm release %s made "$o", which the overlay does not render: it may hold data or credentials, so the handover stops';' make the environment describe it, or move it yourself;; esac`, strings.Join(kinds, "|"), r)
	s.line(`done`)
}

func (k *k8s) helmOnlyCheck() (Step, error) {
	s := k.newScript()
	k.helmOnly(s)
	s.line(`[ -z "$helm_only" ] || say Helm-only objects to remove: $helm_only`)
	return s.step("helm-only-objects", Check, "What the Helm release made and the overlay does not render (the upgrade service's Deployment, Service, ServiceAccount, Role and RoleBinding on 4.x) would run on unmanaged: Flux and Argo CD prune only what they applied. None of it may be a claim, a volume or a Secret.")
}

func (k *k8s) retain() (Step, error) {
	s := k.newScript()
	kc := k.kubectl(s)
	for _, c := range k.claims {
		s.line(`pv=$(%s get pvc %s -o jsonpath='{.spec.volumeName}' --ignore-not-found)`, kc, s.q(c.name))
		s.line(`[ -z "$pv" ] || kubectl patch pv "$pv" -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`)
	}
	return s.step("retain-volumes", Change, "A dynamically provisioned volume (ebs-gp2, standard-rwo, local-path) has reclaim policy Delete: deleting its claim, by hand or by any tool, would delete the disk and CouchDB's data. Retain keeps the disk whatever happens to the claim.")
}

func (k *k8s) protect() (Step, error) {
	s := k.newScript()
	kc := k.kubectl(s)
	for _, c := range k.claims {
		s.line(`pv=$(%s get pvc %s -o jsonpath='{.spec.volumeName}' --ignore-not-found)`, kc, s.q(c.name))
		s.line(`[ -z "$pv" ] || %s annotate --overwrite pvc %s %s %s`, kc, s.q(c.name), s.q(fluxPrune), s.q(argoOptions))
		s.line(`[ -z "$pv" ] || kubectl annotate --overwrite pv "$pv" %s %s`, s.q(fluxPrune), s.q(argoOptions))
	}
	s.line(`%s annotate --overwrite secret %s %s %s`, kc, s.q(k.e.Credentials.SecretName), s.q(fluxPrune), s.q(argoOptions))
	return s.step("protect-data", Change, "Flux and Argo CD never prune or delete an object with these annotations, even when the environment leaves Git. The overlay renders the same annotations on the claims and volumes; the credentials Secret is not in Git, so it gets them here.")
}

func (k *k8s) removeHelmOnly() (Step, error) {
	s := k.newScript()
	k.helmOnly(s)
	s.line(`[ -z "$helm_only" ] || %s delete --ignore-not-found $helm_only`, k.kubectl(s))
	return s.step("remove-helm-only", Change, "Removes what the Helm release made that the overlay does not render, while Helm still lists it (a second run finds nothing left). The claims, volumes and the credentials Secret are never among them: the check above stops otherwise.")
}

// apiUpgradeServiceURL removes API's UPGRADE_SERVICE_URL where the
// environment runs no upgrade service (4.x only: the 5.x chart never sets
// it). Server-side apply leaves a field it does not render to Helm's
// field manager, so the overlay's env list cannot remove it (issue 22).
func (k *k8s) apiUpgradeServiceURL() (Step, error) {
	if !k.e.Has(model.KubernetesUpgradeService) || k.e.UpgradeService.Enabled {
		return Step{}, nil
	}
	s := k.newScript()
	kc := k.kubectl(s)
	s.line(`url=$(%s get deployment cht-api -o jsonpath='{.spec.template.spec.containers[?(@.name=="cht-api")].env[?(@.name=="UPGRADE_SERVICE_URL")].name}' --ignore-not-found)`, kc)
	s.line(`[ -z "$url" ] || %s set env deployment/cht-api -c cht-api UPGRADE_SERVICE_URL-`, kc)
	return s.step("api-upgrade-service-url", Change, "Medic's chart gives API UPGRADE_SERVICE_URL, the upgrade service's address, which the overlay leaves out when the environment runs no upgrade service: after remove-helm-only it names a deleted Service. Server-side apply would leave it in place (Helm's field manager owns it), so it is removed here; API restarts once, and an in-app upgrade then fails at once (upgrade through Git). A second run finds nothing to remove.")
}

func (k *k8s) dropHelmOwnership() (Step, error) {
	s := k.newScript()
	kc, r := k.kubectl(s), s.q(k.release)
	var objs []string
	for _, n := range k.keep() {
		objs = append(objs, s.q(n))
	}
	s.line(`for o in %s; do`, strings.Join(objs, " "))
	s.line(`  owner=$(%s get "$o" -o jsonpath='{.metadata.annotations.meta\.helm\.sh/release-name}' --ignore-not-found)`, kc)
	s.line(`  [ "$owner" = %s ] || continue`, r)
	s.line(`  %s annotate "$o" meta.helm.sh/release-name- meta.helm.sh/release-namespace-`, kc)
	s.line(`  %s label "$o" app.kubernetes.io/managed-by-`, kc)
	s.line(`done`)
	return s.step("drop-helm-ownership", Change, "Helm adopts an existing object into a release when it carries Helm's ownership label and annotations. Without them, a later `helm install` or `helm upgrade --install` of this release stops with \"invalid ownership metadata\" instead of taking the instance back (and overwriting its credentials from a values file).")
}

func (k *k8s) forget() (Step, error) {
	s := k.newScript()
	kc, r, ns := k.kubectl(s), s.q(k.release), s.q(k.e.Namespace)
	sel := s.q("owner=helm,name=" + k.release)
	s.line(`%s delete secret -l %s --field-selector type=helm.sh/release.v1 --ignore-not-found`, kc, sel)
	s.line(`%s delete configmap -l %s --ignore-not-found`, kc, sel)
	s.line(`! helm status %s -n %s >/dev/null 2>&1 || fail Helm still lists release %s in namespace %s`, r, ns, r, ns)
	s.line(`say Helm forgot release %s: helm uninstall or helm upgrade can no longer touch the instance';' let the reconciler apply the overlay`, r)
	return s.step("forget-helm-release", Change, "Helm keeps each release as Secrets (or ConfigMaps) labelled owner=helm and name=<release>; deleting them makes Helm forget the release without deleting anything it made. `helm uninstall` would delete the claims and the Secret: the helm.sh/resource-policy annotation cannot prevent that on a running release, since Helm reads it from the release's stored manifest, not from the cluster.")
}
