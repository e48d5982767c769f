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

// couchdb.logLevel set in the file, directly, to the schema's default, or
// through a pattern over all environments, is LogLevelSet; left out, not
// (Compose then renders Medic's default of the version).
func TestLoad_LogLevelSet(t *testing.T) {
	src := `package environments
environments: a: {target: "compose", version: "4.1.0", host: "a.example.org", couchdb: logLevel: "info"}
environments: b: {target: "compose", version: "4.1.0", host: "b.example.org"}
environments: c: {target: "compose", version: "4.1.0", host: "c.example.org", couchdb: logLevel: "debug"}
`
	res, err := load.Load(fstest.MapFS{"e.cue": {Data: []byte(src)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"a": true, "b": false, "c": true}
	for _, e := range res.Environments {
		if e.CouchDB.LogLevelSet != want[e.Name] {
			t.Errorf("%s: LogLevelSet %v, want %v", e.Name, e.CouchDB.LogLevelSet, want[e.Name])
		}
	}
	pattern := `package environments
environments: [_]: couchdb: logLevel: "notice"
environments: b: {target: "compose", version: "4.1.0", host: "b.example.org"}
`
	res, err = load.Load(fstest.MapFS{"e.cue": {Data: []byte(pattern)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	if e := res.Environments[0]; !e.CouchDB.LogLevelSet || e.CouchDB.LogLevel != "notice" {
		t.Errorf("b: logLevel %q set through a pattern: LogLevelSet %v", e.CouchDB.LogLevel, e.CouchDB.LogLevelSet)
	}
}
