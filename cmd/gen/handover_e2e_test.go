package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cht-gen/cht-gen/generator/kustomize"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
)

// handoverCase is one Helm release of Medic's chart to hand over.
type handoverCase struct {
	name    string
	chart   []string // under ../shared/reference/cht
	values  string
	claims  []string
	dynamic string   // storage class the test provisions volumes for, as a CSI driver would
	gone    []string // what Helm made that the overlay does not render
}

var handoverCases = []handoverCase{{
	name:  "single node on a pre-existing EBS volume, cht-chart-4x",
	chart: []string{"helm-charts", "charts", "cht-chart-4x"},
	values: `project_name: solo
namespace: cht-solo
cluster_type: eks
cht_image_tag: 4.22.0
couchdb:
  password: S3NTINEL-pw
  secret: S3NTINEL-secret
  uuid: 5e1f6b8e-0000-4000-8000-000000000001
  couchdb_node_storage_size: 10Gi
couchdb_data:
  preExistingDataAvailable: true
ebs:
  preExistingEBSVolumeID-1: vol-0abc123
  preExistingEBSVolumeSize: 10Gi
ingress:
  host: solo.example.org
  annotations:
    groupname: moh
    tags: Environment=prod
    certificate: arn:aws:acm:eu-west-1:111122223333:certificate/solo
`,
	claims: []string{"couchdb-claim0"},
	gone: []string{"deployment/upgrade-service", "service/upgrade-service", "serviceaccount/cht-upgrade-service-user",
		"role/deployment-manager", "rolebinding/deployment-manager-cht"},
}, {
	name:  "dynamically provisioned claim (ebs-gp2), cht-chart-4x",
	chart: []string{"helm-charts", "charts", "cht-chart-4x"},
	values: `project_name: dyn
namespace: cht-dyn
cluster_type: eks
cht_image_tag: 4.21.1
couchdb:
  password: S3NTINEL-pw
  secret: S3NTINEL-secret
  uuid: 5e1f6b8e-0000-4000-8000-000000000002
  couchdb_node_storage_size: 20Gi
ingress:
  host: dyn.example.org
  annotations:
    groupname: moh
    tags: Environment=dyn
    certificate: arn:aws:acm:eu-west-1:111122223333:certificate/dyn
`,
	claims:  []string{"couchdb-claim0"},
	dynamic: "ebs-gp2",
	gone: []string{"deployment/upgrade-service", "service/upgrade-service", "serviceaccount/cht-upgrade-service-user",
		"role/deployment-manager", "rolebinding/deployment-manager-cht"},
}, {
	name:  "3-node CouchDB cluster on dynamic claims, CHT 5.x chart",
	chart: []string{"cht-core", "5.2.0", "scripts", "build", "helm"},
	values: `project_name: trio
namespace: cht-trio
cluster_type: eks
environment: remote
cht_image_tag: 5.2.0
cache_images: true
upstream_servers:
  docker_registry: public.ecr.aws/medic
  builds_url: https://staging.dev.medicmobile.org/_couch/builds_4
api:
  service:
    type: ClusterIP
couchdb:
  password: S3NTINEL-pw
  secret: S3NTINEL-secret
  uuid: 5e1f6b8e-0000-4000-8000-000000000003
  user: medic
  couchdb_node_storage_size: 30Gi
  clusteredCouchEnabled: true
  storage_class: gp3
clusteredCouch:
  noOfCouchDBNodes: 3
nodes:
  node-1: node-a
  node-2: node-b
  node-3: node-c
couchdb_data:
  preExistingDataAvailable: false
ingress:
  host: trio.example.org
  hosted_zone_id: Z0000000000
  annotations:
    groupname: moh
    tags: Environment=trio
    certificate: arn:aws:acm:eu-west-1:111122223333:certificate/trio
`,
	claims:  []string{"couchdb-1-claim0", "couchdb-2-claim0", "couchdb-3-claim0"},
	dynamic: "gp3",
}}

// controllerManagerTool finds kube-controller-manager (volume binding and
// garbage collection) and helm, or skips naming how to install them.
func controllerManagerTool(t *testing.T) (kcm, helm string) {
	t.Helper()
	kcm, helm = e2eTool("kube-controller-manager"), e2eTool("helm")
	if kcm == "" || helm == "" {
		t.Skipf("no kube-controller-manager (%q) or helm (%q) here: install them with ../shared/tools/install.sh kube-controller-manager helm, then make e2e", kcm, helm)
	}
	return kcm, helm
}

// startControllerManager runs kube-controller-manager against the
// apiserver of kubeconfig (startAPIServer's folder holds its keys).
func startControllerManager(t *testing.T, kcm, kubeconfig string) {
	t.Helper()
	dir := filepath.Dir(kubeconfig)
	ctx, cancel := context.WithCancel(context.Background())
	log, _ := os.Create(filepath.Join(dir, "kcm.log"))
	c := exec.CommandContext(ctx, kcm, "--kubeconfig="+kubeconfig, "--leader-elect=false", "--secure-port=0",
		"--service-account-private-key-file="+filepath.Join(dir, "sa.key"), "--root-ca-file="+filepath.Join(dir, "pki", "apiserver.crt"),
		"--use-service-account-credentials=false", "--controllers=*,-node-ipam-controller,-node-lifecycle-controller")
	c.Stdout, c.Stderr = log, log
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); c.Wait() })
}

// TestHandover_OnAKubeAPIServer is issue 22's Kubernetes acceptance: Helm
// releases of Medic's charts (helm install --no-hooks) on a real
// kube-apiserver with kube-controller-manager, then `helm get values` ->
// `import helm` -> `render` -> `handover | sh` -> the overlay applied as
// Flux applies it. Every claim, volume and the credentials Secret keep
// their UID and data; volumes are Retain; nothing Helm-only remains; Helm
// forgot the release, so `helm uninstall` deletes nothing; a second
// handover changes nothing; a handover whose cluster differs from the
// environment stops before any change.
func TestHandover_OnAKubeAPIServer(t *testing.T) {
	etcd, apiserver, kubectl := apiserverTools(t)
	kcm, helm := controllerManagerTool(t)
	kubeconfig := startAPIServer(t, etcd, apiserver, kubectl)
	startControllerManager(t, kcm, kubeconfig)
	tools := t.TempDir() // kubectl and helm as the script finds them on PATH
	for _, p := range []string{kubectl, helm} {
		if err := os.Symlink(p, filepath.Join(tools, filepath.Base(p))); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "KUBECONFIG="+kubeconfig, "PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	run := func(stdin []byte, name string, args ...string) (string, error) {
		c := exec.Command(name, args...)
		c.Env, c.Stdin = env, bytes.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		if err != nil {
			return stdout.String() + stderr.String(), fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return stdout.String(), nil
	}
	kc := func(args ...string) string {
		t.Helper()
		out, err := run(nil, kubectl, args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return out
	}
	for _, tc := range handoverCases {
		t.Run(tc.name, func(t *testing.T) { handoverOne(t, tc, helm, kubectl, run, kc) })
	}
}

func handoverOne(t *testing.T, tc handoverCase, helm, kubectl string, run func([]byte, string, ...string) (string, error), kc func(...string) string) {
	chart := hc.Reference(t, tc.chart...)
	dir := t.TempDir()
	release, ns := valueOf(tc.values, "project_name"), valueOf(tc.values, "namespace")
	kc("create", "namespace", ns)
	writeFile(t, filepath.Join(dir, "values.yaml"), tc.values)
	if out, err := run(nil, helm, "install", release, chart, "-n", ns, "--no-hooks", "-f", filepath.Join(dir, "values.yaml")); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if tc.dynamic != "" {
		provision(t, kc, run, kubectl, ns, tc.dynamic, tc.claims)
	}
	waitBound(t, kc, ns, tc.claims)

	// What runs: the UIDs and data that must survive.
	before := instanceState(t, kc, ns, tc.claims)
	// cht-chart-4x gives API the upgrade service's address; the imported
	// environment runs no upgrade service, so the handover removes it.
	chart4x := strings.Join(tc.chart, "/") == "helm-charts/charts/cht-chart-4x"
	if chart4x && !apiHasUpgradeServiceURL(kc, ns) {
		t.Fatal("Helm's cht-api has no UPGRADE_SERVICE_URL: the check after the handover would prove nothing")
	}

	// helm get values -> import helm -> render.
	values, err := run(nil, helm, "get", "values", release, "-n", ns, "-o", "yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, values)
	}
	envs, out := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	writeFile(t, filepath.Join(envs, "gitops.cue"), "package environments\n\ngitops: repoURL: \"https://github.com/moh/cht-hosting\"\n")
	writeFile(t, filepath.Join(dir, release+".yaml"), values)
	if code, o, errs := runCLI(t, "import", "helm", "--cluster", "moh", "-e", envs, filepath.Join(dir, release+".yaml")); code != 0 {
		t.Fatalf("import helm: %s%s", o, errs)
	}
	if code, o, errs := runCLI(t, "render", "-e", envs, "--out", out); code != 0 {
		t.Fatalf("render: %s%s", o, errs)
	}

	// A handover whose cluster differs from the environment stops before
	// any change, naming the difference.
	wrong := filepath.Join(dir, "wrong")
	os.CopyFS(wrong, os.DirFS(envs))
	cue, _ := os.ReadFile(filepath.Join(wrong, "moh.cue"))
	size := valueOf(tc.values, "  couchdb_node_storage_size")
	sizeRE := regexp.MustCompile(`size:\s+"` + regexp.QuoteMeta(size) + `"`)
	if !sizeRE.Match(cue) {
		t.Fatalf("the imported environment has no size %s:\n%s", size, cue)
	}
	writeFile(t, filepath.Join(wrong, "moh.cue"), sizeRE.ReplaceAllString(string(cue), `size: "999Gi"`))
	code, script, errs := runCLI(t, "handover", release, "-e", wrong)
	if code != 0 {
		t.Fatalf("handover of the changed environment: %s", errs)
	}
	if o, err := run([]byte(script), "sh"); err == nil || !strings.Contains(o, "requests "+size+"; the environment renders 999Gi") {
		t.Errorf("a handover of a 999Gi environment for %s claims did not stop naming the size: %v\n%s", size, err, o)
	}
	if after := instanceState(t, kc, ns, tc.claims); after.versions != before.versions {
		t.Errorf("the stopped handover changed something:\nbefore %s\nafter  %s", before.versions, after.versions)
	}
	if o, _ := run(nil, helm, "list", "-n", ns, "-q"); strings.TrimSpace(o) != release {
		t.Errorf("the stopped handover touched the release: helm list says %q", o)
	}

	// The handover.
	code, script, errs = runCLI(t, "handover", release, "-e", envs)
	if code != 0 {
		t.Fatalf("handover: %s", errs)
	}
	if o, err := run([]byte(script), "sh"); err != nil {
		t.Fatalf("handover | sh: %v\n%s\nscript:\n%s", err, o, script)
	}
	// The reconciler's first apply, as Flux applies it.
	built, err := kustomize.Build(renderedTree(t, out), "kubernetes/overlays/"+release)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := run(built, kubectl, "apply", "--server-side", "--field-manager=kustomize-controller", "--force-conflicts", "-f", "-"); err != nil {
		t.Fatalf("the reconciler's apply: %v\n%s", err, o)
	}
	after := instanceState(t, kc, ns, tc.claims)
	if after.identity != before.identity {
		t.Errorf("claims, volumes or the Secret changed identity or data:\nbefore %s\nafter  %s", before.identity, after.identity)
	}
	for _, pv := range after.volumes {
		if p := kc("get", "pv", pv, "-o", "jsonpath={.spec.persistentVolumeReclaimPolicy}"); p != "Retain" {
			t.Errorf("volume %s: reclaim policy %s", pv, p)
		}
	}
	for _, o := range tc.gone {
		if got := kc("-n", ns, "get", o, "--ignore-not-found", "-o", "name"); got != "" {
			t.Errorf("Helm-only %s remains", got)
		}
	}
	if chart4x && apiHasUpgradeServiceURL(kc, ns) {
		t.Error("cht-api keeps UPGRADE_SERVICE_URL, the address of the deleted upgrade service")
	}
	if got := kc("-n", ns, "get", "all,pvc,secret,configmap,serviceaccount,role,rolebinding,ingress", "-l", "app.kubernetes.io/managed-by=Helm", "-o", "name"); got != "" {
		t.Errorf("objects still carry Helm's ownership label:\n%s", got)
	}
	if o, _ := run(nil, helm, "list", "-n", ns, "-q"); strings.TrimSpace(o) != "" {
		t.Errorf("helm list still shows %q", o)
	}
	if o, err := run(nil, helm, "uninstall", release, "-n", ns); err == nil {
		t.Errorf("helm uninstall found the release: %s", o)
	}
	if again := instanceState(t, kc, ns, tc.claims); again.identity != before.identity {
		t.Errorf("helm uninstall changed the instance:\nbefore %s\nafter  %s", before.identity, again.identity)
	}

	// A second handover changes nothing.
	settled := instanceState(t, kc, ns, tc.claims)
	if o, err := run([]byte(script), "sh"); err != nil {
		t.Fatalf("second handover | sh: %v\n%s", err, o)
	}
	if again := instanceState(t, kc, ns, tc.claims); again.versions != settled.versions {
		t.Errorf("the second handover changed something:\nbefore %s\nafter  %s", settled.versions, again.versions)
	}
}

// apiHasUpgradeServiceURL reports whether Deployment cht-api gives its
// cht-api container UPGRADE_SERVICE_URL.
func apiHasUpgradeServiceURL(kc func(...string) string, ns string) bool {
	names := kc("-n", ns, "get", "deployment", "cht-api", "-o", `jsonpath={.spec.template.spec.containers[?(@.name=="cht-api")].env[*].name}`)
	return slices.Contains(strings.Fields(names), "UPGRADE_SERVICE_URL")
}

// state is what a handover must keep: identity holds the UIDs of the
// claims, their volumes and the Secret, with the volumes' sources and the
// Secret's data; versions holds what a handover could change in the
// namespace and on the volumes.
type state struct {
	identity, versions string
	volumes            []string
}

func instanceState(t *testing.T, kc func(...string) string, ns string, claims []string) state {
	t.Helper()
	var s state
	var id strings.Builder
	for _, c := range claims {
		pv := kc("-n", ns, "get", "pvc", c, "-o", "jsonpath={.spec.volumeName}")
		s.volumes = append(s.volumes, pv)
		id.WriteString(kc("-n", ns, "get", "pvc", c, "-o", "jsonpath={.metadata.uid} {.spec.volumeName};"))
		id.WriteString(kc("get", "pv", pv, "-o", "jsonpath={.metadata.uid} {.spec.csi.volumeHandle} {.spec.claimRef.name};"))
	}
	id.WriteString(kc("-n", ns, "get", "secret", "cht-couchdb-credentials", "-o", "jsonpath={.metadata.uid} {.data}"))
	s.identity = id.String()
	// Controllers keep writing the status of Deployments (and their
	// ReplicaSets and Pods): what a handover could change there is the
	// template (generation), labels and Helm's annotations.
	s.versions = kc("-n", ns, "get", "pvc,secret,configmap,serviceaccount,role,rolebinding,ingress,service", "-o",
		"jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion} {end}")
	s.versions += kc("-n", ns, "get", "deployment", "-o",
		`jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.generation} {.metadata.labels} {.metadata.annotations.meta\.helm\.sh/release-name} {end}`)
	for _, pv := range s.volumes {
		s.versions += kc("get", "pv", pv, "-o", "jsonpath={.metadata.name}={.metadata.resourceVersion} ")
	}
	return s
}

// provision does what a CSI provisioner does for each claim of class:
// a volume with reclaim policy Delete, bound to the claim.
func provision(t *testing.T, kc func(...string) string, run func([]byte, string, ...string) (string, error), kubectl, ns, class string, claims []string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: %s}\nprovisioner: ebs.csi.aws.com\nreclaimPolicy: Delete\nvolumeBindingMode: Immediate\n", class)
	for i, c := range claims {
		size := kc("-n", ns, "get", "pvc", c, "-o", "jsonpath={.spec.resources.requests.storage}")
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pvc-%s-%d
  annotations: {pv.kubernetes.io/provisioned-by: ebs.csi.aws.com}
spec:
  capacity: {storage: %s}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: %s
  claimRef: {namespace: %s, name: %s}
  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-dyn-%s-%d, fsType: ext4}
`, ns, i+1, size, class, ns, c, ns, i+1)
	}
	if o, err := run([]byte(b.String()), kubectl, "apply", "-f", "-"); err != nil {
		t.Fatalf("provision: %v\n%s", err, o)
	}
}

// waitBound waits (at most 90 s) for kube-controller-manager to bind the claims.
func waitBound(t *testing.T, kc func(...string) string, ns string, claims []string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for _, c := range claims {
		for kc("-n", ns, "get", "pvc", c, "-o", "jsonpath={.status.phase}") != "Bound" {
			if time.Now().After(deadline) {
				t.Fatalf("claim %s not bound in 90 s: %s", c, kc("-n", ns, "describe", "pvc", c))
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}

// valueOf reads a top-level (or, with leading spaces, indented) scalar
// of the test's own values files.
func valueOf(values, key string) string {
	for _, l := range strings.Split(values, "\n") {
		if v, ok := strings.CutPrefix(l, key+": "); ok {
			return v
		}
	}
	return ""
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
