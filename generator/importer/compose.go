package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
	"github.com/sirupsen/logrus"
	"go.yaml.in/yaml/v3"

	"github.com/cht-gen/cht-gen/generator/model"
)

// ComposeOptions tune an import of a Compose folder.
type ComposeOptions struct {
	// Name of the environment; default: CHT_COMPOSE_PROJECT_NAME, else the
	// folder name, whichever is a valid environment name.
	Name string
	// Host (COMMON_NAME) when the .env has none or Medic's default: VMs
	// built from Medic's guide share test-nginx.dev.medicmobile.org.
	Host string
	// ComposePath is the compose folder's absolute path on the VM, for a
	// .env without CHT_COMPOSE_PATH. Never the path of the copy imported.
	ComposePath string
	// GitOps is the environment's gitops: "" (the fleet's choice, by
	// default the manual flow) or "doco-cd" (import --gitops doco-cd).
	GitOps string
}

// workDirMark stands for the folder docker compose ran in while the files
// are loaded, so a path the files leave relative is told from one the
// .env sets: where a relative path landed depends on who ran docker compose.
const workDirMark = "/cht-gen-compose-working-dir"

// Medic's file names (the upgrade service only rewrites these).
const (
	coreFile      = "cht-core.yml"
	couchFile     = "cht-couchdb.yml"
	clusteredFile = "cht-couchdb-clustered.yml"
)

// credentialVars are never read into an environment file.
var credentialVars = map[string]bool{"COUCHDB_PASSWORD": true, "COUCHDB_SECRET": true, "COUCHDB_UUID": true}

// composeVars are the .env variables import expresses, with their field.
var composeVars = map[string]string{
	"COUCHDB_USER": "couchdb.user", "COUCHDB_LOG_LEVEL": "couchdb.logLevel", "HAPROXY_PORT": "haproxy.port",
	"MARKET_URL_READ": "builds.marketURL", "BUILDS_SERVER": "builds.server", "HEALTHCHECK_LOG_LEVEL": "healthcheck.logLevel",
	"NGINX_HTTP_PORT": "nginx.httpPort", "NGINX_HTTPS_PORT": "nginx.httpsPort", "CERTIFICATE_MODE": "nginx.tls.mode",
	"COMMON_NAME": "host", "EMAIL": "nginx.tls.email", "COUNTRY": "nginx.tls.country", "STATE": "nginx.tls.state",
	"LOCALITY": "nginx.tls.locality", "ORGANISATION": "nginx.tls.organisation", "DEPARTMENT": "nginx.tls.department",
	"CHT_COMPOSE_PROJECT_NAME": "project", "CHT_NETWORK": "network", "CHT_COMPOSE_PATH": "composePath",
	"COUCHDB_DATA": "couchdb.dataPaths", "DB1_DATA": "couchdb.dataPaths", "DB2_DATA": "couchdb.dataPaths", "DB3_DATA": "couchdb.dataPaths",
	"LOG_MAX_SIZE": "logging.maxSize", "LOG_MAX_FILES": "logging.maxFiles", "COUCHDB_SERVERS": "couchdb.nodes",
}

// composeExplained are .env variables Medic's files read that import
// does not carry, with why.
var composeExplained = map[string]string{
	"DOCKER_CONFIG_PATH":    "the upgrade service's Docker config folder on the VM; keep it in the VM's .env",
	"DOCKER_HOST":           "the Docker socket the upgrade service uses; keep it in the VM's .env",
	"SVC_NAME":              "derived from the node count",
	"SVC1_NAME":             "derived from the node count",
	"SVC2_NAME":             "derived from the node count",
	"SVC3_NAME":             "derived from the node count",
	"CLUSTER_PEER_IPS":      "derived from the node count",
	"UPGRADE_SERVICE_URL":   "cht-gen renders Medic's default",
	"SSL_VOLUME_MOUNT_PATH": "cht-gen renders Medic's default",
	"SSL_CERT_FILE_PATH":    "cht-gen renders Medic's default",
	"SSL_KEY_FILE_PATH":     "cht-gen renders Medic's default",
	"HAPROXY_IP":            "cht-gen renders Medic's default",
	"HEALTHCHECK_ADDR":      "cht-gen renders Medic's default",
	"API_PORT":              "cht-gen renders Medic's default (5988)",
}

var quietLogrus sync.Once

// FromCompose maps a running VM's CHT folder (Medic's cht-core.yml,
// cht-couchdb*.yml, the upgrade service and their .env) to an environment.
func FromCompose(dir string, opts ComposeOptions) (*Env, []Note, error) {
	m := &composeMapper{dir: dir, opts: opts}
	env := m.run()
	if len(m.errs) > 0 {
		return nil, m.notes, Errors(m.errs)
	}
	return env, m.notes, nil
}

type composeMapper struct {
	dir   string
	opts  ComposeOptions
	notes []Note
	errs  []Note
	vars  map[string]string // .env, credentials dropped
	from  map[string]Pos    // where each variable was set
	used  map[string]bool
	env   *Env
	// envFiles are the .env files read; composePath is the compose
	// folder's path on the VM (CHT_COMPOSE_PATH or the option).
	envFiles    []string
	composePath string
	cpPos       Pos
	// version is the VM's CHT version, read off the api image.
	version string

	project *types.Project
	couch   string // the CouchDB compose file
}

func (m *composeMapper) note(p Pos, key, format string, args ...any) {
	m.notes = append(m.notes, Note{Pos: p, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (m *composeMapper) fail(p Pos, key, format string, args ...any) {
	m.errs = append(m.errs, Note{Pos: p, Key: key, Message: fmt.Sprintf(format, args...)})
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// find returns the first of names found in dir or one level below.
func find(dir string, names ...string) string {
	for _, n := range names {
		for _, p := range []string{filepath.Join(dir, n), filepath.Join(dir, "compose", n), filepath.Join(dir, "upgrade-service", n)} {
			if info, err := os.Lstat(p); err == nil && info.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

func (m *composeMapper) run() *Env {
	core := find(m.dir, coreFile)
	if core == "" {
		m.fail(Pos{File: m.dir}, coreFile, "not found in the folder, its compose/ or upgrade-service/: point at the folder holding Medic's compose files%s", composeFilesThere(m.dir))
		return nil
	}
	composeDir := filepath.Dir(core)
	if up := filepath.Join(m.dir, "..", "upgrade-service", ".env"); composeDir == filepath.Clean(m.dir) && isFile(up) && !isFile(filepath.Join(m.dir, "upgrade-service", ".env")) {
		m.fail(Pos{File: m.dir}, "folder", "is the compose folder of a VM whose settings are in %s: point at %s, which holds both", up, filepath.Dir(filepath.Clean(m.dir)))
		return nil
	}
	couch := find(composeDir, couchFile, clusteredFile)
	if couch == "" {
		m.fail(Pos{File: composeDir}, couchFile, "neither %s nor %s is beside %s%s", couchFile, clusteredFile, core, composeFilesThere(composeDir))
		return nil
	}
	m.readEnv(composeDir)
	if len(m.envFiles) == 0 {
		m.fail(Pos{File: m.dir}, ".env", "missing: no .env in %s, %s or %s. Medic's guide keeps the VM's settings (CHT_COMPOSE_PATH, COUCHDB_DATA, the project name) in upgrade-service/.env; without it the data folder and the project cannot be known. Copy the VM's folder with its .env files (import never reads their passwords)",
			filepath.Join(m.dir, "upgrade-service"), m.dir, composeDir)
		return nil
	}
	if !m.vmComposePath() {
		return nil
	}
	project, err := m.load(core, couch)
	if err != nil {
		m.fail(Pos{File: core}, "compose", "%v", err)
		return nil
	}
	m.project, m.couch = project, couch
	m.otherFiles(composeDir, core, couch)
	name := m.name()
	e := newEnv(name)
	m.env = e
	// The VM has data: its credentials are kept (the .env stays on the VM).
	// (h-k8s's newEnv sets it for every import; the same field, first.)
	e.Set("existing", boolean(true), Pos{})
	e.Set("target", str("compose"), Pos{})
	m.images(project)
	m.host(project)
	nodes := m.nodes(project, couch)
	m.paths(project, nodes)
	m.nginx(project)
	m.logging(project)
	m.settings()
	m.upgradeService()
	m.dococd()
	m.leftovers(project)
	e.Comment = []string{
		"Imported from a Compose folder by `cht-gen import compose`. Passwords, secrets",
		"and UUIDs were not imported: keep the VM's .env (it holds COUCHDB_PASSWORD,",
		"COUCHDB_SECRET and COUCHDB_UUID, which CouchDB's data already uses) beside",
		"the rendered folder, or for a new install: cht-gen secrets " + name + " --out .env",
	}
	return e
}

// readEnv reads Medic's .env files (the upgrade service's first, then
// the compose folder's), keeping where each variable was set and dropping
// credentials.
func (m *composeMapper) readEnv(composeDir string) {
	m.vars, m.from, m.used = map[string]string{}, map[string]Pos{}, map[string]bool{}
	seen := map[string]bool{}
	upgradeEnv := filepath.Join(m.dir, "upgrade-service", ".env")
	passed, filtered := passedOn(filepath.Join(m.dir, "upgrade-service", "docker-compose.yml"))
	for _, p := range []string{upgradeEnv, filepath.Join(m.dir, ".env"), filepath.Join(composeDir, ".env")} {
		abs, _ := filepath.Abs(p)
		if seen[abs] {
			continue
		}
		seen[abs] = true
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			m.fail(Pos{File: p}, ".env", "%v", err)
			continue
		}
		m.envFiles = append(m.envFiles, p)
		vars, err := dotenv.UnmarshalBytesWithLookup(b, noLookup)
		if err != nil {
			pos, key := envErrorPos(p, b, err)
			if pos.Line == 0 { // the parser named no line (a ${ left open)
				pos.Line = badEnvLine(b)
			}
			m.fail(pos, key, "not a line docker compose can read (an unterminated quote?); the value is not shown: it may be a secret")
			continue
		}
		for k, v := range vars {
			if _, dup := m.from[k]; dup {
				continue
			}
			pos := Pos{File: p, Line: lineOf(b, k)}
			if p == upgradeEnv && filtered && !passed[k] && composeVars[k] != "" {
				// docker compose runs in the upgrade service's container,
				// which gets only the variables its docker-compose.yml lists.
				m.note(pos, k, "Medic's upgrade service does not pass it on (its docker-compose.yml lists what it passes): CHT started by the upgrade service ran without it. Imported as set (%s), so the rendered files apply it; remove that to keep Medic's default", composeVars[k])
			}
			if !credentialVars[k] {
				m.vars[k] = v
			}
			m.from[k] = pos
		}
	}
	for k := range credentialVars {
		if p, ok := m.from[k]; ok {
			m.note(p, k, "credential: not imported (keep the VM's .env)")
		}
	}
}

// passedOn lists the variables the upgrade service's docker-compose.yml
// passes into its container (where it runs docker compose for CHT);
// ok is false when there is no such file to tell.
func passedOn(file string) (map[string]bool, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, false
	}
	var f struct {
		Services map[string]struct {
			Environment yaml.Node `yaml:"environment"`
		} `yaml:"services"`
	}
	if yaml.Unmarshal(b, &f) != nil || len(f.Services) == 0 {
		return nil, false
	}
	passed := map[string]bool{}
	for _, svc := range f.Services {
		env := svc.Environment
		for i, n := range env.Content {
			switch {
			case env.Kind == yaml.SequenceNode:
				name, _, _ := strings.Cut(n.Value, "=")
				passed[name] = true
			case env.Kind == yaml.MappingNode && i%2 == 0:
				passed[n.Value] = true
			}
		}
	}
	return passed, true
}

// dotenvLine is the line number compose-go's dotenv errors start with;
// the rest of such an error may quote the value, a secret.
var dotenvLine = regexp.MustCompile(`^line (\d+):`)

// envErrorPos is where a .env parse error is: compose-go reports the
// line it stopped at, so the last variable before it whose value opens a
// quote (its name, never its value), else that line.
func envErrorPos(file string, b []byte, err error) (Pos, string) {
	g := dotenvLine.FindStringSubmatch(err.Error())
	if g == nil {
		return Pos{File: file}, ".env"
	}
	stop, _ := strconv.Atoi(g[1])
	pos, key := Pos{File: file, Line: stop}, ".env"
	for i, l := range strings.Split(string(b), "\n") {
		if i+1 > stop {
			break
		}
		if q := quotedStart.FindStringSubmatch(l); q != nil {
			pos, key = Pos{File: file, Line: i + 1}, q[1]
		}
	}
	return pos, key
}

var quotedStart = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*["'` + "`" + `]`)

// otherFiles notes the YAML files beside Medic's that import does not read.
func (m *composeMapper) otherFiles(composeDir string, read ...string) {
	for _, pat := range []string{"*.yml", "*.yaml"} {
		found, _ := filepath.Glob(filepath.Join(composeDir, pat))
		for _, f := range found {
			if f != read[0] && f != read[1] {
				m.note(Pos{File: f}, "compose file", "not read: cht-gen renders Medic's files (and the upgrade service runs only those); add what it holds to the rendered folder yourself if the VM needs it")
			}
		}
	}
}

// composeFilesThere names the YAML files in dir and compose/, for an error
// about Medic's file names: renamed files are what it finds instead.
func composeFilesThere(dir string) string {
	var names []string
	for _, d := range []string{dir, filepath.Join(dir, "compose")} {
		for _, pat := range []string{"*.yml", "*.yaml"} {
			found, _ := filepath.Glob(filepath.Join(d, pat))
			names = append(names, found...)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" (found %s: Medic's upgrade service only updates files named %s, %s and %s, so rename them back)", strings.Join(names, ", "), coreFile, couchFile, clusteredFile)
}

func noLookup(string) (string, bool) { return "", false }

// badEnvLine is the first line of a .env file that does not parse on its
// own (0 when each does).
func badEnvLine(b []byte) int {
	for i, l := range bytes.Split(b, []byte("\n")) {
		if _, err := dotenv.UnmarshalBytesWithLookup(l, noLookup); err != nil {
			return i + 1
		}
	}
	return 0
}

// lineOf is the line of `KEY=` in a .env file, for messages.
func lineOf(b []byte, key string) int {
	re := regexp.MustCompile(`^\s*(export\s+)?` + regexp.QuoteMeta(key) + `\s*=`)
	for i, l := range bytes.Split(b, []byte("\n")) {
		if re.Match(l) {
			return i + 1
		}
	}
	return 0
}

// load reads the project as docker compose would on the VM, with dummy
// credentials (they are never read from the .env).
func (m *composeMapper) load(core, couch string) (*types.Project, error) {
	quietLogrus.Do(func() { logrus.SetOutput(io.Discard) })
	env := map[string]string{}
	for k, v := range m.vars {
		env[k] = v
	}
	for k := range credentialVars {
		env[k] = "not-read"
	}
	// Relative bind mounts resolve against the working directory: a mark,
	// so paths sees which were relative (see workDirMark).
	wd := workDirMark
	details := types.ConfigDetails{WorkingDir: wd, Environment: types.Mapping(env)}
	for _, f := range []string{core, couch} {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: filepath.Join(wd, filepath.Base(f)), Content: b})
	}
	return loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName("import", true)
		// The folder names paths on the VM, read here on another machine:
		// nothing but the files given is read (Medic's files use neither).
		o.SkipInclude, o.SkipExtends = true, true
	})
}

func (m *composeMapper) varPos(k string) Pos {
	if p, ok := m.from[k]; ok {
		return p
	}
	return Pos{}
}

// get reads a .env variable import expresses.
func (m *composeMapper) get(k string) (string, Pos, bool) {
	v, ok := m.vars[k]
	m.used[k] = true
	return v, m.varPos(k), ok && v != ""
}

// name is CHT_COMPOSE_PROJECT_NAME, else the folder's name (chooseName).
func (m *composeMapper) name() string {
	var candidates []string
	if m.opts.Name == "" {
		if p, _, ok := m.get("CHT_COMPOSE_PROJECT_NAME"); ok {
			candidates = append(candidates, p)
		}
		abs, _ := filepath.Abs(m.dir)
		candidates = append(candidates, filepath.Base(abs))
	}
	name, refused := chooseName(m.opts.Name, candidates, nameRefusal{Pos: Pos{File: m.dir}, Key: "name",
		Message: "neither CHT_COMPOSE_PROJECT_NAME nor the folder name is a valid environment name (lower-case DNS label): pass --name"})
	if refused != nil {
		m.errs = append(m.errs, *refused)
	}
	return name
}

// images reads the version (and a mirror registry) off the api image.
func (m *composeMapper) images(p *types.Project) {
	api, ok := p.Services["api"]
	if !ok {
		m.fail(Pos{File: m.dir}, "api", "no api service in %s: not Medic's cht-core.yml", coreFile)
		return
	}
	named, err := reference.ParseNormalizedNamed(api.Image)
	tagged, isTagged := named.(reference.Tagged)
	if err != nil || !isTagged {
		m.fail(Pos{File: m.dir}, "api.image", "%q has no version tag", api.Image)
		return
	}
	tag := tagged.Tag()
	if a, b, dup := strings.Cut(tag, "-"); dup && a == b {
		tag = a
	}
	if _, err := model.ParseVersion(tag); err != nil {
		m.fail(Pos{File: m.dir}, "api.image", "%v", err)
		return
	}
	m.env.Set("version", str(tag), Pos{})
	m.version = tag
	if n, ok := betaChannel(m.env, tag, Pos{File: m.dir}); ok {
		m.notes = append(m.notes, n)
	}
	repo, isMedics := strings.CutSuffix(named.Name(), "/cht-api")
	if !isMedics {
		m.fail(Pos{File: m.dir}, "api.image", "%s is not Medic's cht-api image: cht-gen renders <registry>/cht-api (and cht-sentinel, cht-nginx...) at one version; mirror Medic's images under their names", named.Name())
		return
	}
	probe := model.Environment{Version: tag}
	if repo != probe.ImageRegistry() {
		m.env.Set("registry", str(repo), Pos{})
	}
	for name, s := range p.Services {
		if s.Image != "" && !strings.Contains(s.Image, ":"+tagged.Tag()) {
			m.note(Pos{File: m.dir}, name+".image", "%s is not at the api's version %s: cht-gen renders every CHT image at one version", s.Image, tag)
		}
	}
}

func (m *composeMapper) host(p *types.Project) {
	h, pos, ok := m.get("COMMON_NAME")
	if !ok {
		if n, found := p.Services["nginx"]; found {
			if v := n.Environment["COMMON_NAME"]; v != nil {
				h = *v
			}
		}
	}
	if pos.File == "" {
		pos = Pos{File: m.dir}
	}
	if flag := m.opts.Host; flag != "" {
		if h != "" && h != flag && h != "test-nginx.dev.medicmobile.org" {
			m.note(pos, "COMMON_NAME", "is %s; --host %s replaces it (nginx's certificate name and COMMON_NAME change)", h, flag)
		}
		m.env.Set("host", str(flag), Pos{File: "--host"})
		return
	}
	if h == "" || h == "test-nginx.dev.medicmobile.org" {
		m.note(pos, "COMMON_NAME", "is Medic's default (%s): the certificate and host name should be yours: pass --host, or set host", h)
	}
	m.env.Set("host", str(h), pos)
}

var nodeService = regexp.MustCompile(`^couchdb[-.]([0-9]+)(\.local)?$`)

func (m *composeMapper) nodes(p *types.Project, couch string) int {
	n := 0
	for name := range p.Services {
		if nodeService.MatchString(name) {
			n++
		}
	}
	_, single := p.Services["couchdb"]
	switch {
	case single && n == 0:
		return 1
	case single || n == 0:
		m.fail(Pos{File: couch}, "services", "want one couchdb service or couchdb-N.local nodes, not both or neither")
		return 1
	}
	m.env.Set("couchdb.nodes", num(n), Pos{File: couch})
	m.used["COUCHDB_SERVERS"] = true
	return n
}

// vmComposePath sets composePath: the compose folder's path on the VM,
// from CHT_COMPOSE_PATH or ComposeOptions.ComposePath, never the path of
// the copy being read (a laptop's). It reports whether one is known.
func (m *composeMapper) vmComposePath() bool {
	fromEnv, pos, set := m.get("CHT_COMPOSE_PATH")
	flag := m.opts.ComposePath
	switch {
	case flag != "" && !strings.HasPrefix(flag, "/"):
		m.fail(Pos{File: "--compose-path"}, "composePath", "%q is not an absolute path on the VM", flag)
		return false
	case flag != "" && set && filepath.Clean(flag) != filepath.Clean(fromEnv):
		m.fail(pos, "CHT_COMPOSE_PATH", "is %s, --compose-path says %s: give the one the VM runs from (or neither, to keep the .env's)", fromEnv, flag)
		return false
	case flag != "":
		m.composePath, m.cpPos = filepath.Clean(flag), Pos{}
	case !set:
		m.fail(Pos{File: m.envFiles[0]}, "CHT_COMPOSE_PATH", "missing: the compose folder's path on the VM cannot be known (the path of this copy is not it, and relative data folders resolve against it). Pass --compose-path with the folder's absolute path on the VM")
		return false
	case !strings.HasPrefix(fromEnv, "/"):
		m.fail(pos, "CHT_COMPOSE_PATH", "%q is not absolute: the upgrade service mounts it from the VM; pass --compose-path with the folder's absolute path on the VM", fromEnv)
		return false
	default:
		m.composePath, m.cpPos = filepath.Clean(fromEnv), pos
	}
	return true
}

// paths sets composePath and reads each node's data folder.
func (m *composeMapper) paths(p *types.Project, nodes int) {
	e := m.env
	cp := m.composePath
	e.Set("composePath", str(cp), m.cpPos)
	upgradeFile := find(m.dir, "docker-compose.yml")
	var data []string
	custom := false
	for i := 1; i <= nodes; i++ {
		svc, variable := "couchdb", "COUCHDB_DATA"
		def := filepath.Join(cp, "srv")
		if nodes > 1 {
			svc, variable = "", fmt.Sprintf("DB%d_DATA", i)
			for name := range p.Services {
				if g := nodeService.FindStringSubmatch(name); g != nil && g[1] == strconv.Itoa(i) {
					svc = name
				}
			}
			def = filepath.Join(cp, fmt.Sprintf("srv%d", i))
		}
		src := ""
		for _, v := range p.Services[svc].Volumes {
			if v.Target != "/opt/couchdb/data" {
				continue
			}
			if v.Type != types.VolumeTypeBind {
				m.fail(Pos{File: m.couch}, svc+".volumes", "CouchDB's data is in the %s %q, not a host folder: cht-gen renders host folders (couchdb.dataPaths); copy the data into one first, or it would start on an empty folder", v.Type, v.Source)
				return
			}
			src = v.Source
		}
		if src == "" {
			m.fail(Pos{File: m.couch}, svc+".volumes", "no volume at /opt/couchdb/data: CouchDB's data would be lost")
			return
		}
		if rel, isRel := strings.CutPrefix(src, workDirMark); isRel {
			if upgradeFile != "" {
				// The upgrade service runs docker compose in its container,
				// from /docker-compose: a relative folder lands at a path
				// of that name on the VM, not under CHT_COMPOSE_PATH.
				m.fail(Pos{File: m.envFiles[0]}, variable, "missing: %s's data folder is the files' relative %q, which Medic's upgrade service (%s) resolves inside its container, so where the data is on the VM cannot be known from the files. Set %s in the .env to the host folder `docker inspect` shows mounted at /opt/couchdb/data, and import again", svc, "."+rel, upgradeFile, variable)
				return
			}
			src = cp + rel
		}
		data = append(data, filepath.Clean(src))
		custom = custom || filepath.Clean(src) != def
	}
	for _, k := range []string{"COUCHDB_DATA", "DB1_DATA", "DB2_DATA", "DB3_DATA"} {
		m.used[k] = true
	}
	if custom {
		first := firstSet(m.varPos("COUCHDB_DATA"), m.varPos("DB1_DATA"))
		e.Set("couchdb.dataPaths", strList(data), first)
	}
}

func (m *composeMapper) nginx(p *types.Project) {
	e := m.env
	n, ok := p.Services["nginx"]
	if !ok {
		m.fail(Pos{File: m.dir}, "nginx", "no nginx service in %s", coreFile)
		return
	}
	for _, port := range n.Ports {
		if port.HostIP != "" && port.HostIP != "0.0.0.0" {
			m.note(Pos{File: m.dir}, "nginx.ports", "port %d is published on %s only; cht-gen publishes nginx on every interface of the VM: firewall it if that matters", port.Target, port.HostIP)
		}
		field := map[uint32]string{80: "nginx.httpPort", 443: "nginx.httpsPort"}[port.Target]
		pub, err := strconv.Atoi(port.Published)
		if field == "" || err != nil {
			m.note(Pos{File: m.dir}, "nginx.ports", "port %d (published as %q) is not one of Medic's (80, 443): not expressible, not rendered", port.Target, port.Published)
			continue
		}
		if (field == "nginx.httpPort" && pub != 80) || (field == "nginx.httpsPort" && pub != 443) {
			k := map[string]string{"nginx.httpPort": "NGINX_HTTP_PORT", "nginx.httpsPort": "NGINX_HTTPS_PORT"}[field]
			e.Set(field, num(pub), m.varPos(k))
		}
	}
	m.used["NGINX_HTTP_PORT"], m.used["NGINX_HTTPS_PORT"] = true, true
	env := func(k string) string {
		if v := n.Environment[k]; v != nil {
			m.used[k] = true
			return *v
		}
		return ""
	}
	mode := env("CERTIFICATE_MODE")
	if mode != "" && mode != model.TLSSelfSigned {
		e.Set("nginx.tls.mode", str(mode), m.varPos("CERTIFICATE_MODE"))
	}
	if mode == model.TLSOwnCert {
		m.ownCert(p)
	}
	defaults := map[string]string{"EMAIL": "domains@medic.org", "COUNTRY": "US", "STATE": "California", "LOCALITY": "San_Francisco", "ORGANISATION": "medic", "DEPARTMENT": "Information_Security"}
	for _, k := range []string{"EMAIL", "COUNTRY", "STATE", "LOCALITY", "ORGANISATION", "DEPARTMENT"} {
		if v := env(k); v != "" && v != defaults[k] {
			e.Set(composeVars[k], str(v), m.varPos(k))
		}
	}
}

// ownCert keeps the certificate where the VM has it: a cht-ssl volume
// backed by a folder (cht-gen's files) gives certDir; Medic's plain volume,
// into which the guide docker cp's the files, is kept (certVolume): a
// folder mounted instead is a volume docker compose would have to recreate.
func (m *composeMapper) ownCert(p *types.Project) {
	pos := m.varPos("CERTIFICATE_MODE")
	vol := p.Volumes["cht-ssl"]
	if dev := vol.DriverOpts["device"]; vol.DriverOpts["o"] == "bind" && strings.HasPrefix(dev, "/") {
		m.env.Set("nginx.tls.certDir", str(filepath.Clean(dev)), pos)
		return
	}
	m.env.Set("nginx.tls.certVolume", boolean(true), pos)
	m.note(pos, "CERTIFICATE_MODE", "OWN_CERT: the certificate stays in the VM's cht-ssl volume (<project>_cht-ssl), where Medic's guide docker cp's it (nginx.tls.certVolume)")
}

func (m *composeMapper) logging(p *types.Project) {
	h, ok := p.Services["haproxy"]
	if !ok || h.Logging == nil {
		return
	}
	if s := h.Logging.Options["max-size"]; s != "" && s != "50m" {
		m.env.Set("logging.maxSize", str(s), m.varPos("LOG_MAX_SIZE"))
	}
	if s := h.Logging.Options["max-file"]; s != "" && s != "20" {
		n, err := strconv.Atoi(s)
		if err != nil {
			m.fail(m.varPos("LOG_MAX_FILES"), "LOG_MAX_FILES", "%q is not a number", s)
		} else {
			m.env.Set("logging.maxFiles", num(n), m.varPos("LOG_MAX_FILES"))
		}
	}
	m.used["LOG_MAX_SIZE"], m.used["LOG_MAX_FILES"] = true, true
}

// settings are the .env variables that map one to one.
func (m *composeMapper) settings() {
	e := m.env
	if v, p, ok := m.get("COUCHDB_USER"); ok && v != "admin" {
		e.Set("couchdb.user", str(v), p)
	}
	// Unset, cht-gen renders Medic's default of the version (error before
	// 4.3.0, info since): the level CouchDB ran with is kept unless it is that.
	if v, p, ok := m.couchdbLogLevel(); ok && v != (&model.Environment{Version: m.version}).Compose().DefaultLogLevel {
		e.Set("couchdb.logLevel", str(v), p)
	}
	if v, p, ok := m.get("HAPROXY_PORT"); ok && v != "5984" {
		if n, err := strconv.Atoi(v); err == nil {
			e.Set("haproxy.port", num(n), p)
		} else {
			m.fail(p, "HAPROXY_PORT", "is not a port number")
		}
	}
	if v, p, ok := m.get("MARKET_URL_READ"); ok && v != "https://staging.dev.medicmobile.org" {
		e.Set("builds.marketURL", str(v), p)
	}
	if v, p, ok := m.get("BUILDS_SERVER"); ok && v != "_couch/builds_4" {
		e.Set("builds.server", str(v), p)
	}
	if v, p, ok := m.get("HEALTHCHECK_LOG_LEVEL"); ok {
		if m.passedTo("HEALTHCHECK_LOG_LEVEL", "healthcheck") {
			e.Set("healthcheck.logLevel", str(v), p)
		} else {
			m.note(p, "HEALTHCHECK_LOG_LEVEL", "Medic's files of this version do not pass it to the healthcheck, so it had no effect: not imported")
		}
	}
	if v, p := m.runningProject(); v != e.Name {
		e.Set("project", str(v), p)
	}
	if v, p, ok := m.get("CHT_NETWORK"); ok && v != "cht-net" {
		e.Set("network", str(v), p)
	}
}

// runningProject is the compose project the VM's containers run under:
// renaming it would start a second set of containers (and new named
// volumes) beside the old ones. CHT_COMPOSE_PROJECT_NAME, else the
// upgrade service's default (cht), else what docker compose makes of the
// compose folder (COMPOSE_PROJECT_NAME, else the folder's name).
func (m *composeMapper) runningProject() (string, Pos) {
	if v, p, ok := m.get("CHT_COMPOSE_PROJECT_NAME"); ok {
		return v, p
	}
	var name string
	var from Pos
	if f := find(m.dir, "docker-compose.yml"); f != "" {
		name, from = "cht", Pos{File: f}
		if def := upgradeProjectDefault(f); def != "" {
			name = def
		}
	} else if v, p, ok := m.get("COMPOSE_PROJECT_NAME"); ok {
		return v, p
	} else {
		abs, _ := filepath.Abs(filepath.Dir(m.couch))
		name, from = strings.ToLower(filepath.Base(abs)), Pos{File: filepath.Dir(m.couch)}
	}
	m.note(from, "CHT_COMPOSE_PROJECT_NAME", "not set: the containers run as compose project %q, which the environment keeps (project)", name)
	return name, from
}

// upgradeProjectDefault is the default the upgrade service's compose file
// gives CHT_COMPOSE_PROJECT_NAME (${CHT_COMPOSE_PROJECT_NAME:-cht} in
// Medic's), or "" when it gives none or does not parse.
func upgradeProjectDefault(file string) string {
	b, err := os.ReadFile(file)
	var doc map[string]any
	if err != nil || yaml.Unmarshal(b, &doc) != nil {
		return ""
	}
	return template.ExtractVariables(doc, nil)["CHT_COMPOSE_PROJECT_NAME"].DefaultValue
}

// couchdbLogLevel is COUCHDB_LOG_LEVEL as CouchDB ran with it: the .env's,
// else the compose file's default (CHT 4.0.0's files default to error).
func (m *composeMapper) couchdbLogLevel() (string, Pos, bool) {
	v, p, ok := m.get("COUCHDB_LOG_LEVEL")
	if ok {
		return v, p, true
	}
	for _, name := range m.project.ServiceNames() {
		if name != "couchdb" && !nodeService.MatchString(name) {
			continue
		}
		if lv := m.project.Services[name].Environment["COUCHDB_LOG_LEVEL"]; lv != nil && *lv != "" {
			return *lv, Pos{File: m.couch}, true
		}
	}
	return "", Pos{}, false
}

// passedTo reports whether the loaded project gives service the variable.
func (m *composeMapper) passedTo(variable, service string) bool {
	s, ok := m.project.Services[service]
	return ok && s.Environment[variable] != nil
}

// upgradeService reads the upgrade service's image tag, if its file is there.
func (m *composeMapper) upgradeService() {
	f := find(m.dir, "docker-compose.yml")
	if f == "" {
		m.note(Pos{File: m.dir}, "upgrade-service", "no upgrade-service/docker-compose.yml: cht-gen renders Medic's upgrade service (set upgradeService.enabled: false to leave it out)")
		return
	}
	b, err := os.ReadFile(f)
	if err != nil {
		m.fail(Pos{File: f}, "upgrade-service", "%v", err)
		return
	}
	re := regexp.MustCompile(`(?m)^\s*image:\s*["']?([^\s"']*cht-upgrade-service[^\s"']*)`)
	g := re.FindSubmatch(b)
	if g == nil {
		m.note(Pos{File: f}, "upgrade-service", "holds no cht-upgrade-service image: ignored")
		return
	}
	named, err := reference.ParseNormalizedNamed(string(g[1]))
	if err != nil {
		m.fail(Pos{File: f}, "cht-upgrade-service.image", "%v", err)
		return
	}
	if t, ok := named.(reference.Tagged); ok && t.Tag() != "latest" {
		m.env.Set("upgradeService.tag", str(t.Tag()), Pos{File: f, Line: lineOf(b, "    image")})
	}
}

// leftovers reports .env variables and services import did not express.
func (m *composeMapper) leftovers(p *types.Project) {
	var keys []string
	for k := range m.vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case m.used[k]:
		case composeExplained[k] != "":
			m.note(m.varPos(k), k, "%s", composeExplained[k])
		default:
			m.note(m.varPos(k), k, "not read by Medic's compose files: ignored")
		}
	}
	known := map[string]bool{"api": true, "sentinel": true, "haproxy": true, "healthcheck": true, "nginx": true, "couchdb": true, "nouveau": true}
	for _, name := range p.ServiceNames() {
		if !known[name] && !nodeService.MatchString(name) {
			m.note(Pos{File: m.dir}, "services."+name, "not one of Medic's services: not expressible, ignored")
		}
	}
}
