// Package helmcompare compares manifests cht-gen builds with `helm template`
// of Medic's charts, up to a list of reviewed differences, for tests. The
// Kubernetes conformance tests (generator/kustomize) and the import round
// trip (generator/importer) both use it, so each reviewed difference is
// written, and explained, once.
package helmcompare

import (
	"bytes"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/cht-gen/cht-gen/internal/reference"
)

// Object is any decoded Kubernetes object.
type Object interface {
	metav1.Object
	runtime.Object
}

// Objects are decoded objects keyed "Kind/name".
type Objects map[string]Object

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, rbacv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// Decode decodes a YAML stream strictly into typed objects.
func Decode(t testing.TB, stream []byte) Objects {
	t.Helper()
	dec := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
	r := utilyaml.NewYAMLReader(bufioReader(stream))
	out := Objects{}
	for {
		doc, err := r.Read()
		if err != nil {
			break
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, gvk, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("decode:\n%s\n%v", doc, err)
		}
		o := obj.(Object)
		out[gvk.Kind+"/"+o.GetName()] = o
	}
	return out
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.Bytes()
}

// Helm is the helm binary on PATH, or skips the test.
func Helm(t testing.TB) string {
	t.Helper()
	helm, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm not on PATH (make test installs v3.22.0 into ./bin)")
	}
	return helm
}

// Reference is a path under the reference's cht/ folder (Medic's files,
// pinned by internal/reference/manifest.yaml and verified), or skips the
// test when they are absent (fails it when CHT_REFERENCE_REQUIRED=1).
func Reference(t testing.TB, parts ...string) string {
	t.Helper()
	return reference.Path(t, append([]string{"cht"}, parts...)...)
}

// Template runs `helm template cht CHART --namespace NS args...`.
func Template(t testing.TB, chart, namespace string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(Helm(t), append([]string{"template", "cht", chart, "--namespace", namespace}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	return out
}

// Difference is one reviewed way cht-gen's output differs from Medic's
// chart. Apply removes it from the two object sets and reports whether
// there was anything to remove, so an entry that stops applying fails.
type Difference struct {
	Why   string
	Apply func(ours, medic Objects) bool
}

// OnlyIn drops the objects whose key starts with prefix from one side.
func OnlyIn(side func(ours, medic Objects) Objects, prefix string) func(ours, medic Objects) bool {
	return func(ours, medic Objects) bool {
		m, found := side(ours, medic), false
		for k := range m {
			if strings.HasPrefix(k, prefix) {
				delete(m, k)
				found = true
			}
		}
		return found
	}
}

func Ours(ours, _ Objects) Objects   { return ours }
func Medic(_, medic Objects) Objects { return medic }

// EachOurs applies f to each of our objects.
func EachOurs(f func(o Object) bool) func(ours, medic Objects) bool {
	return func(ours, _ Objects) bool {
		found := false
		for _, o := range ours {
			found = f(o) || found
		}
		return found
	}
}

// drop removes key/value pairs from m (value "" matches any non-empty
// value) when every pair is there; nil when m empties.
func drop(m map[string]string, pairs ...string) (map[string]string, bool) {
	for i := 0; i < len(pairs); i += 2 {
		if v := m[pairs[i]]; v == "" || pairs[i+1] != "" && v != pairs[i+1] {
			return m, false
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		delete(m, pairs[i])
	}
	if len(m) == 0 {
		m = nil
	}
	return m, true
}

// Common are the differences every Kubernetes environment has.
var Common = []Difference{
	{"the overlay sets the namespace on every object (kustomize namespace:); helm template leaves it to --namespace", EachOurs(func(o Object) bool {
		had := o.GetNamespace() != ""
		o.SetNamespace("")
		return had
	})},
	{"the overlay labels every object app.kubernetes.io/part-of=cht and instance=<env> (metadata only, selectors unchanged)", EachOurs(func(o Object) bool {
		l, had := drop(o.GetLabels(), "app.kubernetes.io/part-of", "", "app.kubernetes.io/instance", "")
		o.SetLabels(l)
		return had
	})},
	{"claims and volumes are marked so neither Flux nor Argo CD prunes or deletes CouchDB's data", EachOurs(func(o Object) bool {
		a, had := drop(o.GetAnnotations(), "kustomize.toolkit.fluxcd.io/prune", "disabled", "argocd.argoproj.io/sync-options", "Prune=false,Delete=false")
		o.SetAnnotations(a)
		return had
	})},
	{"the overlay owns its Namespace object so Flux/Argo CD can create and prune it", OnlyIn(Ours, "Namespace/")},
	{"Git never holds secret values: the chart renders the credentials Secret, cht-gen expects it in the cluster (README, cht-gen secrets)", OnlyIn(Medic, "Secret/cht-couchdb-credentials")},
}

// Compare applies the differences (each must apply) and reports every
// object that still differs.
func Compare(t testing.TB, ours, medic Objects, diffs []Difference) {
	t.Helper()
	for _, d := range diffs {
		if !d.Apply(ours, medic) {
			t.Errorf("reviewed difference no longer applies, drop it: %s", d.Why)
		}
	}
	var keys []string
	for k := range ours {
		keys = append(keys, k)
	}
	for k := range medic {
		if _, ok := ours[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		o, m := ours[k], medic[k]
		switch {
		case m == nil:
			t.Errorf("%s: rendered by cht-gen, not by Medic's chart", k)
		case o == nil:
			t.Errorf("%s: rendered by Medic's chart, not by cht-gen", k)
		default:
			if d := cmp.Diff(m, o); d != "" {
				t.Errorf("%s differs from Medic's chart (-chart +cht-gen):\n%s", k, d)
			}
		}
	}
}

// Summary lists keys for messages.
func Summary(objs Objects) string {
	var ks []string
	for k := range objs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return fmt.Sprint(ks)
}

// ClaimRef: cht-gen binds each pre-existing volume to its claim.
var ClaimRef = Difference{Why: "pre-existing volumes carry a claimRef so no other claim can take a volume holding CouchDB data", Apply: EachOurs(func(o Object) bool {
	pv, ok := o.(*corev1.PersistentVolume)
	if !ok || pv.Spec.ClaimRef == nil {
		return false
	}
	pv.Spec.ClaimRef = nil
	return true
})}

// ExistsTolerationValue: the chart renders toleration.value (default
// "true") even with operator Exists, which the API server refuses.
var ExistsTolerationValue = Difference{Why: "with toleration.operator Exists the chart still renders its default value \"true\", which the API server refuses (value must be empty when operator is Exists); cht-gen leaves the value out", Apply: func(_, medic Objects) bool {
	found := false
	for _, o := range medic {
		d, ok := o.(*appsv1.Deployment)
		if !ok {
			continue
		}
		for i, tl := range d.Spec.Template.Spec.Tolerations {
			if tl.Operator == corev1.TolerationOpExists && tl.Value != "" {
				d.Spec.Template.Spec.Tolerations[i].Value = ""
				found = true
			}
		}
	}
	return found
}}

// UpgradeServiceOff: `cht-gen import helm` leaves Medic's upgrade service
// off, which cht-chart-4x always deploys.
var UpgradeServiceOff = Difference{Why: "import leaves Medic's upgrade service off (it patches images GitOps reverts, cht-core #10186; reported on stderr): no Role, RoleBinding, ServiceAccount, Deployment, Service", Apply: func(_, medic Objects) bool {
	found := false
	for _, k := range []string{"Role/deployment-manager", "RoleBinding/deployment-manager-cht", "ServiceAccount/cht-upgrade-service-user", "Deployment/upgrade-service", "Service/upgrade-service"} {
		if _, ok := medic[k]; ok {
			delete(medic, k)
			found = true
		}
	}
	return found
}}

// UpgradeServiceURLOff: with the upgrade service off, API gets no
// UPGRADE_SERVICE_URL; cht-chart-4x always sets it (issue 22).
var UpgradeServiceURLOff = Difference{Why: "with the upgrade service off API has no UPGRADE_SERVICE_URL: Medic's chart points it at Service upgrade-service, which is not deployed (after a handover: deleted); without it API falls back to localhost:5008 (cht-core api/src/services/setup/utils.js), so an in-app upgrade fails with an error as it would against the missing Service, and nothing else reads it", Apply: func(ours, medic Objects) bool {
	return eachContainerPair(ours, medic, func(our, their *corev1.Container) bool {
		j := envIndex(their, "UPGRADE_SERVICE_URL")
		if our.Name != "cht-api" || j < 0 || envIndex(our, "UPGRADE_SERVICE_URL") >= 0 {
			return false
		}
		their.Env = append(their.Env[:j:j], their.Env[j+1:]...)
		return true
	})
}}

// MedicDevALB: cht-chart-4x's default ALB group, tags and certificate are
// Medic's own dev settings; import does not carry them into a host's
// environment (it says so on stderr).
var MedicDevALB = Difference{Why: "import does not carry cht-chart-4x's default ALB annotations (Medic's dev group, tags, certificate) into a host's environment", Apply: func(ours, medic Objects) bool {
	in, ok := medic["Ingress/api-ingress"]
	if !ok {
		return false
	}
	a := in.GetAnnotations()
	found := false
	for k, v := range map[string]string{
		"alb.ingress.kubernetes.io/group.name":      "dev-cht-alb",
		"alb.ingress.kubernetes.io/tags":            "Environment=dev,Team=QA",
		"alb.ingress.kubernetes.io/certificate-arn": "arn:aws:iam::720541322708:server-certificate/2026-q1-wildcard-dev-medicmobile-org-letsencrypt",
	} {
		if a[k] == v {
			delete(a, k)
			found = true
		}
	}
	in.SetAnnotations(a)
	return found
}}

// EBSVolumeSize: the chart gives a pre-existing EBS volume capacity
// ebs.preExistingEBSVolumeSize; cht-gen's schema has one size per node.
var EBSVolumeSize = Difference{Why: "Medic's chart gives a pre-existing EBS volume the capacity ebs.preExistingEBSVolumeSize and its claim couchdb_node_storage_size; the schema has one size (couchdb.storage.size) for both, as cht-chart-4x has for clustered nodes: a static volume's capacity only decides which claim may bind it (request <= capacity), Kubernetes neither checks it against the disk nor resizes anything, so CouchDB sees the same disk (import says so on stderr)", Apply: func(ours, medic Objects) bool {
	found := false
	for k, m := range medic {
		pv, ok := m.(*corev1.PersistentVolume)
		our, ok2 := ours[k].(*corev1.PersistentVolume)
		if !ok || !ok2 || pv.Spec.CSI == nil || pv.Spec.CSI.Driver != "ebs.csi.aws.com" {
			continue
		}
		medicCap, ourCap := pv.Spec.Capacity[corev1.ResourceStorage], our.Spec.Capacity[corev1.ResourceStorage]
		if medicCap.Cmp(ourCap) == 0 || !claimedWith(medic, k, ourCap) {
			continue
		}
		pv.Spec.Capacity = our.Spec.Capacity
		found = true
	}
	return found
}}

// claimedWith says whether Medic's claim of volume key ("PersistentVolume/
// name") requests exactly size.
func claimedWith(medic Objects, key string, size resource.Quantity) bool {
	name := strings.TrimPrefix(key, "PersistentVolume/")
	for _, o := range medic {
		if pvc, ok := o.(*corev1.PersistentVolumeClaim); ok && pvc.Spec.VolumeName == name {
			req := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
			return req.Cmp(size) == 0
		}
	}
	return false
}

// ExplicitRollingDefaults: where Medic's chart leaves a Deployment's
// strategy to the apiserver (`strategy: {}`, or 5.0.0's bare
// `type: RollingUpdate`), cht-gen writes Kubernetes' defaults out, so the
// reconciler owns rollingUpdate and the later move to Recreate (5.0.1)
// applies under server-side apply instead of being refused
// ("rollingUpdate: Forbidden ... Recreate", kubernetes#24198).
var ExplicitRollingDefaults = Difference{
	Why: "strategy defaults written out, so a later move to Recreate applies under server-side apply",
	Apply: func(ours, medic Objects) bool {
		found := false
		for k, o := range medic {
			m, ok := o.(*appsv1.Deployment)
			our, has := ours[k].(*appsv1.Deployment)
			if !ok || !has || m.Spec.Strategy.RollingUpdate != nil || (m.Spec.Strategy.Type != "" && m.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType) {
				continue
			}
			ru := our.Spec.Strategy.RollingUpdate
			if our.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType && ru != nil &&
				ru.MaxSurge != nil && ru.MaxSurge.String() == "25%" && ru.MaxUnavailable != nil && ru.MaxUnavailable.String() == "25%" {
				our.Spec.Strategy = m.Spec.Strategy
				found = true
			}
		}
		return found
	},
}
