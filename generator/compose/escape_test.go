package compose

import (
	"context"
	"testing"

	"github.com/cht-gen/cht-gen/generator/files"
)

// Every value written as a ${VAR:-default} default loads as the user's
// literal string, whatever the operator's .env holds.
func TestV_DefaultIsLiteral(t *testing.T) {
	env := map[string]string{"COUCHDB_PASSWORD": "s3cret", "X": "expanded"}
	for _, s := range []string{"plain", "$X", "$$X", "a$", "$", "https://m.example.org/a$COUCHDB_PASSWORD", "${X:-y}x", "$${X}"} {
		doc := files.Map{{"services", files.Map{{"s", files.Map{
			{"image", "busybox"},
			{"environment", []files.Quoted{files.Quoted("V=" + v("UNSET_VAR", s))}},
		}}}}}
		b, err := files.YAML(doc)
		if err != nil {
			t.Fatal(err)
		}
		p, err := LoadProject(context.Background(), files.Set{"d/c.yml": b}, "d", "/srv", "p", []string{"c.yml"}, env)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := *p.Services["s"].Environment["V"]; got != s {
			t.Errorf("default %q loads as %q", s, got)
		}
	}
}
