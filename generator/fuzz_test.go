package generator_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/load"
)

// fuzzEnv builds one environment file from fuzzed fields. Strings go in
// quoted, so the CUE parses and the fuzzer explores values, not syntax.
func fuzzEnv(kind, minor, patch, nodes uint8, name, host, size, class, subPath, user, tag string, pull, upgrade bool) string {
	var b strings.Builder
	b.WriteString("package environments\n\ngitops: repoURL: \"https://github.com/example/hosting\"\n")
	fmt.Fprintf(&b, "environments: %s: {\n", strconv.Quote(name))
	fmt.Fprintf(&b, "\tversion: \"4.%d.%d\"\n\thost: %s\n", minor%25, patch%4, strconv.Quote(host))
	fmt.Fprintf(&b, "\tcouchdb: {nodes: %d, user: %s, storage: {size: %s, subPath: %s}}\n", nodes, strconv.Quote(user), strconv.Quote(size), strconv.Quote(subPath))
	fmt.Fprintf(&b, "\tupgradeService: {enabled: %t, tag: %s}\n", upgrade, strconv.Quote(tag))
	switch kind % 4 {
	case 0:
		b.WriteString("\ttarget: \"compose\"\n")
	default:
		b.WriteString("\ttarget: \"kubernetes\"\n")
		fmt.Fprintf(&b, "\talwaysPullImages: %t\n\tcouchdb: storage: class: %s\n", pull, strconv.Quote(class))
		if kind%4 >= 2 {
			b.WriteString("\tgitops: \"argocd\"\n")
		}
		if kind%4 == 3 {
			b.WriteString("\targocdMode: \"applicationset\"\n\tingress: provider: \"alb\"\n")
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// FuzzRender: any environment that validates must render, and Render
// itself proves the output loads: every overlay and reconciler folder is
// built with krusty and decoded strictly, every Compose project is loaded
// with compose-go. Seeds: below and testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	type seed struct {
		kind, minor, patch, nodes                   uint8
		name, host, size, class, subPath, user, tag string
		pull, upgrade                               bool
	}
	for _, s := range []seed{
		{0, 22, 0, 1, "dev", "localhost", "20Gi", "", "data", "admin", "latest", false, true},
		{1, 21, 1, 3, "prod", "cht.example.org", "100Gi", "gp3", "data", "medic", "0.32", true, false},
		{2, 4, 0, 1, "old", "old.example.org", "1Gi", "local-path", "", "medic", "0.32", false, true},
		{3, 22, 0, 5, "cht-a", "a.example.org", "500Mi", "ebs-gp2", "couch/data", "medic", "0.32", false, false},
		{0, 0, 0, 16, "n16", "n16.example.org", "1Ti", "", "", "medic", "x", false, false},
	} {
		// A seed that no longer validates would leave the property untested.
		src := fuzzEnv(s.kind, s.minor, s.patch, s.nodes, s.name, s.host, s.size, s.class, s.subPath, s.user, s.tag, s.pull, s.upgrade)
		if _, err := load.Load(fstest.MapFS{"env.cue": {Data: []byte(src)}}, "environments"); err != nil {
			f.Fatalf("seed %s does not validate: %v", s.name, err)
		}
		f.Add(s.kind, s.minor, s.patch, s.nodes, s.name, s.host, s.size, s.class, s.subPath, s.user, s.tag, s.pull, s.upgrade)
	}
	f.Fuzz(func(t *testing.T, kind, minor, patch, nodes uint8, name, host, size, class, subPath, user, tag string, pull, upgrade bool) {
		src := fuzzEnv(kind, minor, patch, nodes, name, host, size, class, subPath, user, tag, pull, upgrade)
		res, err := load.Load(fstest.MapFS{"env.cue": {Data: []byte(src)}}, "environments")
		if err != nil {
			return // refused with a diagnostic: FuzzLoad's property
		}
		set, err := renderedFiles(generator.Render(context.Background(), res.Environments, generator.Options{}))
		if err != nil {
			t.Fatalf("validated but does not render: %v\n%s", err, src)
		}
		if len(set) == 0 {
			t.Fatalf("validated but rendered nothing:\n%s", src)
		}
	})
}
