// Package composecompare compares Compose projects cht-gen renders with
// Medic's published Compose files, up to reviewed differences, for tests.
// The Compose conformance test (generator/compose) and the import round
// trip (generator/importer) both use it, so each reviewed difference is
// written, and explained, once.
package composecompare

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// Intended are reviewed differences: "service.aspect" key -> why.
type Intended map[string]string

const clusterServers = "Medic publishes one cht-core.yml defaulting to couchdb and has clustered operators set COUCHDB_SERVERS in .env; cht-gen renders the cluster's node list as the default"

// Cluster422 is the reviewed difference of a 4.22 cluster left at Medic's
// defaults (no COUCHDB_SERVERS in .env).
var Cluster422 = Intended{
	"haproxy.env.COUCHDB_SERVERS":     clusterServers,
	"healthcheck.env.COUCHDB_SERVERS": "as for haproxy",
}

// Cluster5x is the reviewed difference of every 5.x cluster: Medic's
// healthcheck moved into cht-couchdb-clustered.yml, where its template
// already defaults COUCHDB_SERVERS to the cluster, so only haproxy (in the
// shared cht-core.yml) differs.
var Cluster5x = Intended{
	"haproxy.env.COUCHDB_SERVERS": clusterServers,
}

// Flat describes a loaded project as comparable "service.aspect=value"
// lines.
func Flat(p *types.Project) map[string]string {
	out := map[string]string{}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		out[name+".image"] = s.Image
		out[name+".restart"] = s.Restart
		out[name+".hostname"] = s.Hostname
		for k, v := range s.Environment {
			val := "<unset>"
			if v != nil {
				val = *v
			}
			out[name+".env."+k] = val
		}
		for _, v := range s.Volumes {
			out[name+".volume."+v.Target] = v.Type + ":" + v.Source
		}
		for n := range s.Networks {
			out[name+".network."+n] = "yes"
		}
		if s.Logging != nil {
			out[name+".logging"] = fmt.Sprint(s.Logging.Driver, s.Logging.Options)
		}
		if s.Deploy != nil && s.Deploy.Resources.Limits != nil {
			out[name+".limits.memory"] = fmt.Sprint(s.Deploy.Resources.Limits.MemoryBytes)
		}
		for _, e := range s.Expose {
			out[name+".expose."+e] = "yes"
		}
		for _, port := range s.Ports {
			out[name+".port."+fmt.Sprint(port.Target)] = port.Published
		}
		for d, dep := range s.DependsOn {
			out[name+".depends_on."+d] = fmt.Sprint(dep.Condition, " required=", dep.Required, " restart=", dep.Restart)
		}
		for _, port := range s.Ports {
			out[name+".port."+fmt.Sprint(port.Target)+".protocol"] = port.Protocol + " " + port.Mode + " " + port.HostIP
		}
	}
	for n, net := range p.Networks {
		out["network."+n] = net.Name + " driver=" + net.Driver + fmt.Sprint(" external=", net.External)
	}
	for n := range p.Volumes {
		out["volume."+n] = "yes"
	}
	raw(p, out)
	return out
}

// raw adds every other field of the loaded project as "<service>.raw.<json
// path>" (and "networks.raw...", "volumes.raw..."), so that what the
// aspects above leave out (ulimits, healthcheck, command, entrypoint, dns,
// extra_hosts, deploy, volume and network options, ...) is compared too.
// The environment is left out: the aspects above compare it exactly.
func raw(p *types.Project, out map[string]string) {
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		s.Environment = nil
		flatten(name+".raw", s, out)
	}
	flatten("networks.raw", p.Networks, out)
	flatten("volumes.raw", p.Volumes, out)
}

// flatten writes v, as JSON, one "prefix.path=value" line per leaf.
func flatten(prefix string, v any, out map[string]string) {
	b, err := json.Marshal(v)
	if err != nil {
		out[prefix] = "unmarshalable: " + err.Error()
		return
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		out[prefix] = "unmarshalable: " + err.Error()
		return
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				walk(path+"."+k, vv)
			}
		case []any:
			for i, vv := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), vv)
			}
		default:
			out[path] = fmt.Sprint(x)
		}
	}
	walk(prefix, doc)
}

// Compare compares Medic's project (want) with cht-gen's (got) key by
// key, skipping the keys ignore accepts: each difference must be intended,
// and each intended difference must still be there.
func Compare(t testing.TB, want, got *types.Project, intended Intended, ignore func(key string) bool) {
	t.Helper()
	w, g := Flat(want), Flat(got)
	keys := map[string]bool{}
	for k := range w {
		keys[k] = true
	}
	for k := range g {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		if ignore == nil || !ignore(k) {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	seen := map[string]bool{}
	for _, k := range sorted {
		if w[k] == g[k] {
			continue
		}
		if why, ok := intended[k]; ok {
			seen[k] = true
			t.Logf("intended: %s: Medic %q, cht-gen %q (%s)", k, w[k], g[k], why)
			continue
		}
		t.Errorf("%s: Medic %q, cht-gen %q", k, w[k], g[k])
	}
	for k := range intended {
		if !seen[k] {
			t.Errorf("intended difference %s no longer differs: remove it from the list", k)
		}
	}
}
