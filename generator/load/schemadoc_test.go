package load_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/load"
)

// TestSchemaReference_UpToDate: docs/schema.md is generated from
// cue/schema.cue; a field added to the schema without make update fails
// here. CHT_UPDATE=1 rewrites it.
func TestSchemaReference_UpToDate(t *testing.T) {
	const path = "../../docs/schema.md"
	got, err := load.SchemaReference()
	if err != nil {
		t.Fatal(err)
	}
	// Fields the hand-written table had left out are there now.
	for _, want := range []string{"`gitops.secretRef?`", "`ingress.tlsSecretName`", "`couchdb.storage.subPath`", "`nginx.tls.certDir`", "`existing`"} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("reference lacks %s", want)
		}
	}
	if strings.Contains(string(got), "`_gitops") {
		t.Error("reference lists a hidden field")
	}
	if os.Getenv("CHT_UPDATE") != "" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(want, got) {
		t.Errorf("docs/schema.md is stale (%v): run make update (CHT_UPDATE=1) and commit it", err)
	}
}
