package compose

import (
	"fmt"
	"strings"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// File names Medic's upgrade service rewrites: they must not change.
const (
	CoreFile      = "cht-core.yml"
	SingleFile    = "cht-couchdb.yml"
	ClusteredFile = "cht-couchdb-clustered.yml"
	UpgradeFile   = "upgrade-service/docker-compose.yml"
	CertbotFile   = "certbot/docker-compose.yml"
	EnvExample    = ".env.example"
	GitIgnore     = ".gitignore"
	Readme        = "README.md"
)

// UpgradeServiceImage is Medic's compose upgrade service image.
const UpgradeServiceImage = "public.ecr.aws/s5s3h4s7/cht-upgrade-service"

// Root holds one folder per compose environment below the output root.
const Root = "compose"

// Dir is where an environment's compose files go below the output root.
func Dir(e *model.Environment) string { return Root + "/" + e.Name }

// Render returns the files of one compose environment, paths relative to
// the output root. source names the environment file for the header.
func Render(e *model.Environment, source string) (files.Set, error) {
	if e.Target != model.Compose {
		return nil, fmt.Errorf("environment %s targets %s, not compose", e.Name, e.Target)
	}
	r := renderer{e: e, f: e.Compose(), header: files.Header(source), source: source}
	out := files.Set{}
	add := func(name string, doc any) error { return out.AddYAML(Dir(e)+"/"+name, r.header, doc) }
	if err := add(CoreFile, r.core()); err != nil {
		return nil, err
	}
	if err := add(r.couchFile(), r.couchdb()); err != nil {
		return nil, err
	}
	if e.UpgradeService.Enabled {
		defaults, err := settingDefaults(out, Dir(e), CoreFile, r.couchFile())
		if err != nil {
			return nil, err
		}
		if err := add(UpgradeFile, r.upgradeService(defaults)); err != nil {
			return nil, err
		}
	}
	if e.Nginx.TLS.Mode == model.TLSAutoGenerate {
		if err := add(CertbotFile, r.certbot()); err != nil {
			return nil, err
		}
	}
	if err := r.dococd(out); err != nil {
		return nil, err
	}
	for name, body := range map[string]string{
		EnvExample: r.envExample(),
		GitIgnore:  r.gitignore() + r.dococdIgnore(),
		Readme:     r.readme(),
	} {
		if err := out.Add(Dir(e)+"/"+name, []byte(body)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type renderer struct {
	e      *model.Environment
	f      model.ComposeFacts
	header string
	source string
}

func (r renderer) couchFile() string {
	if r.e.CouchDB.Clustered() {
		return ClusteredFile
	}
	return SingleFile
}

// v writes ${NAME:-default}, Medic's way of letting .env override a value.
// def is a value from the environment file: its `$` are escaped.
func v(name, def string) string { return "${" + name + ":-" + literal(def) + "}" }

func (r renderer) logging() files.Map {
	return files.Map{
		{"driver", files.Quoted("local")},
		{"options", files.Map{
			{"max-size", files.Quoted(v("LOG_MAX_SIZE", r.e.Logging.MaxSize))},
			{"max-file", files.Quoted(v("LOG_MAX_FILES", fmt.Sprint(r.e.Logging.MaxFiles)))},
		}},
	}
}

// deploy is Medic's limits merged with the schema's resources.
func deploy(res model.Resources, defaultMemoryLimit string) files.Map {
	var limits, reservations files.Map
	if res.Limits != nil && res.Limits.CPU != "" {
		limits = append(limits, files.KV{"cpus", files.Quoted(cpus(res.Limits.CPU))})
	}
	switch {
	case res.Limits != nil && res.Limits.Memory != "":
		limits = append(limits, files.KV{"memory", memory(res.Limits.Memory)})
	case defaultMemoryLimit != "":
		limits = append(limits, files.KV{"memory", defaultMemoryLimit})
	}
	if res.Requests != nil && res.Requests.CPU != "" {
		reservations = append(reservations, files.KV{"cpus", files.Quoted(cpus(res.Requests.CPU))})
	}
	if res.Requests != nil && res.Requests.Memory != "" {
		reservations = append(reservations, files.KV{"memory", memory(res.Requests.Memory)})
	}
	var resources files.Map
	if limits != nil {
		resources = append(resources, files.KV{"limits", limits})
	}
	if reservations != nil {
		resources = append(resources, files.KV{"reservations", reservations})
	}
	if resources == nil {
		return nil
	}
	return files.Map{{"resources", resources}}
}

// cpus converts a Kubernetes CPU quantity ("500m", "2") to compose cpus.
func cpus(q string) string {
	if m, ok := strings.CutSuffix(q, "m"); ok {
		var n int
		fmt.Sscan(m, &n)
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", float64(n)/1000), "0"), ".")
	}
	return q
}

// memory converts Kubernetes binary suffixes (Gi, Mi) to compose's (G, M).
func memory(q string) string {
	for _, s := range []string{"Ki", "Mi", "Gi", "Ti"} {
		if n, ok := strings.CutSuffix(q, s); ok {
			return n + strings.ToUpper(s[:1])
		}
	}
	return q
}

func withDeploy(svc files.Map, d files.Map) files.Map {
	if d == nil {
		return svc
	}
	return append(svc, files.KV{"deploy", d})
}

func (r renderer) network() files.Map {
	return files.Map{{"cht-net", files.Map{{"name", v("CHT_NETWORK", r.e.Network)}}}}
}

func (r renderer) servers() string { return strings.Join(r.e.CouchDBServices(), ",") }

func (r renderer) core() files.Map {
	e := r.e
	user := v("COUCHDB_USER", e.CouchDB.User)
	port := v("HAPROXY_PORT", fmt.Sprint(e.HAProxy.Port))
	haproxyEnv := []files.Quoted{
		files.Quoted("HAPROXY_IP=" + v("HAPROXY_IP", "haproxy")),
		files.Quoted("COUCHDB_USER=" + user),
		files.Quoted("COUCHDB_PASSWORD=${COUCHDB_PASSWORD}"),
		files.Quoted("COUCHDB_SERVERS=" + v("COUCHDB_SERVERS", r.servers())),
		files.Quoted("HAPROXY_PORT=" + port),
		files.Quoted("HEALTHCHECK_ADDR=" + v("HEALTHCHECK_ADDR", "healthcheck")),
	}
	if r.f.DockerDNSResolver {
		haproxyEnv = append(haproxyEnv, "DOCKER_DNS_RESOLVER=true")
	}
	haproxyLimit := ""
	if r.f.HAProxyMemoryLimit {
		haproxyLimit = "1G"
	}
	haproxy := withDeploy(files.Map{
		{"image", e.Image("haproxy")},
		{"restart", "always"},
		{"hostname", "haproxy"},
		{"environment", haproxyEnv},
		{"logging", r.logging()},
		{"networks", []string{"cht-net"}},
	}, deploy(e.HAProxy.Resources, haproxyLimit))
	haproxy = append(haproxy, files.KV{"expose", []files.Quoted{files.Quoted(port)}})

	couchURL := func(password string) string {
		return "COUCH_URL=http://" + user + ":" + password + "@haproxy:" + port + "/medic"
	}
	api := withDeploy(files.Map{
		{"image", e.Image("api")},
		{"restart", "always"},
		{"depends_on", []string{"haproxy"}},
		{"expose", []files.Quoted{files.Quoted(v("API_PORT", "5988"))}},
		{"environment", []files.Quoted{
			files.Quoted(couchURL("${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}")),
			files.Quoted("BUILDS_URL=" + v("MARKET_URL_READ", e.Builds.MarketURL) + "/" + v("BUILDS_SERVER", e.Builds.Server)),
			files.Quoted("UPGRADE_SERVICE_URL=" + v("UPGRADE_SERVICE_URL", "http://localhost:5100")),
		}},
		{"logging", r.logging()},
		{"networks", []string{"cht-net"}},
	}, deploy(e.API.Resources, ""))

	sentinel := withDeploy(files.Map{
		{"image", e.Image("sentinel")},
		{"restart", "always"},
		{"depends_on", []string{"haproxy"}},
		{"environment", []files.Quoted{
			files.Quoted(couchURL("${COUCHDB_PASSWORD}")),
			"API_HOST=api",
		}},
		{"logging", r.logging()},
		{"networks", []string{"cht-net"}},
	}, deploy(e.Sentinel.Resources, ""))

	tls := e.Nginx.TLS
	nginx := files.Map{
		{"image", e.Image("nginx")},
		{"restart", "always"},
		{"depends_on", []string{"api", "haproxy"}},
		{"ports", []files.Quoted{
			files.Quoted(v("NGINX_HTTP_PORT", fmt.Sprint(e.Nginx.HTTPPort)) + ":80"),
			files.Quoted(v("NGINX_HTTPS_PORT", fmt.Sprint(e.Nginx.HTTPSPort)) + ":443"),
		}},
		{"volumes", []string{"cht-ssl:" + v("SSL_VOLUME_MOUNT_PATH", "/etc/nginx/private/")}},
		{"environment", []files.Quoted{
			"API_HOST=api",
			files.Quoted("API_PORT=" + v("API_PORT", "5988")),
			files.Quoted("CERTIFICATE_MODE=" + v("CERTIFICATE_MODE", tls.Mode)),
			files.Quoted("SSL_CERT_FILE_PATH=" + v("SSL_CERT_FILE_PATH", "/etc/nginx/private/cert.pem")),
			files.Quoted("SSL_KEY_FILE_PATH=" + v("SSL_KEY_FILE_PATH", "/etc/nginx/private/key.pem")),
			files.Quoted("COMMON_NAME=" + v("COMMON_NAME", e.Host)),
			files.Quoted("EMAIL=" + v("EMAIL", tls.Email)),
			files.Quoted("COUNTRY=" + v("COUNTRY", tls.Country)),
			files.Quoted("STATE=" + v("STATE", tls.State)),
			files.Quoted("LOCALITY=" + v("LOCALITY", tls.Locality)),
			files.Quoted("ORGANISATION=" + v("ORGANISATION", tls.Organisation)),
			files.Quoted("DEPARTMENT=" + v("DEPARTMENT", tls.Department)),
		}},
		{"logging", r.logging()},
		{"networks", []string{"cht-net"}},
	}

	// OWN_CERT: the operator's certificate folder backs the cht-ssl volume,
	// so the certificate is declared here rather than docker cp'd by hand,
	// and the volume name stays Medic's for the upgrade service. The folder
	// is written as is, not as a variable: a name cht-gen made up could be
	// one the VM's shell already sets (SSL_CERT_DIR is OpenSSL's, often
	// /etc/ssl/certs), and docker compose reads the shell before the .env.
	// With certVolume the certificate stays in Medic's plain volume, which
	// an existing VM's docker compose would otherwise refuse to reuse.
	var ssl files.Map
	if tls.Mode == model.TLSOwnCert && !tls.CertVolume {
		ssl = files.Map{
			{"driver", "local"},
			{"driver_opts", files.Map{
				{"type", "none"},
				{"o", "bind"},
				{"device", files.Quoted(literal(tls.CertDir))},
			}},
		}
	}
	services := files.Map{{"haproxy", haproxy}}
	if inCore, _ := e.ComposeHealthcheck(); inCore {
		services = append(services, files.KV{"healthcheck", r.healthcheck()})
	}
	services = append(services, files.KV{"api", api}, files.KV{"sentinel", sentinel}, files.KV{"nginx", nginx})
	return files.Map{
		{"services", services},
		{"networks", r.network()},
		{"volumes", files.Map{{"cht-ssl", ssl}}},
	}
}

// dataPath is the host folder of node n (1-based) and its variable.
func (r renderer) dataPath(n int) (variable, def string) {
	e := r.e
	dir := strings.TrimRight(e.ComposePath, "/") + "/"
	if !e.CouchDB.Clustered() {
		variable, def = "COUCHDB_DATA", dir+"srv"
	} else {
		variable, def = fmt.Sprintf("DB%d_DATA", n), fmt.Sprintf("%ssrv%d", dir, n)
	}
	if len(e.CouchDB.DataPaths) >= n {
		def = e.CouchDB.DataPaths[n-1]
	}
	return variable, def
}

// healthcheck is Medic's haproxy-healthcheck service: in cht-core.yml
// (4.x) or in the clustered CouchDB file (5.x).
func (r renderer) healthcheck() files.Map {
	e := r.e
	env := []files.Quoted{
		files.Quoted("COUCHDB_SERVERS=" + v("COUCHDB_SERVERS", r.servers())),
		files.Quoted("COUCHDB_USER=" + v("COUCHDB_USER", e.CouchDB.User)),
		files.Quoted("COUCHDB_PASSWORD=${COUCHDB_PASSWORD}"),
	}
	if e.Healthcheck.LogLevel != "" {
		env = append(env, files.Quoted("HEALTHCHECK_LOG_LEVEL="+v("HEALTHCHECK_LOG_LEVEL", e.Healthcheck.LogLevel)))
	}
	return withDeploy(files.Map{
		{"image", e.Image("haproxy-healthcheck")},
		{"restart", "always"},
		{"environment", env},
		{"logging", r.logging()},
		{"networks", []string{"cht-net"}},
	}, deploy(e.Healthcheck.Resources, ""))
}

func (r renderer) couchdb() files.Map {
	e := r.e
	logLevel := e.ComposeLogLevel()
	common := func(svcName string) []files.Quoted {
		env := []files.Quoted{
			files.Quoted("COUCHDB_USER=" + v("COUCHDB_USER", e.CouchDB.User)),
			"COUCHDB_PASSWORD=${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}",
			"COUCHDB_SECRET=${COUCHDB_SECRET}",
			"COUCHDB_UUID=${COUCHDB_UUID}",
			files.Quoted(svcName),
		}
		return env
	}
	logEnv := files.Quoted("COUCHDB_LOG_LEVEL=" + v("COUCHDB_LOG_LEVEL", logLevel))
	// DEFAULT_ULIMIT=true (model.DefaultUlimitSwitch) makes Medic's CouchDB
	// image keep the container's open-files limit, which ulimits sets to
	// couchdb.ulimit, instead of raising it to 100000; the published files
	// never pass it.
	setUlimit := e.KeepsUlimit()
	ulimit := func(env []files.Quoted) []files.Quoted {
		if setUlimit {
			// A fixed value, not ${DEFAULT_ULIMIT:-true}: Medic's files
			// have no such variable, and one cht-gen made up could be set
			// in the VM's shell.
			env = append(env, "DEFAULT_ULIMIT=true")
		}
		return env
	}
	svc := func(env []files.Quoted, volumes []string) files.Map {
		m := files.Map{
			{"image", e.Image("couchdb")},
			{"volumes", volumes},
			{"environment", env},
			{"restart", "always"},
		}
		if e.Has(model.Nouveau) {
			m = append(m, files.KV{"depends_on", []string{"nouveau"}})
		}
		m = append(m, files.KV{"logging", r.logging()}, files.KV{"networks", files.Map{{"cht-net", nil}}})
		if setUlimit {
			n := e.CouchDB.Ulimit
			m = append(m, files.KV{"ulimits", files.Map{{"nofile", files.Map{{"soft", n}, {"hard", n}}}}})
		}
		return withDeploy(m, deploy(e.CouchDB.Resources, ""))
	}
	services := files.Map{}
	if !e.CouchDB.Clustered() {
		variable, def := r.dataPath(1)
		env := append(common("SVC_NAME="+v("SVC_NAME", "couchdb")), logEnv)
		services = append(services, files.KV{"couchdb", svc(ulimit(env), []string{
			v(variable, def) + ":/opt/couchdb/data",
			"cht-credentials:/opt/couchdb/etc/local.d/",
		})})
	} else {
		names := e.CouchDBServices()
		for i, name := range names {
			n := i + 1
			variable, def := r.dataPath(n)
			env := common(fmt.Sprintf("SVC_NAME=%s", v(fmt.Sprintf("SVC%d_NAME", n), name)))
			volumes := []string{v(variable, def) + ":/opt/couchdb/data"}
			if n == 1 {
				peers := strings.Join(names[1:], ",")
				if r.f.PeerIPsOverridable {
					env = append(env, files.Quoted("CLUSTER_PEER_IPS="+v("CLUSTER_PEER_IPS", peers)))
				} else {
					env = append(env, files.Quoted("CLUSTER_PEER_IPS="+peers))
				}
				env = append(env, logEnv)
				volumes = append(volumes, "cht-credentials:/opt/couchdb/etc/local.d/")
			} else {
				env = append(env, logEnv, files.Quoted("COUCHDB_SYNC_ADMINS_NODE="+v("COUCHDB_SYNC_ADMINS_NODE", names[0])))
			}
			services = append(services, files.KV{name, svc(ulimit(env), volumes)})
		}
	}
	if e.Has(model.Nouveau) {
		services = append(services, files.KV{"nouveau", r.nouveau()})
	}
	if _, inCouchDB := e.ComposeHealthcheck(); inCouchDB {
		services = append(services, files.KV{"healthcheck", r.healthcheck()})
	}
	return files.Map{
		{"services", services},
		{"volumes", files.Map{{"cht-credentials", nil}}},
		{"networks", r.network()},
	}
}
