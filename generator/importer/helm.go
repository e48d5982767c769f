package importer

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/cht-gen/cht-gen/generator/model"
)

// HelmOptions tune an import of Helm values.
type HelmOptions struct {
	// Name of the environment; default: project_name, else namespace,
	// else the file name, whichever is a valid environment name.
	Name string
	// Cluster the environment runs on (environments/<cluster>.cue).
	Cluster string
	// Version to use when cht_image_tag holds none (Medic's test values
	// say "test"), or to override it.
	Version string
}

// nameRE is the schema's #Name: names become namespaces and file names.
var nameRE = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$`)

// ValidName reports whether s can name an environment or a cluster.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// chart4xDefaults are the values of Medic's cht-chart-4x values.yaml that
// change what the chart renders. `helm get values` prints only what the
// host set; the release ran with these for everything else.
var chart4xDefaults = map[string]string{
	"cluster_type":                          "eks",
	"cache_images":                          "true",
	"upstream_servers.docker_registry":      "public.ecr.aws/medic",
	"upstream_servers.builds_url":           "https://staging.dev.medicmobile.org/_couch/builds_4",
	"upgrade_service.tag":                   "0.32",
	"couchdb.user":                          "medic",
	"couchdb.clusteredCouch_enabled":        "false",
	"couchdb.couchdb_node_storage_size":     "100Mi",
	"clusteredCouch.noOfCouchDBNodes":       "3",
	"toleration.key":                        "dev-couchdb-only",
	"toleration.operator":                   "Equal",
	"toleration.value":                      "true",
	"toleration.effect":                     "NoSchedule",
	"couchdb_data.preExistingDataAvailable": "false",
	"couchdb_data.dataPathOnDiskForCouchDB": "data",
	"couchdb_data.partition":                "0",
	"local_storage.preExistingDiskPath-1":   "/var/lib/couchdb1",
	"local_storage.preExistingDiskPath-2":   "/var/lib/couchdb2",
	"local_storage.preExistingDiskPath-3":   "/var/lib/couchdb3",
	"k3s_use_vSphere_storage_class":         "false",
}

// chart5xDefaults are the `| default` fallbacks of the 5.x chart's
// templates (it ships example values, not a values.yaml).
var chart5xDefaults = map[string]string{
	"cache_images":                          "true",
	"upstream_servers.docker_registry":      "public.ecr.aws/medic",
	"upstream_servers.builds_url":           "https://staging.dev.medicmobile.org/_couch/builds_4",
	"couchdb.user":                          "medic",
	"couchdb_data.dataPathOnDiskForCouchDB": "data",
	"couchdb_data.partition":                "0",
}

// explained are keys the charts read (or Medic's deploy scripts do) that
// the schema does not express, with what they did.
var explained = map[string]string{
	"project_name":                 "names the release in Medic's deploy script; used as the environment name when valid",
	"chtversion":                   "read by Medic's deploy script, not the chart (cht_image_tag sets the images)",
	"ingress.hosted_zone_id":       "Route 53 zone Medic's deploy script adds the host to; cht-gen manages no DNS: keep the record",
	"ingress.load_balancer":        "load balancer Medic's deploy script points DNS at; cht-gen manages no DNS: keep the record",
	"environment":                  "\"remote\" is what cht-gen renders; \"local\" adds an nginx Service for Medic's CI and skips node checks, not expressible",
	"cert_source":                  "read by Medic's deploy script to create the TLS Secret; cht-gen expects the Secret (ingress.tlsSecretName) in the cluster",
	"certificate_crt_file_path":    "read by Medic's deploy script to create the TLS Secret; create it yourself",
	"certificate_key_file_path":    "read by Medic's deploy script to create the TLS Secret; create it yourself",
	"couchdb.password":             "credential: not imported (see the comment above the environment for the Secret)",
	"couchdb.secret":               "credential: not imported (see the comment above the environment for the Secret)",
	"couchdb.uuid":                 "credential: not imported (see the comment above the environment for the Secret)",
	"ebs.preExistingEBSVolumeSize": "capacity of the pre-existing EBS volume; cht-gen gives volume and claim couchdb.storage.size",
	"vSphere.datastoreName":        "vSphere volumes are not expressible (k3s_use_vSphere_storage_class is off): ignored",
	"vSphere.diskPath":             "vSphere volumes are not expressible (k3s_use_vSphere_storage_class is off): ignored",
	"api.node_env":                 "5.2 chart: NODE_ENV of API; cht-gen renders Medic's default",
	"api.log_level":                "5.2 chart: LOG_LEVEL of API; cht-gen renders Medic's default",
	"api.service.type":             "5.x chart: type of the api Service; cht-gen renders ClusterIP",
	"api.port":                     "5.x chart: API_PORT; cht-gen renders 5988",
	"sentinel.node_env":            "5.2 chart: NODE_ENV of Sentinel; cht-gen renders Medic's default",
	"sentinel.log_level":           "5.2 chart: LOG_LEVEL of Sentinel; cht-gen renders Medic's default",
	"haproxy.ip":                   "5.x chart: HAPROXY_IP; cht-gen renders 0.0.0.0",
	"couchdb.db_name":              "5.x chart: database name for Medic's integration tests; not expressible, ignored",
	"ingress.gcp.enabled":          "not read by the chart templates (cluster_type gke selects the GCE ingress)",
	"couchdb.persistent_disk.type": "GCE disk type of pre-existing disks; not expressible, ignored",
	"couchdb.persistent_disk.size": "size of pre-existing GCE disks; not expressible, ignored",
}

// conditional are keys Medic's charts read only in some configurations;
// unread, they had no effect on this release.
var conditional = map[string]string{
	"clusteredCouch.noOfCouchDBNodes":       "read only when CouchDB is clustered",
	"couchdb_data.partition":                "read only for pre-existing EBS volumes",
	"ebs.preExistingEBSVolumeSize":          "read only for pre-existing EBS volumes",
	"k3s_use_vSphere_storage_class":         "read only on k3s-k3d",
	"ingress.annotations.groupname":         "read only on eks",
	"ingress.annotations.tags":              "read only on eks",
	"ingress.annotations.certificate":       "read only on eks",
	"ingress.gcp.staticIpName":              "read only on gke",
	"ingress.gcp.managedCertificateName":    "read only on gke",
	"couchdb.storage_class":                 "read only for new volumes",
	"couchdb_data.dataPathOnDiskForCouchDB": "read for every volume",
	"nodes.single_node_deploy":              "read only for a single CouchDB node",
	"upgrade_service.tag":                   "read by cht-chart-4x only",
}

var conditionalPrefixes = map[string]string{
	"ebs.preExistingEBSVolumeID-":        "read only for pre-existing EBS volumes on eks",
	"local_storage.preExistingDiskPath-": "read only on k3s-k3d (clustered: with pre-existing data)",
	"nodes.node-":                        "read only when CouchDB is clustered (one per node)",
	"couchdb.persistent_disk.diskName":   "read only for pre-existing GCE disks",
}

// FromHelm maps one values file (of cht-chart-4x or the 5.x chart) to an
// environment. Problems that would make the environment wrong (data on a
// volume cht-gen cannot point at, no usable version) are errors; keys it
// cannot express are notes.
func FromHelm(file string, data []byte, opts HelmOptions) (*Env, []Note, error) {
	v, err := parseValues(file, data)
	if err != nil {
		return nil, nil, err
	}
	m := &helmMapper{v: v, opts: opts, notes: v.warnings}
	env := m.run()
	m.errs = append(m.errs, v.errs...)
	sort.SliceStable(m.errs, func(i, j int) bool { return m.errs[i].Pos.Line < m.errs[j].Pos.Line })
	if len(m.errs) > 0 {
		return nil, m.notes, Errors(m.errs)
	}
	return env, m.notes, nil
}

// Errors are problems in an input, each naming file:line.
type Errors []Note

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, "\n")
}

type helmMapper struct {
	five  bool // the 5.x chart
	v     *values
	opts  HelmOptions
	env   *Env
	notes []Note
	errs  []Note
}

func (m *helmMapper) note(p Pos, key, format string, args ...any) {
	m.notes = append(m.notes, Note{Pos: p, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (m *helmMapper) fail(p Pos, key, format string, args ...any) {
	m.errs = append(m.errs, Note{Pos: p, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (m *helmMapper) run() *Env {
	v := m.v
	v.lookup("USER-SUPPLIED VALUES") // the headers `helm get values [--all]` print
	v.lookup("COMPUTED VALUES")
	version, five := m.version()
	m.five = five
	if five {
		v.defaults = chart5xDefaults
	} else {
		v.defaults = chart4xDefaults
	}
	name := m.name()
	e := newEnv(name)
	m.env = e
	e.Set("target", str("kubernetes"), Pos{})
	e.Set("version", str(version.text), version.pos)
	if n, ok := betaChannel(e, version.text, version.pos); ok {
		m.notes = append(m.notes, n)
	}
	wrongKinds := len(v.errs)
	if host, ok := v.str("ingress", "host"); ok {
		e.Set("host", str(host.text), host.pos)
	} else if len(v.errs) == wrongKinds { // else it is there, of the wrong kind, and reported so
		m.fail(Pos{File: v.file}, "ingress.host", "missing: the host CHT is reached on is required")
	}
	e.Set("cluster", str(m.opts.Cluster), Pos{})
	if ns, ok := v.str("namespace"); ok && ns.text != "cht-"+name {
		e.Set("namespace", str(ns.text), ns.pos)
	}
	if pull, s := v.truthy("cache_images"); !pull && s.set {
		e.Set("alwaysPullImages", boolean(true), s.pos)
	}
	m.registry(version.text)
	m.builds()
	if u, ok := v.str("couchdb", "user"); ok && u.text != "medic" {
		e.Set("couchdb.user", str(u.text), u.pos)
	}
	if p, ok := v.str("haproxy", "port"); ok && p.set && p.text != "" && p.text != "5984" {
		if n, err := strconv.Atoi(p.text); err == nil {
			e.Set("haproxy.port", num(n), p.pos)
		} else {
			m.fail(p.pos, "haproxy.port", "is not a port number")
		}
	}
	cluster, _ := v.str("cluster_type")
	if !five {
		m.upgradeService()
	} else if v.has("upgrade_service") {
		m.note(m.keyPos("upgrade_service"), "upgrade_service", "the 5.x chart has no upgrade service: ignored")
	}
	nodes := m.couchdbNodes(five)
	m.storage(cluster, nodes, five)
	m.placement(cluster, nodes)
	m.ingress(cluster)
	e.Comment = credentialsComment(name, m.namespace(name))
	m.leftovers()
	return e
}

func (m *helmMapper) keyPos(path ...string) Pos {
	if n := m.v.lookup(path...); n != nil {
		return m.v.pos(n)
	}
	return Pos{File: m.v.file}
}

// version reads cht_image_tag (Medic's images are tagged with the
// version, before 4.2.0 "<v>-<v>"), else chtversion, else --cht-version,
// and whether the 5.x chart produced the values (else cht-chart-4x).
func (m *helmMapper) version() (scalar, bool) {
	v := m.v
	var found scalar
	ok := false
	for _, key := range []string{"cht_image_tag", "chtversion"} {
		s, has := v.str(key)
		if !has || ok {
			continue
		}
		t := s.text
		if a, b, dup := strings.Cut(t, "-"); dup && a == b {
			t = a
		}
		if _, err := model.ParseVersion(t); err == nil {
			found, ok = scalar{text: t, pos: s.pos, set: true}, true
		} else if _, semErr := semver.StrictNewVersion(t); semErr == nil && m.opts.Version == "" {
			m.fail(s.pos, key, "%v", err) // a version, of a line cht-gen does not render
			return scalar{text: "4.22.0"}, false
		}
	}
	// The chart that produced the values is the one of the version the
	// release ran: a 4.x file imported with --cht-version 5.x still means
	// what cht-chart-4x made of it (clusteredCouch_enabled, its defaults).
	ranFive := false
	if ok {
		pv, _ := model.ParseVersion(found.text)
		ranFive = pv.Major() >= 5
	}
	if m.opts.Version != "" {
		if ok && found.text != m.opts.Version {
			m.note(found.pos, "cht_image_tag", "%s replaced by --cht-version %s", found.text, m.opts.Version)
		}
		ranOn := ok
		found, ok = scalar{text: m.opts.Version, pos: Pos{File: "--cht-version"}}, true
		if pv, err := model.ParseVersion(found.text); err == nil && !ranOn {
			ranFive = pv.Major() >= 5
		}
	}
	if !ok {
		m.fail(m.keyPos("cht_image_tag"), "cht_image_tag", "holds no CHT version (4.x.y or 5.x.y), nor does chtversion: pass --cht-version")
		return scalar{text: "4.22.0"}, false
	}
	if _, err := model.ParseVersion(found.text); err != nil {
		m.fail(found.pos, "cht_image_tag", "%v", err)
		return scalar{text: "4.22.0"}, false
	}
	return found, ranFive
}

// name is project_name, else namespace, else the file's name (chooseName).
func (m *helmMapper) name() string {
	var candidates []string
	if m.opts.Name == "" {
		for _, key := range []string{"project_name", "namespace"} {
			if s, ok := m.v.str(key); ok {
				candidates = append(candidates, s.text)
			}
		}
		candidates = append(candidates, strings.TrimSuffix(filepath.Base(m.v.file), filepath.Ext(m.v.file)))
	}
	name, refused := chooseName(m.opts.Name, candidates, nameRefusal{Pos: Pos{File: m.v.file}, Key: "project_name",
		Message: "neither project_name, namespace nor the file name is a valid environment name (lower-case DNS label): pass --name"})
	if refused != nil {
		m.errs = append(m.errs, *refused)
	}
	return name
}

func (m *helmMapper) namespace(name string) string {
	if ns, ok := m.v.str("namespace"); ok {
		return ns.text
	}
	return "cht-" + name
}

func (m *helmMapper) registry(version string) {
	r, ok := m.v.str("upstream_servers", "docker_registry")
	if !ok || r.text == "" { // the 5.x chart: docker_registry | default ...
		return
	}
	probe := model.Environment{Version: version}
	if r.text != probe.ImageRegistry() {
		m.env.Set("registry", str(r.text), r.pos)
	}
}

func (m *helmMapper) builds() {
	b, ok := m.v.str("upstream_servers", "builds_url")
	if !ok || b.text == "" || b.text == chart4xDefaults["upstream_servers.builds_url"] {
		return
	}
	u, err := url.Parse(b.text)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.RawQuery != "" {
		m.fail(b.pos, "upstream_servers.builds_url", "is not an http(s) URL without credentials")
		return
	}
	m.env.Set("builds.marketURL", str(u.Scheme+"://"+u.Host), b.pos)
	m.env.Set("builds.server", str(strings.Trim(u.Path, "/")), b.pos)
}

func (m *helmMapper) upgradeService() {
	t, ok := m.v.str("upgrade_service", "tag")
	p := t.pos
	if !t.set {
		p = Pos{File: m.v.file}
	}
	m.note(p, "upgrade_service", "cht-chart-4x always deploys the upgrade service (in-app upgrades); under GitOps it fights the reconciler, so the environment leaves it off: upgrade with `cht-gen bump`, or set upgradeService.enabled: true")
	if ok && t.text != "0.32" {
		m.env.Set("upgradeService.tag", str(t.text), t.pos)
	}
}

// couchdbNodes reads the node count (4.x clusteredCouch_enabled, 5.x
// clusteredCouchEnabled).
func (m *helmMapper) couchdbNodes(five bool) int {
	key := "clusteredCouch_enabled"
	if five {
		key = "clusteredCouchEnabled"
	}
	clustered, s := m.v.truthy("couchdb", key)
	other := "clusteredCouchEnabled"
	if five {
		other = "clusteredCouch_enabled"
	}
	if o, ok := m.v.str("couchdb", other); ok && o.set {
		m.note(o.pos, "couchdb."+other, "is the other chart line's key; this chart reads couchdb.%s", key)
	}
	if !clustered {
		return 1
	}
	n, ok := m.v.str("clusteredCouch", "noOfCouchDBNodes")
	if !ok {
		n = scalar{text: "3"}
	}
	count, err := strconv.Atoi(n.text)
	if err != nil || count < 2 || count > 16 {
		m.fail(n.pos, "clusteredCouch.noOfCouchDBNodes", "is not a CouchDB cluster size cht-gen renders (2..16)")
		return 1
	}
	m.env.Set("couchdb.nodes", num(count), firstSet(n.pos, s.pos))
	return count
}

func firstSet(ps ...Pos) Pos {
	for _, p := range ps {
		if p.Line != 0 {
			return p
		}
	}
	return Pos{}
}

func (m *helmMapper) storage(cluster scalar, nodes int, five bool) {
	v, e := m.v, m.env
	size, _ := v.str("couchdb", "couchdb_node_storage_size")
	if size.text != "" {
		e.Set("couchdb.storage.size", str(size.text), size.pos)
	}
	if sp, ok := v.str("couchdb_data", "dataPathOnDiskForCouchDB"); ok && sp.text != "data" {
		e.Set("couchdb.storage.subPath", str(sp.text), sp.pos)
	}
	pre, preS := v.truthy("couchdb_data", "preExistingDataAvailable")
	if n := v.lookup("couchdb_data", "preExistingDataAvailable"); five && n != nil && n.Tag == "!!str" && n.Value == "false" {
		m.note(preS.pos, "couchdb_data.preExistingDataAvailable", "is the string \"false\" (as in Medic's values/deployment-single.yaml): the 5.x chart's claim template tests it for truth, where a non-empty string is true, so that release's claim waits for a volume couchdb-pv-<namespace> nothing creates; imported as false (a new volume)")
	}
	class, classOK := v.str("couchdb", "storage_class")
	classOK = classOK && class.text != "" // the 5.x chart: storage_class | default ...
	// Read above for every chart: listed here when it did not become
	// couchdb.storage.class, so it is not dropped silently.
	defer func() {
		applied := five && m.env.body.has("couchdb.storage.class")
		if class.set && class.text != "" && !applied {
			m.note(class.pos, "couchdb.storage_class", "%q not expressed: %s", class.text, map[bool]string{
				true:  "the 5.x chart reads it only for new volumes, and these are pre-existing",
				false: "cht-chart-4x never reads it (its claims use ebs-gp2 on eks, local-storage on k3s-k3d)",
			}[five])
		}
	}()
	switch cluster.text {
	case "eks":
		if pre {
			ids := m.indexed("ebs", "preExistingEBSVolumeID-%d", nodes)
			e.Set("couchdb.storage.existing.ebsVolumeIDs", strList(ids), preS.pos)
			if p, ok := v.str("couchdb_data", "partition"); ok && p.text != "0" && p.text != "" {
				n, err := strconv.Atoi(p.text)
				if err != nil {
					m.fail(p.pos, "couchdb_data.partition", "is not a partition number")
				}
				e.Set("couchdb.storage.existing.partition", num(n), p.pos)
			}
			if es, ok := v.str("ebs", "preExistingEBSVolumeSize"); ok && es.set && es.text != size.text {
				m.note(es.pos, "ebs.preExistingEBSVolumeSize", "the chart gives the volume this capacity and the claim couchdb_node_storage_size (%s); cht-gen uses couchdb.storage.size for both", size.text)
			}
			return
		}
		c := "ebs-gp2"
		if five && classOK {
			c = class.text
		}
		e.Set("couchdb.storage.class", str(c), firstSet(class.pos, cluster.pos))
	case "gke":
		if !five {
			m.fail(cluster.pos, "cluster_type", "is gke, which cht-chart-4x does not know: it renders CouchDB's claim and the Ingress only for eks and k3s-k3d, so that release had neither; gke needs CHT 5.x (--cht-version)")
			return
		}
		if pre {
			m.fail(preS.pos, "couchdb_data.preExistingDataAvailable", "pre-existing GCE persistent disks are not expressible in cht-gen's schema yet; importing would start CouchDB on a new, empty disk")
			return
		}
		c := "standard-rwo"
		if classOK {
			c = class.text
		}
		e.Set("couchdb.storage.class", str(c), firstSet(class.pos, cluster.pos))
	case "k3s-k3d":
		if on, s := v.truthy("k3s_use_vSphere_storage_class"); on {
			m.fail(s.pos, "k3s_use_vSphere_storage_class", "vSphere volumes are not expressible in cht-gen's schema; importing would put CouchDB's data elsewhere")
			return
		}
		m.k3sStorage(nodes, pre, five)
	case "":
		m.fail(Pos{File: v.file}, "cluster_type", "missing: the 5.x chart has no default; set eks, gke or k3s-k3d")
	default:
		m.fail(cluster.pos, "cluster_type", "is %q: Medic's charts know eks, gke (5.x) and k3s-k3d", cluster.text)
	}
}

// k3sStorage: cht-chart-4x puts clustered nodes on local volumes at
// /var/lib/<namespace>-couchdb<n> (or the pre-existing paths) and a single
// node on a hostPath; cht-gen expresses both as pre-existing local volumes
// pinned to their node.
func (m *helmMapper) k3sStorage(nodes int, pre bool, five bool) {
	v, e := m.v, m.env
	if five && !pre {
		c, from := "local-path", Pos{}
		if class, ok := v.str("couchdb", "storage_class"); ok && class.text != "" {
			c, from = class.text, class.pos
		}
		e.Set("couchdb.storage.class", str(c), from)
		return
	}
	var paths []string
	var from Pos
	for n := 1; n <= nodes; n++ {
		p, ok := v.str("local_storage", fmt.Sprintf("preExistingDiskPath-%d", n))
		switch {
		case nodes > 1 && !pre:
			paths = append(paths, fmt.Sprintf("/var/lib/%s-couchdb%d", m.namespace(m.env.Name), n))
		case ok && p.text != "":
			paths = append(paths, p.text)
			from = firstSet(from, p.pos)
		case nodes > 1 && !five:
			// cht-chart-4x falls back when the key is absent (hasKey).
			paths = append(paths, fmt.Sprintf("/var/lib/%s-couchdb%d", m.namespace(m.env.Name), n))
		default:
			m.fail(Pos{File: v.file}, fmt.Sprintf("local_storage.preExistingDiskPath-%d", n), "missing: the folder holding node %d's CouchDB data", n)
		}
	}
	if !five {
		// cht-chart-4x's local volumes and claims are of class local-storage;
		// the 5.x chart's pre-existing claims ask for class "" (unset here).
		e.Set("couchdb.storage.class", str("local-storage"), Pos{})
	}
	e.Set("couchdb.storage.existing.hostPaths", strList(paths), from)
}

// indexed reads key-1..key-n of a map, failing on the missing ones.
func (m *helmMapper) indexed(parent, format string, n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		k := fmt.Sprintf(format, i)
		s, ok := m.v.str(parent, k)
		if !ok || s.text == "" {
			m.fail(m.keyPos(parent), parent+"."+k, "missing: one pre-existing volume per CouchDB node")
			continue
		}
		out = append(out, s.text)
	}
	return out
}

func (m *helmMapper) placement(cluster scalar, nodes int) {
	v, e := m.v, m.env
	var names []string
	var from Pos
	if nodes == 1 {
		if s, ok := v.str("nodes", "single_node_deploy"); ok && s.text != "" {
			names, from = []string{s.text}, s.pos
		}
	} else {
		for n := 1; n <= nodes; n++ {
			s, ok := v.str("nodes", fmt.Sprintf("node-%d", n))
			if ok && s.text != "" {
				names = append(names, s.text)
				from = firstSet(from, s.pos)
			}
		}
		if len(names) != 0 && len(names) != nodes {
			m.fail(m.keyPos("nodes"), "nodes", "names %d of %d CouchDB nodes: name every node-N, or none", len(names), nodes)
			names = nil
		}
	}
	for n := nodes + 1; n <= 16; n++ {
		v.lookup("nodes", fmt.Sprintf("node-%d", n)) // unused extra entries are harmless
	}
	if nodes > 1 {
		v.lookup("nodes", "single_node_deploy")
	}
	if cluster.text == "k3s-k3d" && len(names) != nodes && (nodes > 1 || m.env.body.has("couchdb.storage.existing")) {
		m.fail(m.keyPos("nodes"), "nodes", "local volumes live on one Kubernetes node each: name them (nodes.node-N, or nodes.single_node_deploy for one CouchDB node)")
	}
	if len(names) > 0 {
		e.Set("couchdb.placement.nodes", strList(names), from)
	}
	key, ok := v.str("toleration", "key")
	if !ok {
		return
	}
	op, _ := v.str("toleration", "operator")
	val, _ := v.str("toleration", "value")
	eff, _ := v.str("toleration", "effect")
	t := &object{}
	t.set("key", str(key.text))
	if op.text != "" && op.text != "Equal" {
		t.set("operator", str(op.text))
	}
	// With Exists a value is refused by the API server: the chart's
	// default value ("true") is not the release's when it says Exists.
	if val.text != "" && op.text != "Exists" {
		t.set("value", str(val.text))
	}
	if eff.text != "" && eff.text != "NoSchedule" {
		t.set("effect", str(eff.text))
	}
	lst := &astList{}
	lst.add(t)
	e.Set("couchdb.placement.tolerations", lst.expr(), firstSet(key.pos, Pos{File: v.file}))
}

func (m *helmMapper) ingress(cluster scalar) {
	v, e := m.v, m.env
	switch cluster.text {
	case "eks":
		e.Set("ingress.provider", str("alb"), cluster.pos)
		for _, f := range []struct{ key, field string }{{"groupname", "groupName"}, {"tags", "tags"}, {"certificate", "certificateArn"}} {
			if s, ok := v.str("ingress", "annotations", f.key); ok && s.text != "" {
				e.Set("ingress."+f.field, str(s.text), s.pos)
			} else if !m.five && !s.set { // set empty: no such annotation, as cht-gen renders
				m.note(m.keyPos("ingress"), "ingress.annotations."+f.key, "not set: cht-chart-4x's default is Medic's own dev ALB setting, which the release used; not imported (set ingress.%s)", f.field)
			}
		}
	case "gke":
		e.Set("ingress.provider", str("gke"), cluster.pos)
		if s, ok := v.str("ingress", "gcp", "staticIpName"); ok && s.text != "" {
			e.Set("ingress.staticIPName", str(s.text), s.pos)
		}
		if s, ok := v.str("ingress", "gcp", "managedCertificateName"); ok && s.text != "" {
			e.Set("ingress.managedCertificate", str(s.text), s.pos)
		}
	case "k3s-k3d":
		e.Set("ingress.provider", str("traefik"), cluster.pos)
		e.Set("ingress.tlsSecretName", str("api-tls-secret"), cluster.pos)
	}
}

// leftovers reports every key nobody read.
func (m *helmMapper) leftovers() {
	for _, l := range m.v.unread() {
		if why, ok := explained[l.key]; ok {
			m.note(l.pos, l.key, "%s", why)
			continue
		}
		if why, ok := conditional[l.key]; ok {
			m.note(l.pos, l.key, "%s: no effect with these values", why)
			continue
		}
		if why, ok := prefixed(l.key); ok {
			m.note(l.pos, l.key, "%s: no effect with these values", why)
			continue
		}
		if strings.HasPrefix(l.key, "ingress.annotations.") {
			m.note(l.pos, l.key, "not read by Medic's charts (they set fixed ALB annotations): ignored; add it under ingress.annotations if you need it")
			continue
		}
		m.note(l.pos, l.key, "not read by Medic's charts: ignored")
	}
}

// betaChannel puts an environment that runs a pre-release on the beta
// channel (the schema refuses pre-releases on stable), saying so.
func betaChannel(e *Env, version string, from Pos) (Note, bool) {
	v, err := model.ParseVersion(version)
	if err != nil || v.Prerelease() == "" {
		return Note{}, false
	}
	e.Set("channel", str("beta"), from)
	return Note{Pos: from, Key: "channel", Message: fmt.Sprintf("%s is a pre-release: the environment follows the beta channel (cht-gen bump --latest offers pre-releases); set channel: \"stable\" once on a release", version)}, true
}

// credentialsComment says how to keep the Secret the chart rendered from
// the values' passwords, which are never imported.
func credentialsComment(name, ns string) []string {
	return []string{
		"Imported from Helm values by `cht-gen import helm`. Passwords, secrets and",
		"UUIDs were not imported: Git never holds them. CHT reads them from the",
		"Secret cht-couchdb-credentials in namespace " + strconv.Quote(ns) + ", which the Helm",
		"release made and CouchDB's data already uses: keep it as it is",
		"(existing: true; `cht-gen secrets` refuses to print new credentials).",
		"Move the release under the reconciler in place, keeping claims, volumes",
		"and that Secret: cht-gen handover " + name + " (docs/adopt-kubernetes.md).",
		"Never `helm uninstall` it: that deletes the claims and the Secret.",
		"Back the Secret up, outside Git:",
		"    kubectl -n " + ns + " get secret cht-couchdb-credentials -o yaml > " + name + "-credentials.yaml",
	}
}

func prefixed(key string) (string, bool) {
	for p, why := range conditionalPrefixes {
		if strings.HasPrefix(key, p) {
			return why, true
		}
	}
	return "", false
}
