// Package synth makes synthetic environment sets for benchmarks, shaped
// like the fleet of issue 15: of every 100 environments, 80 are Kubernetes
// tenants over four clusters (two reconciled by Flux, two by Argo CD; one
// tenant in ten runs a 3-node CouchDB cluster) and 20 are Compose VMs.
package synth

import (
	"fmt"
	"strings"
	"testing/fstest"
)

// versions the tenants cycle through (CHT 4.x, what Medic's cht-chart-4x,
// which the CLI benchmark times beside cht-gen, renders).
var versions = []string{"4.20.0", "4.21.1", "4.22.0"}

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
	tenants := 0
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("d%04d", i)
		host := name + ".cht.example.org"
		if i%5 == 4 {
			fmt.Fprintf(&b, "environments: %s: {target: \"compose\", version: %q, host: %q}\n", name, versions[i%len(versions)], host)
		} else {
			b.WriteString(tenant(name, host, tenants))
			tenants++
		}
		if i%10 == 9 {
			flush(i)
		}
	}
	flush(n)
	return fs
}

// tenant is the k-th Kubernetes tenant: one of clusters c0-c3 in turn
// (shifted every ten tenants, so each cluster gets CouchDB clusters), Argo
// CD on c1 and c3, a CouchDB cluster for one in ten.
func tenant(name, host string, k int) string {
	cluster := (k + k/10) % 4
	gitops := "flux"
	if cluster%2 == 1 {
		gitops = "argocd"
	}
	couch, ingress := `couchdb: storage: class: "local-path"`, "nginx"
	if k%10 == 9 {
		couch, ingress = `couchdb: {nodes: 3, storage: {size: "100Gi", class: "gp3"}}`, "alb"
	}
	return fmt.Sprintf("environments: %s: {target: \"kubernetes\", version: %q, host: %q, cluster: \"c%d\", gitops: %q, %s, ingress: provider: %q}\n",
		name, versions[k%len(versions)], host, cluster, gitops, couch, ingress)
}
