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
	f.Add(uint8(0), uint8(22), uint8(0), uint8(1), "dev", "localhost", "20Gi", "", "data", "admin", "latest", false, true)
	f.Add(uint8(1), uint8(21), uint8(1), uint8(3), "prod", "cht.example.org", "100Gi", "gp3", "data", "medic", "0.32", true, false)
	f.Add(uint8(2), uint8(4), uint8(0), uint8(1), "old", "old.example.org", "1Gi", "local-path", "", "medic", "0.32", false, true)
	f.Add(uint8(3), uint8(22), uint8(0), uint8(5), "cht-a", "a.example.org", "500Mi", "ebs-gp2", "couch/data", "medic", "0.32", false, false)
	f.Add(uint8(0), uint8(0), uint8(0), uint8(16), "n16", "n16.example.org", "1Ti", "", "", "medic", "x", false, false)
	f.Fuzz(func(t *testing.T, kind, minor, patch, nodes uint8, name, host, size, class, subPath, user, tag string, pull, upgrade bool) {
		src := fuzzEnv(kind, minor, patch, nodes, name, host, size, class, subPath, user, tag, pull, upgrade)
		res, err := load.Load(fstest.MapFS{"env.cue": {Data: []byte(src)}}, "environments")
		if err != nil {
			return // refused with a diagnostic: FuzzLoad's property
		}
		set, err := generator.Render(context.Background(), res, generator.Options{})
		if err != nil {
			t.Fatalf("validated but does not render: %v\n%s", err, src)
		}
		if len(set) == 0 {
			t.Fatalf("validated but rendered nothing:\n%s", src)
		}
	})
}
