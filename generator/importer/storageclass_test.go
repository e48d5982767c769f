package importer_test

import (
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/importer"
)

// storage_class that did not become couchdb.storage.class is listed, not
// dropped: cht-chart-4x never reads it, and the 5.x chart only for new
// volumes.
func TestImportHelm_StorageClassNotExpressedIsListed(t *testing.T) {
	for _, tc := range []struct{ name, values, want string }{
		{"4.x eks", "project_name: a\ncht_image_tag: 4.22.0\ncluster_type: eks\ncouchdb: {storage_class: gp3}\ningress: {host: a.example.org}\n", "cht-chart-4x never reads it"},
		{"5.x eks pre-existing", "project_name: a\ncht_image_tag: 5.2.0\ncluster_type: eks\ncouchdb: {storage_class: gp3}\ncouchdb_data: {preExistingDataAvailable: true}\nebs: {preExistingEBSVolumeID-1: vol-1}\ningress: {host: a.example.org}\n", "only for new volumes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, notes, err := importer.FromHelm("values.yaml", []byte(tc.values), importer.HelmOptions{Cluster: "c"})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, n := range notes {
				if n.Key == "couchdb.storage_class" && strings.Contains(n.Message, tc.want) && strings.Contains(n.Message, "not expressed") {
					found = true
				}
			}
			if !found {
				t.Errorf("storage_class not listed; notes: %v", notes)
			}
		})
	}
	_, notes, err := importer.FromHelm("values.yaml", []byte("project_name: a\ncht_image_tag: 5.2.0\ncluster_type: eks\ncouchdb: {storage_class: gp3}\ningress: {host: a.example.org}\n"), importer.HelmOptions{Cluster: "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		if n.Key == "couchdb.storage_class" {
			t.Errorf("5.x new volume of class gp3 listed as not expressed: %s", n)
		}
	}
}
