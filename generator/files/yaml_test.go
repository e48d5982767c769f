package files

import (
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The fast paths of toNode must write what yaml.v3 writes for the same Go
// value, byte for byte, or re-rendering would churn every file.
func TestToNodeMatchesEncoder(t *testing.T) {
	values := []any{
		"plain", "", " lead", "trail ", "yes", "Yes", "NO", "on", "Off", "y", "n", "true", "False",
		"null", "~", "123", "-7", "0x1F", "0o17", "1e3", "1.5", ".inf", "-.Inf", ".nan", "1:20", "190:20:30.15",
		"4.22.0", "a: b", "- x", "#c", "x #c", "[a]", "{a}", "*ref", "&anchor", "!tag", "%x", "@x", "`x",
		"${COUCHDB_USER:-admin}", "http://couchdb:5984", "multi\nline", "multi\nline\n", "tab\there",
		"é", "'", `"`, "?", "|", ">", "=", "<<",
		0, 5984, -1, true, false,
		[]string{"a", "yes", "1:2"}, []any{"x", 1, true, []string{"y"}}, []string{},
	}
	for _, v := range values {
		got, err := YAML(Map{{"k", v}})
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		want, err := yaml.Marshal(map[string]any{"k": v})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%#v:\n got %q\nwant %q", v, got, want)
		}
	}
}
