package synth

import (
	"fmt"

	"github.com/cht-gen/cht-gen/generator/model"
)

// HelmValues is the values file a user of Medic's cht-chart-4x writes
// today for the same Kubernetes environment, so the CLI benchmark can time
// `helm template` side by side with cht-gen. Credentials are dummies: the
// chart needs them in values, which is one reason cht-gen does not.
func HelmValues(e *model.Environment) map[string]any {
	clusterType := "k3s-k3d"
	if e.Ingress.Provider == "alb" {
		clusterType = "eks"
	}
	nodes := map[string]any{}
	for i, n := range e.CouchDB.Placement.Nodes {
		nodes[fmt.Sprintf("node-%d", i+1)] = n
	}
	return map[string]any{
		"project_name":  e.Name,
		"namespace":     e.Namespace,
		"chtversion":    e.Version,
		"cht_image_tag": e.Version,
		"cache_images":  !e.AlwaysPullImages,
		"cluster_type":  clusterType,
		"couchdb": map[string]any{
			"password":                  "not-a-secret",
			"clusteredCouch_enabled":    e.CouchDB.Clustered(),
			"couchdb_node_storage_size": e.CouchDB.Storage.Size,
		},
		"clusteredCouch": map[string]any{"noOfCouchDBNodes": e.CouchDB.Nodes},
		"ingress":        map[string]any{"host": e.Host},
		"nodes":          nodes,
	}
}
