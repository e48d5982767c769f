package compose

import (
	"fmt"
	"strings"

	"github.com/cht-gen/cht-gen/generator/files"
)

// nouveau is Medic's CouchDB full-text search service (CHT 5.x). CouchDB
// finds it as http://nouveau:5987 (couchdb/10-docker-default.ini), so the
// service name is fixed. One nouveau serves the whole cluster and keeps its
// indexes inside the data folder of the single node or of node 1
// (${COUCHDB_DATA}/nouveau, ${DB1_DATA}/nouveau), as Medic's files and
// "Preparing for 5.0" say; the same variable lets the upgrade service and
// .env move both together.
func (r renderer) nouveau() files.Map {
	return files.Map{
		{"image", r.e.Image("couchdb-nouveau")},
		{"volumes", []string{r.nouveauData() + ":/data/nouveau"}},
		{"restart", "always"},
		{"logging", r.logging()},
		{"networks", files.Map{{"cht-net", nil}}},
	}
}

// nouveauData is the host folder of nouveau's indexes, as ${VAR:-default}.
func (r renderer) nouveauData() string {
	variable, def := r.dataPath(1)
	return v(variable, def) + "/nouveau"
}

// nouveauReadme tells the operator where the search indexes live and that
// the disk needs room for them (and for the reindexing after 4.x -> 5.x).
func (r renderer) nouveauReadme() string {
	variable, def := r.dataPath(1)
	node, shared := "CouchDB's", ""
	if r.e.CouchDB.Clustered() {
		node, shared = "node 1's ("+r.e.CouchDBServices()[0]+")", "; one nouveau serves every node"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Data\n\n")
	for i := range r.e.CouchDBServices() {
		nodeVar, nodeDef := r.dataPath(i + 1)
		fmt.Fprintf(&b, "- `%s`: %s data (`%s`)\n", nodeDef, r.e.CouchDBServices()[i], nodeVar)
	}
	fmt.Fprintf(&b, "- `%s/nouveau`: nouveau's full-text search indexes (CHT 5.x), inside\n  %s data folder (`${%s}/nouveau`)%s.\n\n", strings.TrimRight(def, "/"), node, variable, shared)
	b.WriteString("Leave disk room for the nouveau indexes beside CouchDB's data. Before moving\n" +
		"from 4.x to 5.x, have up to 5 times the space CouchDB uses now free: the views\n" +
		"are rebuilt (Medic, \"Preparing for 5.0\":\n" +
		"https://docs.communityhealthtoolkit.org/hosting/cht/migration/preparing-for-5/).\n\n")
	return b.String()
}
