package composecompare

import (
	"context"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

func load(t *testing.T, doc string) *types.Project {
	t.Helper()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  "/srv/x",
		ConfigFiles: []types.ConfigFile{{Filename: "/srv/x/a.yml", Content: []byte(doc)}},
	}, func(o *loader.Options) { o.SetProjectName("x", true) })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// What the named aspects leave out still differs in Flat: a field the
// conformance tests would otherwise miss (ulimits, dns, healthcheck,
// volume options) makes two projects unequal.
func TestFlat_ComparesEveryField(t *testing.T) {
	base := "services:\n  couchdb:\n    image: c:1\n    volumes: [\"/d:/opt/couchdb/data\"]\n"
	for name, extra := range map[string]string{
		"ulimits":     "    ulimits: {nofile: 65536}\n",
		"dns":         "    dns: [10.0.0.2]\n",
		"healthcheck": "    healthcheck: {test: [\"CMD\", \"true\"]}\n",
		"command":     "    command: [\"x\"]\n",
		"read-only":   "    read_only: true\n",
	} {
		a, b := Flat(load(t, base)), Flat(load(t, base+extra))
		differs := len(a) != len(b)
		for k, v := range b {
			differs = differs || a[k] != v
		}
		if !differs {
			t.Errorf("%s: Flat does not see the difference", name)
		}
	}
	a, b := Flat(load(t, base)), Flat(load(t, base))
	for k, v := range a {
		if b[k] != v {
			t.Errorf("same project, %s differs: %q %q", k, v, b[k])
		}
	}
}
