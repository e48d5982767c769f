package importer_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cht-gen/cht-gen/generator/importer"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
)

// A Helm release of Medic's published 5.3.0 chart (a nouveau per CouchDB
// node on a cluster) imports to a 5.3.0 environment, read off the values'
// cht_image_tag, whose overlay is what `helm template` renders, 1, 3 and 5
// nodes. The packaged chart has no tests/ folder: the values are its own
// files with the nodes named.
func TestImportHelm53_RoundTrip(t *testing.T) {
	chart := hc.Reference(t, "cht-core", "5.3.0", "scripts", "build", "helm")
	hc.Helm(t)
	for _, tc := range []struct {
		name, deployment, nodes string
		clustered               bool
	}{
		{"one node", "single", "nodes:\n  single_node_deploy: gke-a\n", false},
		{"three nodes", "multi", "nodes:\n  node-1: gke-a\n  node-2: gke-b\n  node-3: gke-c\n", true},
		{"five nodes", "multi", "clusteredCouch:\n  noOfCouchDBNodes: 5\nnodes:\n  node-1: gke-a\n  node-2: gke-b\n  node-3: gke-c\n  node-4: gke-d\n  node-5: gke-e\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			extra := filepath.Join(tmp, "nodes.yaml")
			os.WriteFile(extra, []byte("namespace: cht53\nproject_name: cht53\ncouchdb:\n  password: not-a-secret\n  secret: not-a-secret\n  uuid: not-a-secret\n  couchdb_node_storage_size: 100Mi\n"+
				"couchdb_data:\n  preExistingDataAvailable: false\ningress:\n  host: cht53.example.org\n"+tc.nodes), 0o644)
			file := filepath.Join(tmp, "values.yaml")
			os.WriteFile(file, mergeValues(t, filepath.Join(chart, "values", "base.yaml"), filepath.Join(chart, "values", "deployment-"+tc.deployment+".yaml"),
				filepath.Join(chart, "values", "platform-gke.yaml"), extra), 0o644)
			e, built := importAndBuild(t, file, importer.HelmOptions{Cluster: "c"})
			if e.Version != "5.3.0" {
				t.Fatalf("imported version %s, want the chart's cht_image_tag 5.3.0", e.Version)
			}
			medic := hc.Template(t, chart, e.Namespace, "-f", file)
			diffs := append(append([]hc.Difference{}, hc.Common...), hc.Differences5(e.Version, tc.clustered)...)
			hc.Compare(t, hc.Decode(t, built), hc.Decode(t, medic), diffs)
		})
	}
}
