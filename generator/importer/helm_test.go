package importer_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/importer"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
)

const gitops = "package environments\n\ngitops: repoURL: \"https://github.com/example/hosting\"\n"

// importOne imports values into a fresh environments directory and loads
// it back, as `cht-gen validate` would.
func importOne(t *testing.T, values string, opts importer.HelmOptions) (*model.Environment, []importer.Note) {
	t.Helper()
	if opts.Cluster == "" {
		opts.Cluster = "c1"
	}
	dir := filepath.Join(t.TempDir(), "environments")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gitops.cue"), []byte(gitops), 0o644); err != nil {
		t.Fatal(err)
	}
	env, notes, err := importer.FromHelm("values.yaml", []byte(values), opts)
	if err != nil {
		t.Fatalf("FromHelm: %v", err)
	}
	if _, err := importer.Write(dir, opts.Cluster+".cue", &importer.EnvFile{Envs: []*importer.Env{env}}, false); err != nil {
		t.Fatalf("Write: %v", err)
	}
	res, err := load.Load(os.DirFS(dir), "environments")
	if err != nil {
		t.Fatalf("load the written file: %v", err)
	}
	e, ok := res.Lookup(env.Name)
	if !ok {
		t.Fatalf("environment %s not in the written file", env.Name)
	}
	return e, notes
}

func noteFor(notes []importer.Note, key string) string {
	for _, n := range notes {
		if n.Key == key {
			return n.String()
		}
	}
	return ""
}

func TestFromHelm_Mapping(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values string
		opts   importer.HelmOptions
		check  func(t *testing.T, e *model.Environment, notes []importer.Note)
	}{{
		name: "4.x eks single node with chart defaults",
		values: `project_name: prod
namespace: moh-prod
cht_image_tag: 4.21.1
ingress:
  host: cht.moh.example.org
  annotations:
    groupname: moh
    certificate: arn:aws:acm:eu-west-1:1:certificate/x
    extra: something
couchdb:
  password: S3NTINEL-password
  couchdb_node_storage_size: 500Gi
cache_images: false
`,
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			want := model.Environment{Name: "prod", Version: "4.21.1", Host: "cht.moh.example.org", Namespace: "moh-prod", Cluster: "c1", AlwaysPullImages: true}
			if e.Name != want.Name || e.Version != want.Version || e.Host != want.Host || e.Namespace != want.Namespace || e.Cluster != want.Cluster || !e.AlwaysPullImages {
				t.Errorf("got %s %s %s %s %s pull=%v", e.Name, e.Version, e.Host, e.Namespace, e.Cluster, e.AlwaysPullImages)
			}
			if st := e.CouchDB.Storage; st.Size != "500Gi" || st.Class != "ebs-gp2" || st.Existing != nil {
				t.Errorf("storage %+v, want 500Gi ebs-gp2 dynamic", st)
			}
			if tl := e.CouchDB.Placement.Tolerations; len(tl) != 1 || tl[0].Key != "dev-couchdb-only" || tl[0].Value != "true" {
				t.Errorf("tolerations %+v, want the chart default", tl)
			}
			if in := e.Ingress; in.Provider != "alb" || in.GroupName != "moh" || in.CertificateArn == "" {
				t.Errorf("ingress %+v", in)
			}
			if e.UpgradeService.Enabled {
				t.Error("upgrade service enabled under GitOps")
			}
			if n := noteFor(notes, "ingress.annotations.extra"); !strings.Contains(n, "values.yaml:9:") {
				t.Errorf("unknown annotation not reported with its line: %q", n)
			}
			if n := noteFor(notes, "couchdb.password"); n == "" || strings.Contains(n, "S3NTINEL") {
				t.Errorf("password note %q: must exist and not hold the value", n)
			}
		},
	}, {
		name: "4.x k3s cluster of three, node placement, legacy tag",
		values: `project_name: partner
cht_image_tag: 4.1.1-4.1.1
cluster_type: k3s-k3d
couchdb:
  clusteredCouch_enabled: true
clusteredCouch:
  noOfCouchDBNodes: 3
nodes:
  node-1: a
  node-2: b
  node-3: c
ingress:
  host: partner.example.org
toleration:
  key: couchdb
  operator: Exists
  effect: NoExecute
upgrade_service:
  tag: 0.30
`,
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.Version != "4.1.1" || e.CouchDB.Nodes != 3 {
				t.Errorf("version %s nodes %d", e.Version, e.CouchDB.Nodes)
			}
			ex := e.CouchDB.Storage.Existing
			if ex == nil || strings.Join(ex.HostPaths, ",") != "/var/lib/cht-partner-couchdb1,/var/lib/cht-partner-couchdb2,/var/lib/cht-partner-couchdb3" || e.CouchDB.Storage.Class != "local-storage" {
				t.Errorf("storage %+v %+v", e.CouchDB.Storage, ex)
			}
			if strings.Join(e.CouchDB.Placement.Nodes, ",") != "a,b,c" {
				t.Errorf("placement %v", e.CouchDB.Placement.Nodes)
			}
			// No value with Exists (the chart's default "true" would be refused).
			if tl := e.CouchDB.Placement.Tolerations[0]; tl.Operator != "Exists" || tl.Effect != "NoExecute" || tl.Value != "" {
				t.Errorf("toleration %+v", tl)
			}
			if e.UpgradeService.Tag != "0.30" || e.Ingress.Provider != "traefik" || e.Ingress.TLSSecretName != "api-tls-secret" {
				t.Errorf("upgrade tag %q ingress %+v", e.UpgradeService.Tag, e.Ingress)
			}
		},
	}, {
		name: "4.x eks pre-existing volumes and subPath",
		values: `namespace: district
cht_image_tag: 4.22.0
couchdb:
  clusteredCouch_enabled: "true"
  couchdb_node_storage_size: 200Gi
clusteredCouch:
  noOfCouchDBNodes: 2
couchdb_data:
  preExistingDataAvailable: "true"
  dataPathOnDiskForCouchDB: "storage/medic-core/couchdb/data"
  partition: "1"
ebs:
  preExistingEBSVolumeID-1: vol-0abc
  preExistingEBSVolumeID-2: vol-0def
  preExistingEBSVolumeSize: 250Gi
ingress:
  host: district.example.org
`,
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			st := e.CouchDB.Storage
			if st.Existing == nil || strings.Join(st.Existing.EBSVolumeIDs, ",") != "vol-0abc,vol-0def" || st.Existing.Partition != 1 || st.SubPath != "storage/medic-core/couchdb/data" || st.Class != "" {
				t.Errorf("storage %+v %+v", st, st.Existing)
			}
			if e.Name != "district" || e.Namespace != "cht-district" && e.Namespace != "district" {
				t.Errorf("name %s namespace %s", e.Name, e.Namespace)
			}
			if n := noteFor(notes, "ebs.preExistingEBSVolumeSize"); !strings.Contains(n, "200Gi") {
				t.Errorf("EBS capacity difference not reported: %q", n)
			}
		},
	}, {
		name: "5.x gke from helm get values with header and --cht-version",
		values: `USER-SUPPLIED VALUES:
project_name: test
namespace: test
cht_image_tag: test
cluster_type: gke
couchdb:
  clusteredCouchEnabled: false
  couchdb_node_storage_size: 10Gi
ingress:
  host: test.example.com
  gcp:
    staticIpName: cht-ip
    managedCertificateName: cht-cert
`,
		opts: importer.HelmOptions{Version: "5.2.0", Name: "gke-test"},
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.Version != "5.2.0" || e.Name != "gke-test" || e.Namespace != "test" {
				t.Errorf("version %s name %s ns %s", e.Version, e.Name, e.Namespace)
			}
			if e.CouchDB.Storage.Class != "standard-rwo" || e.Ingress.Provider != "gke" || e.Ingress.StaticIPName != "cht-ip" || e.Ingress.ManagedCertificate != "cht-cert" {
				t.Errorf("storage %+v ingress %+v", e.CouchDB.Storage, e.Ingress)
			}
			for _, n := range notes {
				if strings.Contains(n.Key, "USER-SUPPLIED") {
					t.Errorf("helm's header reported: %s", n)
				}
			}
		},
	}, {
		// Helm reads values as YAML 1.1 (sigs.k8s.io/yaml): yes, on, True are
		// booleans, so `clusteredCouch_enabled: yes` ran a cluster.
		name: "booleans as Helm reads them",
		values: `project_name: yaml11
cht_image_tag: 4.22.0
cache_images: True
couchdb:
  clusteredCouch_enabled: yes
couchdb_data:
  preExistingDataAvailable: off
nodes: {node-1: a, node-2: b, node-3: c}
ingress: {host: yaml11.example.org}
`,
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.CouchDB.Nodes != 3 || e.AlwaysPullImages || e.CouchDB.Storage.Existing != nil {
				t.Errorf("nodes %d alwaysPull %v existing %+v: want 3, false (cached), none", e.CouchDB.Nodes, e.AlwaysPullImages, e.CouchDB.Storage.Existing)
			}
		},
	}, {
		name: "anchors, aliases and merge keys as Helm reads them",
		values: `x-couch: &couch
  user: admin
  password: S3NTINEL-anchored
  clusteredCouch_enabled: true
project_name: anchored
cht_image_tag: 4.22.0
couchdb:
  <<: *couch
  user: ops
  couchdb_node_storage_size: 20Gi
nodes: &n {node-1: a, node-2: b, node-3: c}
ingress: {host: anchored.example.org}
`,
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.CouchDB.Nodes != 3 || e.CouchDB.User != "ops" || e.CouchDB.Storage.Size != "20Gi" || len(e.CouchDB.Placement.Nodes) != 3 {
				t.Errorf("nodes %d user %s size %s placement %v: want the merged 3, ops (the mapping's own key wins), 20Gi", e.CouchDB.Nodes, e.CouchDB.User, e.CouchDB.Storage.Size, e.CouchDB.Placement.Nodes)
			}
			if n := noteFor(notes, "couchdb.<<"); n != "" {
				t.Errorf("merge key reported as unknown: %s", n)
			}
			if n := noteFor(notes, "x-couch.user"); !strings.Contains(n, "values.yaml:2:3:") {
				t.Errorf("the anchor's own key, which no chart reads, not reported: %q", n)
			}
		},
	}, {
		name:   "a key given twice: the last, as Helm",
		values: "project_name: twice\ncht_image_tag: 4.21.0\ncht_image_tag: 4.22.0\ningress: {host: twice.example.org}\n",
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.Version != "4.22.0" {
				t.Errorf("version %s, want the last one", e.Version)
			}
			if n := noteFor(notes, "cht_image_tag"); !strings.Contains(n, "values.yaml:3:1: cht_image_tag: given twice (also at line 2)") {
				t.Errorf("duplicate not reported: %q", n)
			}
		},
	}, {
		name:   "5.x empty storage_class: the chart's default class (storage_class | default)",
		values: "project_name: ec\ncht_image_tag: 5.2.0\ncluster_type: eks\ncouchdb: {storage_class: \"\", couchdb_node_storage_size: 5Gi}\ningress: {host: ec.example.org}\n",
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.CouchDB.Storage.Class != "ebs-gp2" {
				t.Errorf("class %q, want ebs-gp2", e.CouchDB.Storage.Class)
			}
		},
	}, {
		name:   "5.x empty registry, builds URL and haproxy port: the chart's defaults (| default)",
		values: "project_name: ed\ncht_image_tag: 5.2.0\ncluster_type: eks\nupstream_servers: {docker_registry: \"\", builds_url: \"\"}\nhaproxy: {port: \"\"}\ningress: {host: ed.example.org}\n",
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.Registry != "" || e.HAProxy.Port != 5984 || e.Builds.MarketURL != "https://staging.dev.medicmobile.org" {
				t.Errorf("registry %q haproxy port %d builds %+v, want the defaults", e.Registry, e.HAProxy.Port, e.Builds)
			}
		}}, {
		name:   "5.x k3s empty storage_class: local-path",
		values: "project_name: ek\ncht_image_tag: 5.2.0\ncluster_type: k3s-k3d\ncouchdb: {storage_class: \"\", couchdb_node_storage_size: 5Gi}\ningress: {host: ek.example.org}\n",
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.CouchDB.Storage.Class != "local-path" {
				t.Errorf("class %q, want local-path", e.CouchDB.Storage.Class)
			}
		},
	}, {
		// Moving a release to 5.x: its values still mean what cht-chart-4x
		// made of them (clusteredCouch_enabled, not the 5.x key).
		name:   "a cht-chart-4x cluster imported with --cht-version 5.x stays a cluster",
		values: "project_name: moving\ncht_image_tag: 4.22.0\ncouchdb: {clusteredCouch_enabled: true}\nnodes: {node-1: a, node-2: b, node-3: c}\ningress: {host: moving.example.org}\n",
		opts:   importer.HelmOptions{Version: "5.2.0"},
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.Version != "5.2.0" || e.CouchDB.Nodes != 3 || e.CouchDB.Storage.Class != "ebs-gp2" {
				t.Errorf("version %s nodes %d class %q: want 5.2.0, the release's 3 nodes, cht-chart-4x's ebs-gp2", e.Version, e.CouchDB.Nodes, e.CouchDB.Storage.Class)
			}
			if n := noteFor(notes, "couchdb.clusteredCouch_enabled"); n != "" {
				t.Errorf("cht-chart-4x's own key called the other line's: %s", n)
			}
		},
	}, {
		name:   "a pre-release: on the beta channel",
		values: "project_name: beta\ncht_image_tag: 5.1.0-beta.1\ncluster_type: eks\ningress: {host: beta.example.org}\n",
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.Version != "5.1.0-beta.1" || e.Channel != "beta" || !strings.Contains(noteFor(notes, "channel"), "values.yaml:2:16: channel: 5.1.0-beta.1 is a pre-release") {
				t.Errorf("version %s channel %q notes %v", e.Version, e.Channel, notes)
			}
		},
	}, {
		name:   "helm get values without -o yaml (its header), a second document (ignored, as Helm does)",
		values: "USER-SUPPLIED VALUES:\nproject_name: hdr\ncht_image_tag: 4.22.0\ningress: {host: hdr.example.org}\n---\nproject_name: other\n",
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.Name != "hdr" {
				t.Errorf("name %s, want the first document's", e.Name)
			}
			if n := noteFor(notes, "values file"); !strings.Contains(n, "values.yaml:5: values file: holds a second YAML document") {
				t.Errorf("second document not reported: %q", n)
			}
		},
	}, {
		name:   "an ALB annotation set empty: none, and not called Medic's default",
		values: "project_name: nocert\ncht_image_tag: 4.22.0\ningress:\n  host: nocert.example.org\n  annotations: {groupname: moh, tags: T=1, certificate: \"\"}\n",
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.Ingress.CertificateArn != "" || noteFor(notes, "ingress.annotations.certificate") != "" {
				t.Errorf("certificate %q, note %q", e.Ingress.CertificateArn, noteFor(notes, "ingress.annotations.certificate"))
			}
		},
	}, {
		name: "hostile strings stay strings",
		values: `project_name: hostile
cht_image_tag: 4.22.0
ingress:
  host: hostile.example.org
  annotations:
    tags: "a\"} environments: evil: {target: \"compose\"} // x"
    groupname: "${HOME}$(id)` + "`id`" + `"
`,
		check: func(t *testing.T, e *model.Environment, notes []importer.Note) {
			if e.Ingress.Tags != "a\"} environments: evil: {target: \"compose\"} // x" || e.Ingress.GroupName != "${HOME}$(id)`id`" {
				t.Errorf("tags %q group %q: not carried verbatim", e.Ingress.Tags, e.Ingress.GroupName)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e, notes := importOne(t, tc.values, tc.opts)
			tc.check(t, e, notes)
		})
	}
}

func TestFromHelm_Refusals(t *testing.T) {
	for _, tc := range []struct {
		name, values, want string
	}{
		{"no version", "project_name: a\ncht_image_tag: test\ningress: {host: a.example.org}\n", "values.yaml:2:16: cht_image_tag: holds no CHT version"},
		{"3.x", "project_name: a\ncht_image_tag: 3.17.0\ningress: {host: a.example.org}\n", "values.yaml:2:16: cht_image_tag: CHT 3.17.0 is a 3.x release"},
		{"vSphere data", "project_name: a\ncht_image_tag: 4.22.0\ncluster_type: k3s-k3d\nk3s_use_vSphere_storage_class: true\ningress: {host: a.example.org}\n", "values.yaml:4:32: k3s_use_vSphere_storage_class: vSphere volumes are not expressible"},
		{"gke disks", "project_name: a\ncht_image_tag: 5.2.0\ncluster_type: gke\ncouchdb_data: {preExistingDataAvailable: true}\ningress: {host: a.example.org}\n", "pre-existing GCE persistent disks are not expressible"},
		{"unpinned local volume", "project_name: a\ncht_image_tag: 4.22.0\ncluster_type: k3s-k3d\ningress: {host: a.example.org}\n", "local volumes live on one Kubernetes node each"},
		{"missing EBS id", "project_name: a\ncht_image_tag: 4.22.0\ncouchdb_data: {preExistingDataAvailable: true}\ningress: {host: a.example.org}\n", "ebs.preExistingEBSVolumeID-1: missing"},
		{"5.x without cluster_type", "project_name: a\ncht_image_tag: 5.2.0\ningress: {host: a.example.org}\n", "values.yaml: cluster_type: missing: the 5.x chart has no default"},
		{"not a mapping", "- a\n", "values.yaml:1: values file: a Helm values file is a YAML mapping"},
		{"aliases of aliases (billion laughs)", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n", "values.yaml: values file: its aliases expand to over 100000 values"},
		{"4.x on gke", "project_name: a\ncht_image_tag: 4.22.0\ncluster_type: gke\ningress: {host: a.example.org}\n", "values.yaml:3:15: cluster_type: is gke, which cht-chart-4x does not know"},
		{"not YAML", "project_name: a\n\tcht_image_tag: 4.22.0\n", "values.yaml:2: values file: not YAML: found a tab character"},
		{"helm get values of a release without values", "USER-SUPPLIED VALUES:\nnull\n", "values.yaml:2: values file: a Helm values file is a YAML mapping"},
		{"empty", "", "values.yaml: values file: is empty: a Helm values file is a YAML mapping"},
		{"a string where Helm wants a boolean", "project_name: a\ncht_image_tag: 4.22.0\ncouchdb: {clusteredCouch_enabled: \"yes\"}\ningress: {host: a.example.org}\n",
			`values.yaml:3:35: couchdb.clusteredCouch_enabled: is "yes", want true or false`},
		{"every value of the wrong kind, at once", "project_name: a\ncht_image_tag: 4.22.0\ncouchdb: oops\ningress: {host: [a]}\ntoleration: 5\nnodes: x\n",
			"values.yaml:3:10: couchdb: is a single value, want a mapping (Medic's charts read couchdb.user there)\n" +
				"values.yaml:4:17: ingress.host: is a list, want a single value\n" +
				"values.yaml:5:13: toleration: is a single value, want a mapping (Medic's charts read toleration.key there)\n" +
				"values.yaml:6:8: nodes: is a single value, want a mapping (Medic's charts read nodes.single_node_deploy there)"},
		{"--name escaping", "cht_image_tag: 4.22.0\ningress: {host: a.example.org}\n", `--name: name: "../../etc/x" is not a valid environment name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := importer.HelmOptions{Cluster: "c"}
			if tc.name == "--name escaping" {
				opts.Name = "../../etc/x"
			}
			_, _, err := importer.FromHelm("values.yaml", []byte(tc.values), opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestWrite_RefusesAndReportsAtTheValues(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "environments")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "gitops.cue"), []byte(gitops), 0o644)
	os.WriteFile(filepath.Join(dir, "other.cue"), []byte("package environments\n\nenvironments: taken: {target: \"compose\", version: \"4.22.0\", host: \"t.example.org\"}\n"), 0o644)
	imp := func(values string) *importer.EnvFile {
		env, _, err := importer.FromHelm("v.yaml", []byte(values), importer.HelmOptions{Cluster: "c"})
		if err != nil {
			t.Fatal(err)
		}
		return &importer.EnvFile{Envs: []*importer.Env{env}}
	}
	good := imp("project_name: one\ncht_image_tag: 4.22.0\ningress: {host: one.example.org}\n")
	if _, err := importer.Write(dir, "../escape.cue", good, true); err == nil || !strings.Contains(err.Error(), "not an environment file name") {
		t.Errorf("file name outside the directory: %v", err)
	}

	_, err := importer.Write(dir, "c.cue", imp("project_name: taken\ncht_image_tag: 4.22.0\ningress: {host: x.example.org}\n"), false)
	if err == nil || !strings.Contains(err.Error(), "other.cue:3:15: environments.taken: already declared") {
		t.Errorf("duplicate name: %v", err)
	}
	_, err = importer.Write(dir, "c.cue", imp("project_name: bad\ncht_image_tag: 4.22.0\ningress: {host: Not_A_Host}\n"), false)
	var errs importer.Errors
	if !errors.As(err, &errs) || !strings.Contains(err.Error(), "v.yaml:3:17: host:") {
		t.Errorf("invalid host not reported at the values file: %v", err)
	}
	// A release newer than this cht-gen: the environment is not written, so
	// "set allowUnlistedVersion on this environment" cannot be followed;
	// and --cht-version of a known release would downgrade the instance.
	_, err = importer.Write(dir, "c.cue", imp("project_name: newer\ncht_image_tag: 5.4.0\ncluster_type: eks\ningress: {host: n.example.org}\n"), false)
	if msg := fmt.Sprint(err); !strings.Contains(msg, "v.yaml:2:16: version: CHT 5.4.0 is not a release cht-gen knows") ||
		!strings.Contains(msg, "upgrade cht-gen") || !strings.Contains(msg, "would downgrade the running instance") || strings.Contains(msg, "on this environment") {
		t.Errorf("unlisted release: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.cue")); !os.IsNotExist(err) {
		t.Fatalf("a failed import wrote c.cue: %v", err)
	}
	if _, err := importer.Write(dir, "c.cue", good, false); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "c.cue"))
	if _, err := importer.Write(dir, "c.cue", good, false); err == nil || !strings.Contains(err.Error(), "declaring one): if that is another instance, name this one with --name; --force replaces it") {
		t.Errorf("second write without --force: %v", err)
	}
	w, err := importer.Write(dir, "c.cue", good, true)
	if err != nil || strings.Join(w.Replaced, ",") != "one" {
		t.Fatalf("--force: %+v %v", w, err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "c.cue"))
	if string(before) != string(after) {
		t.Error("re-importing the same values changed the file")
	}
}

// An imported environment says existing: true: the instance runs, with
// data, so its credentials are kept.
func TestFromHelm_MarksTheEnvironmentExisting(t *testing.T) {
	e, _ := importOne(t, "cluster_type: eks\ncht_image_tag: 4.22.0\ningress:\n  host: a.example.org\n", importer.HelmOptions{Name: "a"})
	if !e.Existing {
		t.Error("imported environment is not existing: true")
	}
}
