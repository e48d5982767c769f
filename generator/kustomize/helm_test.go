package kustomize_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"

	"github.com/cht-gen/cht-gen/generator/kustomize"
)

// object is any decoded Kubernetes object.
type object interface {
	metav1.Object
	runtime.Object
}

var helmScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, rbacv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// decodeAll decodes a YAML stream strictly, keyed "Kind/name".
func decodeAll(t *testing.T, stream []byte) map[string]object {
	t.Helper()
	dec := json.NewSerializerWithOptions(json.DefaultMetaFactory, helmScheme, helmScheme, json.SerializerOptions{Yaml: true, Strict: true})
	docs, err := kustomize.SplitYAML(stream)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]object{}
	for _, doc := range docs {
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, gvk, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("decode:\n%s\n%v", doc, err)
		}
		o := obj.(object)
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

func helmChart(t *testing.T) (helm, chart string) {
	t.Helper()
	helm, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm not on PATH (make test installs v3.22.0 into ./bin)")
	}
	chart = filepath.Join("..", "..", "..", "shared", "reference", "cht", "helm-charts", "charts", "cht-chart-4x")
	if _, err := os.Stat(filepath.Join(chart, "Chart.yaml")); err != nil {
		t.Skipf("Medic's chart is not at %s (../shared/reference beside the repository): %v", chart, err)
	}
	return helm, chart
}

// difference is one reviewed way cht-gen's output differs from Medic's
// chart. apply removes it from the two object sets and reports whether
// there was anything to remove, so an entry that stops applying fails.
type difference struct {
	why   string
	apply func(ours, medic map[string]object) bool
}

func onlyIn(set func(ours, medic map[string]object) map[string]object, prefix string) func(ours, medic map[string]object) bool {
	return func(ours, medic map[string]object) bool {
		m, found := set(ours, medic), false
		for k := range m {
			if strings.HasPrefix(k, prefix) {
				delete(m, k)
				found = true
			}
		}
		return found
	}
}

func oursSet(ours, _ map[string]object) map[string]object   { return ours }
func medicSet(_, medic map[string]object) map[string]object { return medic }

func eachOurs(f func(o object) bool) func(ours, medic map[string]object) bool {
	return func(ours, _ map[string]object) bool {
		found := false
		for _, o := range ours {
			found = f(o) || found
		}
		return found
	}
}

// drop removes key/value pairs from m (value "" matches any non-empty
// value) when every pair is there, and says whether it did; an object with
// only some of them keeps them, so the comparison shows it. nil when m empties.
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

var commonDifferences = []difference{
	{"the overlay sets the namespace on every object (kustomize namespace:); helm template leaves it to --namespace", eachOurs(func(o object) bool {
		had := o.GetNamespace() != ""
		o.SetNamespace("")
		return had
	})},
	{"the overlay labels every object app.kubernetes.io/part-of=cht and instance=<env> (metadata only, selectors unchanged)", eachOurs(func(o object) bool {
		l, had := drop(o.GetLabels(), "app.kubernetes.io/part-of", "", "app.kubernetes.io/instance", "")
		o.SetLabels(l)
		return had
	})},
	{"claims and volumes are marked so neither Flux nor Argo CD prunes or deletes CouchDB's data", eachOurs(func(o object) bool {
		a, had := drop(o.GetAnnotations(), "kustomize.toolkit.fluxcd.io/prune", "disabled", "argocd.argoproj.io/sync-options", "Prune=false,Delete=false")
		o.SetAnnotations(a)
		return had
	})},
	{"the overlay owns its Namespace object so Flux/Argo CD can create and prune it", onlyIn(oursSet, "Namespace/")},
	{"Git never holds secret values: the chart renders the credentials Secret, cht-gen expects it in the cluster (README, cht-gen secrets)", onlyIn(medicSet, "Secret/cht-couchdb-credentials")},
}

var upgradeServiceDifferences = []difference{
	{"kustomize fills the namespace of the upgrade service's RoleBinding subject; the API server defaults it to the same namespace for Medic's", func(ours, _ map[string]object) bool {
		rb, ok := ours["RoleBinding/deployment-manager-cht"].(*rbacv1.RoleBinding)
		if !ok || len(rb.Subjects) != 1 {
			return false
		}
		had := rb.Subjects[0].Namespace != ""
		rb.Subjects[0].Namespace = ""
		return had
	}},
}

func TestKustomize_MatchesHelmTemplate(t *testing.T) {
	helm, chart := helmChart(t)
	toleration := `tolerations: [{key: "dev-couchdb-only", operator: "Equal", value: "true", effect: "NoSchedule"}]`
	for _, tc := range []struct {
		name   string
		env    string
		values []string
		diffs  []difference
	}{{
		name: "one node on EKS, ALB, gp2 claim",
		env: `environments: one: {target: "kubernetes", version: "4.22.0", host: "one.example.org", upgradeService: enabled: true,
	couchdb: {storage: {size: "100Mi", class: "ebs-gp2"}, placement: {` + toleration + `}},
	ingress: {provider: "alb", groupName: "dev-cht-alb", tags: "Environment=dev,Team=QA", certificateArn: "arn:aws:iam::720541322708:server-certificate/x"}}`,
		values: []string{"cluster_type=eks", "ingress.annotations.certificate=arn:aws:iam::720541322708:server-certificate/x"},
	}, {
		name: "three nodes on k3s, local volumes, node placement",
		env: `environments: three: {target: "kubernetes", version: "4.22.0", host: "three.example.org", upgradeService: enabled: true, alwaysPullImages: true,
	couchdb: {nodes: 3, storage: {size: "100Mi", class: "local-storage", existing: hostPaths: ["/var/lib/cht-three-couchdb1", "/var/lib/cht-three-couchdb2", "/var/lib/cht-three-couchdb3"]},
		placement: {nodes: ["k3s-a", "k3s-b", "k3s-c"], ` + toleration + `}},
	ingress: {provider: "traefik", tlsSecretName: "api-tls-secret"}}`,
		values: []string{"cluster_type=k3s-k3d", "couchdb.clusteredCouch_enabled=true", "clusteredCouch.noOfCouchDBNodes=3",
			"nodes.node-1=k3s-a", "nodes.node-2=k3s-b", "nodes.node-3=k3s-c", "cache_images=false"},
		diffs: []difference{
			{"the chart's helm-hook Jobs make /var/lib/<ns>-couchdbN on each node; GitOps engines do not run helm hooks, so the README of a hostPath environment asks for the directories instead", onlyIn(medicSet, "Job/create-directory-")},
			preExistingClaimRef,
			{"the Ingress names its class (traefik) instead of relying on the cluster's default class", func(ours, _ map[string]object) bool {
				in, ok := ours["Ingress/api-ingress"].(*networkingv1.Ingress)
				if !ok || in.Spec.IngressClassName == nil {
					return false
				}
				in.Spec.IngressClassName = nil
				return true
			}},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			envs := loadEnvs(t, tc.env)
			e := &envs[0]
			set := render(t, envs)
			built, err := kustomize.Build(set, kustomize.OverlayDir(e))
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"template", "cht", chart, "--namespace", e.Namespace,
				"--set", "namespace=" + e.Namespace, "--set", "cht_image_tag=" + e.Version,
				"--set-string", "couchdb.password=not-a-secret", "--set", "ingress.host=" + e.Host,
				"--set", "couchdb.couchdb_node_storage_size=100Mi"}
			for _, v := range tc.values {
				args = append(args, "--set", v)
			}
			medicYAML, err := exec.Command(helm, args...).Output()
			if err != nil {
				t.Fatalf("helm template: %v", err)
			}
			diffs := append(append([]difference{}, upgradeServiceDifferences...), tc.diffs...)
			compareWithChart(t, decodeAll(t, built), decodeAll(t, medicYAML), diffs)
		})
	}
}

// compareWithChart applies the common and the given reviewed differences,
// failing for each that no longer applies, then compares what is left
// object by object.
func compareWithChart(t *testing.T, ours, medic map[string]object, diffs []difference) {
	t.Helper()
	for _, d := range append(append([]difference{}, commonDifferences...), diffs...) {
		if !d.apply(ours, medic) {
			t.Errorf("reviewed difference no longer applies, drop it: %s", d.why)
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
