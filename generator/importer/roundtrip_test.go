package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/importer"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
	"go.yaml.in/yaml/v3"
)

// importAndBuild imports one values file into a fresh environments
// directory, loads it as `cht-gen validate` does, renders every
// environment and builds the imported one's overlay.
func importAndBuild(t *testing.T, valuesFile string, opts importer.HelmOptions) (*model.Environment, []byte) {
	t.Helper()
	data, err := os.ReadFile(valuesFile)
	if err != nil {
		t.Fatal(err)
	}
	env, notes, err := importer.FromHelm(valuesFile, data, opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	for _, n := range notes {
		t.Logf("note: %s", n)
	}
	dir := filepath.Join(t.TempDir(), "environments")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "gitops.cue"), []byte(gitops), 0o644)
	if _, err := importer.Write(dir, "c.cue", &importer.EnvFile{Envs: []*importer.Env{env}}, false); err != nil {
		t.Fatalf("write: %v", err)
	}
	res, err := load.Load(os.DirFS(dir), "environments")
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	set, err := renderedFiles(generator.Render(context.Background(), res.Environments, generator.Options{}))
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	e, _ := res.Lookup(env.Name)
	built, err := kustomize.Build(set, kustomize.OverlayDir(e))
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return e, built
}

// importDifferences hold for every imported cht-chart-4x release.
var importDifferences = []hc.Difference{hc.UpgradeServiceOff, hc.UpgradeServiceURLOff}

// TestImportHelm4x_RoundTrip imports values of Medic's cht-chart-4x (its
// own values.yaml with the placeholders filled in, and variations of it a
// host would have), renders, builds the overlay and compares it with
// `helm template` of the same values file.
func TestImportHelm4x_RoundTrip(t *testing.T) {
	chart := hc.Reference(t, "helm-charts", "charts", "cht-chart-4x")
	hc.Helm(t)
	medicValues, err := os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	filled := strings.NewReplacer(`"<your-project-name>"`, "mrjones-dev", `"<your-namespace>"`, "mrjones-dev",
		`"<subdomain>.dev.medicmobile.org"`, "mrjones.dev.medicmobile.org", `"<password-value>"`, "S3NTINEL-pw").Replace(string(medicValues))
	for _, tc := range []struct {
		name  string
		edit  func(string) string
		diffs []hc.Difference
	}{{
		name: "chart values.yaml filled in (eks, one node)",
	}, {
		name: "eks, three nodes pinned, pre-existing EBS volumes, migrated subPath",
		edit: strings.NewReplacer("clusteredCouch_enabled: false", "clusteredCouch_enabled: true",
			`node-1: ""`, "node-1: ip-1", `node-2: ""`, "node-2: ip-2", `node-3: ""`, "node-3: ip-3",
			"preExistingDataAvailable: false", "preExistingDataAvailable: true",
			`dataPathOnDiskForCouchDB: "data"`, `dataPathOnDiskForCouchDB: "storage/medic-core/couchdb/data"`,
			`preExistingEBSVolumeID-1: "vol-0123456789abcdefg"`, "preExistingEBSVolumeID-1: vol-0a1",
			`preExistingEBSVolumeID-2: "vol-0123456789abcdefg"`, "preExistingEBSVolumeID-2: vol-0a2",
			`preExistingEBSVolumeID-3: "vol-0123456789abcdefg"`, "preExistingEBSVolumeID-3: vol-0a3",
			`preExistingEBSVolumeSize: "100Gi"`, "preExistingEBSVolumeSize: 100Mi").Replace,
		diffs: []hc.Difference{{Why: "cht-chart-4x also renders the single-node volume couchdb-pv-<ns> for a cluster (its condition ignores clusteredCouch_enabled): a second PersistentVolume on node 1's EBS volume that no claim binds; cht-gen renders one volume per node", Apply: func(ours, medic hc.Objects) bool {
			_, ok := medic["PersistentVolume/couchdb-pv-mrjones-dev"]
			delete(medic, "PersistentVolume/couchdb-pv-mrjones-dev")
			return ok
		}}, hc.ClaimRef},
	}, {
		name: "k3s-k3d, three nodes, no image cache",
		edit: strings.NewReplacer(`cluster_type: "eks"`, `cluster_type: "k3s-k3d"`, "clusteredCouch_enabled: false", "clusteredCouch_enabled: true",
			`node-1: ""`, "node-1: k3s-a", `node-2: ""`, "node-2: k3s-b", `node-3: ""`, "node-3: k3s-c", "cache_images: true", "cache_images: false").Replace,
		diffs: hc.K3s4x,
	}, {
		name: "helm get values of a tuned eks release (chart defaults for the rest)",
		edit: func(string) string {
			return `USER-SUPPLIED VALUES:
project_name: tuned
namespace: tuned-ns
cht_image_tag: 4.21.1
cache_images: false
upstream_servers:
  docker_registry: registry.moh.example.org/medic
  builds_url: https://builds.moh.example.org/_couch/builds_4
upgrade_service:
  tag: "0.30"
couchdb:
  user: admin
  password: S3NTINEL-pw
  couchdb_node_storage_size: 50Gi
couchdb_data:
  dataPathOnDiskForCouchDB: ""
toleration:
  key: couchdb
  operator: Exists
  effect: NoExecute
nodes:
  single_node_deploy: ip-10-0-0-5
ingress:
  host: tuned.moh.example.org
  annotations:
    groupname: moh
    tags: Team=health
    certificate: arn:aws:acm:eu-west-1:1:certificate/t
`
		},
		diffs: []hc.Difference{hc.ExistsTolerationValue},
	}, {
		name: "helm get values of a k3s cluster of four with pre-existing data (the chart's path fallback)",
		edit: func(string) string {
			return `project_name: four
namespace: four
cht_image_tag: 4.22.0
cluster_type: k3s-k3d
couchdb:
  password: S3NTINEL-pw
  clusteredCouch_enabled: true
clusteredCouch:
  noOfCouchDBNodes: 4
couchdb_data:
  preExistingDataAvailable: true
  dataPathOnDiskForCouchDB: "couchdata"
local_storage:
  preExistingDiskPath-1: /mnt/a
  preExistingDiskPath-2: /mnt/b
  preExistingDiskPath-3: /mnt/c
nodes:
  node-1: k1
  node-2: k2
  node-3: k3
  node-4: k4
ingress:
  host: four.example.org
`
		},
		diffs: []hc.Difference{hc.ClaimRef, hc.TraefikClass},
	}, {
		name: "hand-written values: YAML 1.1 booleans (yes, True), anchors and a merge key",
		edit: func(string) string {
			return `x-couch: &couch
  password: S3NTINEL-pw
  clusteredCouch_enabled: yes
  couchdb_node_storage_size: 30Gi
project_name: yaml11
namespace: yaml11
cht_image_tag: 4.22.0
cache_images: True
couchdb:
  <<: *couch
  user: ops
couchdb_data:
  preExistingDataAvailable: True
ebs: {preExistingEBSVolumeID-1: vol-a, preExistingEBSVolumeID-2: vol-b, preExistingEBSVolumeID-3: vol-c, preExistingEBSVolumeSize: 30Gi}
nodes: {node-1: a, node-2: b, node-3: c}
ingress:
  host: yaml11.example.org
  annotations: {groupname: moh, tags: Team=health, certificate: "arn:aws:acm:eu-west-1:1:certificate/t"}
`
		},
		diffs: []hc.Difference{{Why: "cht-chart-4x's single-node volume beside a cluster's (see above)", Apply: func(ours, medic hc.Objects) bool {
			_, ok := medic["PersistentVolume/couchdb-pv-yaml11"]
			delete(medic, "PersistentVolume/couchdb-pv-yaml11")
			return ok
		}}, hc.ClaimRef},
	}, {
		// cht-chart-4x substitutes %d for clustered nodes only: a single
		// node mounts the folder named "couch%d" (the round trip caught
		// cht-gen mounting couch1, an empty folder).
		name: "eks single node, a subPath with %d",
		edit: func(string) string {
			return `project_name: pct
namespace: pct
cht_image_tag: 4.22.0
couchdb_data: {dataPathOnDiskForCouchDB: "couch%d"}
ingress:
  host: pct.example.org
  annotations: {groupname: g, tags: "A=B", certificate: "arn:aws:acm:eu-west-1:1:certificate/x"}
`
		},
	}, {
		name: "k3s single node on a host path, its toleration, passwords with every special character",
		edit: func(string) string {
			return `project_name: k3single
namespace: k3single
cht_image_tag: 4.21.1
cluster_type: k3s-k3d
couchdb:
  password: "S3NTINEL a b@c:d/e$f#g\"h'i"
  couchdb_node_storage_size: 5Gi
couchdb_data:
  preExistingDataAvailable: true
  dataPathOnDiskForCouchDB: ""
local_storage:
  preExistingDiskPath-1: /srv/couch
nodes:
  single_node_deploy: k3s-node-1
toleration: {key: dedicated, operator: Equal, value: couchdb, effect: NoExecute}
ingress:
  host: k3single.example.org
`
		},
		diffs: []hc.Difference{hc.TraefikClass, singleHostPathAsLocalVolume},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			values := filled
			if tc.edit != nil {
				values = tc.edit(values)
			}
			// helm -f splits on commas, which subtest names (and so t.TempDir) hold.
			tmp, err := os.MkdirTemp("", "values")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(tmp) })
			file := filepath.Join(tmp, "mrjones-dev.yaml")
			if err := os.WriteFile(file, []byte(values), 0o644); err != nil {
				t.Fatal(err)
			}
			e, built := importAndBuild(t, file, importer.HelmOptions{Cluster: "c"})
			medic := hc.Template(t, chart, e.Namespace, "-f", file, "--set", "cht_image_tag="+e.Version)
			if strings.Contains(string(built), "S3NTINEL") {
				t.Fatal("the password from the values reached the built overlay")
			}
			diffs := append(append(append([]hc.Difference{hc.ExplicitRollingDefaults}, hc.Common...), importDifferences...), tc.diffs...)
			hc.Compare(t, hc.Decode(t, built), hc.Decode(t, medic), diffs)
		})
	}
}

// singleHostPathAsLocalVolume: cht-chart-4x mounts a single k3s node's
// folder as a hostPath volume of the Deployment; cht-gen mounts the same
// folder through a local volume pinned to the same node and its claim.
var singleHostPathAsLocalVolume = hc.Difference{Why: "a single k3s CouchDB's host folder is a local PersistentVolume (same path, pinned to nodes.single_node_deploy) and claim, not a hostPath volume of the Deployment", Apply: func(ours, medic hc.Objects) bool {
	m, ok := medic["Deployment/cht-couchdb"].(*appsv1.Deployment)
	o, ok2 := ours["Deployment/cht-couchdb"].(*appsv1.Deployment)
	var pvKey string
	for k := range ours {
		if strings.HasPrefix(k, "PersistentVolume/") {
			pvKey = k
		}
	}
	pv, ok3 := ours[pvKey].(*corev1.PersistentVolume)
	if !ok || !ok2 || !ok3 || len(m.Spec.Template.Spec.Volumes) != 1 || m.Spec.Template.Spec.Volumes[0].HostPath == nil || pv.Spec.Local == nil {
		return false
	}
	if m.Spec.Template.Spec.Volumes[0].HostPath.Path != pv.Spec.Local.Path || m.Spec.Template.Spec.NodeSelector["kubernetes.io/hostname"] != pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values[0] {
		return false
	}
	m.Spec.Template.Spec.Volumes = o.Spec.Template.Spec.Volumes
	for i := range m.Spec.Template.Spec.Containers[0].VolumeMounts {
		m.Spec.Template.Spec.Containers[0].VolumeMounts[i].Name = o.Spec.Template.Spec.Containers[0].VolumeMounts[i].Name
	}
	delete(ours, pvKey)
	delete(ours, "PersistentVolumeClaim/couchdb-claim0")
	return true
}}

// mergeValues layers values files the way `helm -f a -f b` does (maps
// merge, everything else is replaced) into the one file `helm get values`
// prints for such a release.
func mergeValues(t *testing.T, files ...string) []byte {
	t.Helper()
	var merged map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		merged = mergeMaps(merged, m)
	}
	out, err := yaml.Marshal(merged)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mergeMaps(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = mergeMaps(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// TestImportHelm5x_RoundTrip imports Medic's 5.x example values (values/
// layered as the chart's tests/ files say), renders, and compares with
// `helm template`, up to the reviewed differences of internal/helmcompare
// (the ones generator/kustomize's 5.x conformance test reviews, and the
// import's own).
func TestImportHelm5x_RoundTrip(t *testing.T) {
	chart := hc.Reference(t, "cht-core", "5.2.0", "scripts", "build", "helm")
	hc.Helm(t)
	layer := func(p string) string { return filepath.Join(chart, p) }
	for _, deployment := range []string{"single", "multi"} {
		for _, platform := range []string{"eks", "gke", "k3s-k3d"} {
			for _, test := range []string{deployment + "-new", "pre-existing"} {
				if test == "pre-existing" && platform == "gke" {
					continue // pre-existing GCE disks: import refuses (TestFromHelm_Refusals)
				}
				name := strings.Join([]string{deployment, platform, test}, "/")
				t.Run(name, func(t *testing.T) {
					tmp, err := os.MkdirTemp("", "values")
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { os.RemoveAll(tmp) })
					layers := []string{layer("values/base.yaml"), layer("values/deployment-" + deployment + ".yaml"),
						layer("values/platform-" + platform + ".yaml"), layer("tests/" + test + ".yaml")}
					if test == "pre-existing" && platform == "eks" {
						// tests/pre-existing.yaml: "uncomment the section for your platform"
						ebs := filepath.Join(tmp, "ebs.yaml")
						os.WriteFile(ebs, []byte("ebs:\n  preExistingEBSVolumeSize: 100Gi\n  preExistingEBSVolumeID-1: vol-12345678\n  preExistingEBSVolumeID-2: vol-87654321\n  preExistingEBSVolumeID-3: vol-11223344\n"), 0o644)
						layers = append(layers, ebs)
					}
					file := filepath.Join(tmp, "test.yaml")
					os.WriteFile(file, mergeValues(t, layers...), 0o644)
					if test == "pre-existing" && platform == "k3s-k3d" && deployment == "single" {
						// The chart mounts the host path on whichever node the pod lands on;
						// cht-gen pins local volumes, so import asks which node.
						_, _, err := importer.FromHelm(file, mergeValues(t, layers...), importer.HelmOptions{Cluster: "c", Version: "5.2.0"})
						if err == nil || !strings.Contains(err.Error(), "local volumes live on one Kubernetes node each") {
							t.Fatalf("import of an unpinned host path: %v, want a refusal naming the node", err)
						}
						return
					}
					e, built := importAndBuild(t, file, importer.HelmOptions{Cluster: "c", Version: "5.2.0"})
					medic := hc.Template(t, chart, e.Namespace, "-f", file, "--set", "cht_image_tag="+e.Version)
					if !strings.Contains(string(built), "nouveau") {
						t.Fatal("the overlay of a 5.x environment has no nouveau")
					}
					diffs := append(append([]hc.Difference{}, hc.Common...), hc.Differences5(e.Version, deployment == "multi")...)
					switch {
					case platform == "k3s-k3d" && test == "pre-existing":
						diffs = append(append(diffs, hc.K3s5(e.Version)...), hc.ClaimRef, hc.K3sHostPathVolumes)
					case platform == "k3s-k3d":
						diffs = append(diffs, hc.K3s5(e.Version)...)
					case platform == "eks" && test == "pre-existing":
						// tests/pre-existing.yaml: 10Gi claims, the EBS section above: 100Gi volumes.
						diffs = append(diffs, hc.ClaimRef, hc.EBSVolumeSize)
					}
					if deployment == "single" && test == "single-new" {
						diffs = append(diffs, hc.Difference{Why: "Medic's values/deployment-single.yaml sets preExistingDataAvailable: \"false\" (a string), which the chart's claim template tests for truth: its claim waits for a volume couchdb-pv-<ns> nothing creates; import reads it as false and cht-gen renders a new volume", Apply: func(ours, medic hc.Objects) bool {
							pvc, ok := medic["PersistentVolumeClaim/couchdb-claim0"].(*corev1.PersistentVolumeClaim)
							if !ok || pvc.Spec.VolumeName == "" {
								return false
							}
							pvc.Spec.VolumeName = ""
							if o, ok := ours["PersistentVolumeClaim/couchdb-claim0"].(*corev1.PersistentVolumeClaim); ok {
								pvc.Spec.StorageClassName = o.Spec.StorageClassName
							}
							return true
						}})
					}
					hc.Compare(t, hc.Decode(t, built), hc.Decode(t, medic), diffs)
				})
			}
		}
	}
}
