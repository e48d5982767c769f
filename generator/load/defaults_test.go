package load_test

import (
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
)

// The defaults renderers compare with come from cue/schema.cue, and an
// environment's own settings do not change them.
func TestLoad_SchemaDefaults(t *testing.T) {
	src := `package environments
environments: a: {target: "compose", version: "4.22.0", host: "a.example.org", couchdb: logLevel: "debug", builds: marketURL: "https://builds.example.org"}
environments: b: {target: "compose", version: "4.22.0", host: "b.example.org"}
`
	res, err := load.Load(fstest.MapFS{"e.cue": {Data: []byte(src)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	want := model.Defaults{Builds: model.Builds{MarketURL: "https://staging.dev.medicmobile.org", Server: "_couch/builds_4"}, CouchDBLogLevel: "info"}
	for _, e := range res.Environments {
		if e.Defaults == nil || *e.Defaults != want {
			t.Errorf("%s: defaults %+v, want %+v", e.Name, e.Defaults, want)
		}
	}
	// b takes the schema's defaults: they are what Defaults hold.
	b := res.Environments[1]
	if b.Builds != want.Builds || b.CouchDB.LogLevel != want.CouchDBLogLevel {
		t.Errorf("b: builds %+v, log level %q", b.Builds, b.CouchDB.LogLevel)
	}
}
