// Package synth makes synthetic environment sets for benchmarks: a
// realistic mix of compose single-node VMs and Kubernetes 1-node and
// 3-node tenants over several clusters and both reconcilers.
package synth

import (
	"fmt"
	"strings"
	"testing/fstest"
)

// Environments returns n environments, 10 per file, as a MapFS.
func Environments(n int) fstest.MapFS {
	fs := fstest.MapFS{}
	var b strings.Builder
	flush := func(i int) {
		if b.Len() > 0 {
			fs[fmt.Sprintf("env%04d.cue", i)] = &fstest.MapFile{Data: []byte("package environments\n\n" + b.String())}
			b.Reset()
		}
	}
	fs["gitops.cue"] = &fstest.MapFile{Data: []byte("package environments\n\ngitops: repoURL: \"https://github.com/example-moh/cht-hosting\"\n")}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("d%04d", i)
		host := name + ".cht.example.org"
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "environments: %s: {target: \"compose\", version: \"4.22.0\", host: %q}\n", name, host)
		case 1:
			fmt.Fprintf(&b, "environments: %s: {target: \"kubernetes\", version: \"4.21.1\", host: %q, cluster: \"c%d\", ingress: provider: \"nginx\"}\n", name, host, i%7)
		case 2:
			fmt.Fprintf(&b, "environments: %s: {target: \"kubernetes\", version: \"4.22.0\", host: %q, cluster: \"c%d\", gitops: \"argocd\", couchdb: {nodes: 3, storage: {size: \"100Gi\", class: \"gp3\"}}, ingress: provider: \"alb\"}\n", name, host, i%7)
		case 3:
			fmt.Fprintf(&b, "environments: %s: {target: \"kubernetes\", version: \"4.20.0\", host: %q, cluster: \"c%d\", couchdb: storage: class: \"local-path\"}\n", name, host, i%5)
		}
		if i%10 == 9 {
			flush(i)
		}
	}
	flush(n)
	return fs
}
