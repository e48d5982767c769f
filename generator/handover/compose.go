package handover

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/cht-gen/cht-gen/generator/model"
)

// ComposeOptions tune the handover of a Compose VM.
type ComposeOptions struct {
	// Out is render's output folder, relative to the root of the VM's
	// checkout of the hosting repository (where the script runs); default
	// "deploy". The environment's files are in <Out>/compose/<name>.
	Out string
	// EnvFile is the VM's .env (its COUCHDB_PASSWORD, COUCHDB_SECRET and
	// COUCHDB_UUID); default: the first of <composePath>/.env and
	// <composePath>/../upgrade-service/.env (Medic's guide) that exists.
	// It is read by docker compose, never written or moved.
	EnvFile string
}

// Medic's file names (the upgrade service rewrites only these); the
// renderer writes the same names.
const (
	coreFile      = "cht-core.yml"
	singleFile    = "cht-couchdb.yml"
	clusteredFile = "cht-couchdb-clustered.yml"
	// dataMount is where CouchDB keeps its data in Medic's image.
	dataMount = "/opt/couchdb/data"
	// upgradeService is Medic's upgrade service's compose service name.
	upgradeService = "cht-upgrade-service"
)

// Compose plans the handover of a VM that runs CHT from Medic's files (or
// by hand) to the rendered folder of e: same compose project, same data
// folders and named volumes, the VM's .env kept in place. The checks
// compare what runs with the environment and stop on the first
// difference; the changes are `docker compose up -d --remove-orphans` on
// the rendered folder and, when the environment leaves the upgrade service
// out, stopping Medic's.
func Compose(e *model.Environment, o ComposeOptions) (Plan, error) {
	if e.Target != model.Compose {
		return Plan{}, fmt.Errorf("environment %s targets %s, not compose", e.Name, e.Target)
	}
	if o.Out == "" {
		o.Out = "deploy"
	}
	q := &quoter{}
	c := composePlan{e: e, o: o, q: q, dir: path.Join(o.Out, "compose", e.Name)}
	steps := []Step{
		c.tools(), c.renderedFolder(), c.envFile(), c.project(), c.dataFolders(), c.volumes(),
	}
	// compose up comes first: if it fails, the VM runs as before, its
	// upgrade service included.
	steps = append(steps, c.up())
	if e.UpgradeService.Enabled {
		steps = append(steps, c.keepUpgradeService())
	} else {
		steps = append(steps, c.stopUpgradeService())
	}
	if q.err != nil {
		return Plan{}, fmt.Errorf("environment %s: %w", e.Name, q.err)
	}
	return Plan{Environment: e.Name, Target: e.Target, Steps: steps}, nil
}

// quoter quotes values for POSIX sh, keeping the first value that cannot
// be quoted (a control character) as the error.
type quoter struct{ err error }

func (q *quoter) s(v string) string {
	out, err := syntax.Quote(v, syntax.LangPOSIX)
	if err != nil {
		if q.err == nil {
			var qe *syntax.QuoteError
			if errors.As(err, &qe) {
				q.err = fmt.Errorf("a value holds a character a shell script cannot carry (byte %d): %w", qe.ByteOffset, err)
			} else {
				q.err = err
			}
		}
		return "''"
	}
	return out
}

type composePlan struct {
	e   *model.Environment
	o   ComposeOptions
	q   *quoter
	dir string // the rendered folder, relative to the checkout's root
}

func (c composePlan) couchFile() string {
	if c.e.CouchDB.Clustered() {
		return clusteredFile
	}
	return singleFile
}

// dataPaths is each CouchDB service with the host folder the environment
// gives its data (the renderer's default: <composePath>/srv, srv<n>).
func (c composePlan) dataPaths() [][2]string {
	e := c.e
	var out [][2]string
	for i, svc := range e.CouchDBServices() {
		p := path.Join(e.ComposePath, "srv")
		if e.CouchDB.Clustered() {
			p = path.Join(e.ComposePath, fmt.Sprintf("srv%d", i+1))
		}
		if i < len(e.CouchDB.DataPaths) {
			p = e.CouchDB.DataPaths[i]
		}
		out = append(out, [2]string{svc, path.Clean(p)})
	}
	return out
}

// fail is the sh function every step stops with: the message on stderr.
const fail = `fail() { echo "handover: $*" >&2; exit 1; }` + "\n"

// findEnvFile sets env_file to the VM's .env (absolute), or "".
func (c composePlan) findEnvFile() string {
	candidates := []string{c.o.EnvFile}
	if c.o.EnvFile == "" {
		candidates = []string{path.Join(c.e.ComposePath, ".env"), path.Join(path.Dir(c.e.ComposePath), "upgrade-service", ".env")}
	}
	var quoted []string
	for _, f := range candidates {
		quoted = append(quoted, c.q.s(f))
	}
	return "env_file=\nfor f in " + strings.Join(quoted, " ") + "; do\n" +
		"  if [ -f \"$f\" ]; then env_file=$f; break; fi\ndone\n" +
		"case $env_file in ''|/*) ;; *) env_file=$PWD/$env_file ;; esac\n"
}

// projectIDs lists the project's containers, running or not.
func (c composePlan) projectIDs(service string) string {
	s := "docker ps -aq --filter " + c.q.s("label=com.docker.compose.project="+c.e.Project)
	if service != "" {
		s += " --filter " + c.q.s("label=com.docker.compose.service="+service)
	}
	return s
}

func (c composePlan) tools() Step {
	return Step{Name: "docker", Kind: Check,
		Why: "The handover runs docker and docker compose (v2) on the VM.",
		Script: fail + "command -v docker >/dev/null 2>&1 || fail 'docker is not installed here'\n" +
			"docker compose version >/dev/null 2>&1 || fail 'docker compose (v2) is not available: install the compose plugin'\n",
	}
}

func (c composePlan) renderedFolder() Step {
	var files []string
	for _, f := range []string{coreFile, c.couchFile()} {
		files = append(files, c.q.s(path.Join(c.dir, f)))
	}
	return Step{Name: "rendered-folder", Kind: Check,
		Why: "The script runs from the root of the VM's checkout of the hosting repository, after git pull: the rendered folder " + c.dir + " is what the instance will run from.",
		Script: fail + "for f in " + strings.Join(files, " ") + "; do\n" +
			"  [ -f \"$f\" ] || fail \"$f is missing: run this from the root of the hosting repository's checkout, after git pull\"\ndone\n",
	}
}

// envFile checks the VM's .env is there and does not override what the
// environment says (docker compose takes a variable from it before the
// rendered files' defaults).
func (c composePlan) envFile() Step {
	e := c.e
	var b strings.Builder
	b.WriteString(fail + c.findEnvFile())
	b.WriteString("[ -n \"$env_file\" ] || fail 'the VM'\\''s .env is not at " + strings.ReplaceAll(c.envCandidates(), "'", "") + ": it holds COUCHDB_PASSWORD, COUCHDB_SECRET and COUCHDB_UUID, which CouchDB'\\''s data uses; pass --env-file with its path (it is never written)'\n")
	b.WriteString("grep -Eq '^[[:space:]]*(export[[:space:]]+)?COUCHDB_PASSWORD=.' \"$env_file\" || fail \"$env_file sets no COUCHDB_PASSWORD\"\n")
	b.WriteString("env_value() { sed -n \"s/^[[:space:]]*\\(export[[:space:]][[:space:]]*\\)\\{0,1\\}$1=//p\" \"$env_file\" | tail -n 1 | sed \"s/^[\\\"']//; s/[\\\"']\\$//\"; }\n")
	check := func(variable, want string) {
		w := c.q.s(want)
		fmt.Fprintf(&b, "v=$(env_value %s)\n[ -z \"$v\" ] || [ \"$v\" = %s ] || fail \"$env_file sets %s=$v, the environment says \"%s\": the rendered files would take the .env's; make them agree\"\n",
			variable, w, variable, w)
	}
	for i, dp := range c.dataPaths() {
		variable := "COUCHDB_DATA"
		if e.CouchDB.Clustered() {
			variable = fmt.Sprintf("DB%d_DATA", i+1)
		}
		check(variable, dp[1])
	}
	check("CHT_NETWORK", e.Network)
	return Step{Name: "env-file", Kind: Check,
		Why:    "The VM's .env stays where it is and is passed to docker compose as is; a setting in it that differs from the environment would win over the rendered files, so it must agree.",
		Script: b.String(),
	}
}

func (c composePlan) envCandidates() string {
	if c.o.EnvFile != "" {
		return c.o.EnvFile
	}
	return path.Join(c.e.ComposePath, ".env") + " or " + path.Join(path.Dir(c.e.ComposePath), "upgrade-service", ".env")
}

func (c composePlan) project() Step {
	p := c.q.s(c.e.Project)
	return Step{Name: "project", Kind: Check,
		Why:    "The rendered files must replace the containers of the compose project that runs (Medic's default: cht), not start a second set beside it.",
		Script: fail + "[ -n \"$(" + c.projectIDs("") + ")\" ] || fail \"no containers of compose project \"" + p + "\" here (docker compose ls lists the projects): set project to the one the VM runs\"\n",
	}
}

func (c composePlan) dataFolders() Step {
	var b strings.Builder
	b.WriteString(fail)
	for _, sd := range c.dataPaths() {
		svc, want := c.q.s(sd[0]), c.q.s(sd[1])
		fmt.Fprintf(&b, "ids=$(%s)\n[ -n \"$ids\" ] || fail \"no \"%s\" container in compose project \"%s\n", c.projectIDs(sd[0]), svc, c.q.s(c.e.Project))
		fmt.Fprintf(&b, "for id in $ids; do\n  src=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination \"%s\"}}{{.Source}}{{end}}{{end}}' \"$id\")\n", dataMount)
		fmt.Fprintf(&b, "  [ \"$src\" = %s ] || fail %s\" keeps CouchDB's data in $src, the environment says \"%s\": set couchdb.dataPaths to what runs, or CouchDB would start on an empty folder\"\ndone\n", want, svc, want)
		fmt.Fprintf(&b, "[ -d %s ] || fail \"the data folder \"%s\" is not on this VM\"\n", want, want)
	}
	return Step{Name: "data-folders", Kind: Check,
		Why:    "CouchDB's data stays in the folders it is in: each node's container must mount the folder the environment names at " + dataMount + ".",
		Script: b.String(),
	}
}

func (c composePlan) volumes() Step {
	e := c.e
	var b strings.Builder
	b.WriteString(fail)
	for _, v := range []string{"cht-credentials", "cht-ssl"} {
		name := c.q.s(e.Project + "_" + v)
		fmt.Fprintf(&b, "docker volume inspect %s >/dev/null 2>&1 || fail \"the named volume \"%s\" is missing: the rendered files use the VM's (project \"%s\"); is project right?\"\n", name, name, c.q.s(e.Project))
	}
	tls := e.Nginx.TLS
	if tls.Mode == model.TLSOwnCert && !tls.CertVolume {
		name := c.q.s(e.Project + "_cht-ssl")
		fmt.Fprintf(&b, "dev=$(docker volume inspect -f '{{index .Options \"device\"}}' %s)\n[ \"$dev\" = %s ] || fail \"the VM's certificate is in the volume \"%s\" (device: $dev), which the rendered files would back by \"%s\" instead: docker compose would recreate it and lose the certificate; set nginx.tls.certVolume: true to keep it\"\n",
			name, c.q.s(tls.CertDir), name, c.q.s(tls.CertDir))
	}
	return Step{Name: "named-volumes", Kind: Check,
		Why:    "The rendered files use the VM's named volumes as they are (cht-credentials: CouchDB's admin credentials; cht-ssl: nginx's certificate); nothing recreates them.",
		Script: b.String(),
	}
}

// servesProject is a sh function: whether the upgrade service container
// $1 starts this compose project (its CHT_COMPOSE_PROJECT_NAME, Medic's
// default cht when unset). Only that line of its environment is read.
func (c composePlan) servesProject() string {
	return "serves_project() {\n" +
		"  p=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' \"$1\" | sed -n 's/^CHT_COMPOSE_PROJECT_NAME=//p' | tail -n 1)\n" +
		"  [ \"${p:-cht}\" = " + c.q.s(c.e.Project) + " ]\n}\n"
}

func (c composePlan) upgradeIDs() string {
	return "docker ps -aq --filter " + c.q.s("label=com.docker.compose.service="+upgradeService)
}

func (c composePlan) keepUpgradeService() Step {
	return Step{Name: "upgrade-service", Kind: Check,
		Why: "upgradeService.enabled: Medic's upgrade service is left in place for in-app upgrades. It must start this project: one that starts another would run a second CHT on an in-app upgrade.",
		Script: fail + c.servesProject() +
			"for id in $(" + c.upgradeIDs() + "); do\n" +
			"  serves_project \"$id\" || echo \"handover: upgrade service $id starts another compose project: left alone\" >&2\ndone\n" +
			"echo 'handover: Medic'\\''s upgrade service is left in place (upgradeService.enabled); an in-app upgrade rewrites its compose folder and replaces these containers: record the version with cht-gen bump' >&2\n",
	}
}

func (c composePlan) stopUpgradeService() Step {
	return Step{Name: "stop-upgrade-service", Kind: Change,
		Why: "upgradeService.enabled is false: Medic's upgrade service for this project is stopped and kept from restarting (docker update --restart=no), so it does not start Medic's files over the rendered ones. It is not removed.",
		Script: c.servesProject() +
			"for id in $(" + c.upgradeIDs() + "); do\n" +
			"  serves_project \"$id\" || continue\n" +
			"  docker update --restart=no \"$id\" >/dev/null\n" +
			"  docker stop \"$id\" >/dev/null\n" +
			"  echo \"handover: Medic's upgrade service $id is stopped and does not restart (not removed)\"\ndone\n",
	}
}

// up runs the rendered folder with the VM's .env, in a clean environment:
// docker compose reads the shell before the .env, and a host's shell sets
// names of its own (SSL_CERT_DIR, DOCKER_*).
func (c composePlan) up() Step {
	e := c.e
	p := c.q.s(e.Project)
	var b strings.Builder
	b.WriteString(fail + c.findEnvFile())
	fmt.Fprintf(&b, "(\n  cd %s\n", c.q.s(c.dir))
	b.WriteString("  env -i PATH=\"$PATH\" HOME=\"${HOME:-/}\" ${DOCKER_HOST+\"DOCKER_HOST=$DOCKER_HOST\"} ${DOCKER_CONFIG+\"DOCKER_CONFIG=$DOCKER_CONFIG\"} ${DOCKER_CONTEXT+\"DOCKER_CONTEXT=$DOCKER_CONTEXT\"} \\\n")
	b.WriteString("    ${DOCKER_CERT_PATH+\"DOCKER_CERT_PATH=$DOCKER_CERT_PATH\"} ${DOCKER_TLS_VERIFY+\"DOCKER_TLS_VERIFY=$DOCKER_TLS_VERIFY\"} \\\n")
	fmt.Fprintf(&b, "    docker compose --project-name %s --env-file \"$env_file\" -f %s -f %s up -d --remove-orphans\n)\n", p, coreFile, c.couchFile())
	for _, sd := range c.dataPaths() {
		svc, want := c.q.s(sd[0]), c.q.s(sd[1])
		fmt.Fprintf(&b, "ids=$(%s)\n[ \"$(echo \"$ids\" | wc -w)\" -eq 1 ] || fail \"compose project \"%s\" has $(echo \"$ids\" | wc -w) \"%s\" containers, want one\"\n", c.projectIDs(sd[0]), p, svc)
		fmt.Fprintf(&b, "src=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination \"%s\"}}{{.Source}}{{end}}{{end}}' \"$ids\")\n[ \"$src\" = %s ] || fail \"after the change \"%s\" mounts $src, not \"%s\n", dataMount, want, svc, want)
	}
	fmt.Fprintf(&b, "echo \"handover: \"%s\" runs from \"%s\n", c.q.s(e.Name), c.q.s(c.dir))
	return Step{Name: "compose-up", Kind: Change,
		Why:    "docker compose up -d --remove-orphans on the rendered folder, as project " + e.Project + " with the VM's .env: it replaces the containers whose settings differ and keeps the data folders and named volumes; run again, it changes nothing. Then each CouchDB node is checked to run once, on its folder.",
		Script: b.String(),
	}
}
