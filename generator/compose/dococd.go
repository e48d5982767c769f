package compose

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
	"go.yaml.in/yaml/v3"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/model"
)

// Files of a VM deployed by doco-cd (github.com/kimdre/doco-cd), below
// the environment's folder.
const (
	// DocoCDConfig is the agent's deploy file: the project and the compose
	// files it deploys from this folder. Not rendered while the
	// environment is suspended, so the agent finds nothing to deploy.
	DocoCDConfig = ".doco-cd.yaml"
	// DocoCDAgentFile is the agent's own compose project, started once by
	// hand on the VM; the agent never deploys it (it is not in
	// DocoCDConfig's compose_files).
	DocoCDAgentFile = "doco-cd/docker-compose.yml"
	// DocoCDAgentName names the agent in diffs and pull requests.
	DocoCDAgentName = model.GitOpsDocoCD
	// DocoCDImage is doco-cd's published image.
	DocoCDImage = "ghcr.io/kimdre/doco-cd"
	// docoCDLocal is the agent's folder on the VM below composePath: its
	// clone of the repository (data/) and the token file. Never in Git.
	docoCDLocal = model.DocoCDAgentDir
	// DocoCDTokenSecret is the compose secret the token file is mounted
	// as; the agent reads /run/secrets/<it> (GIT_ACCESS_TOKEN_FILE).
	DocoCDTokenSecret = "git-token"
	// docoCDTimeout is how long (seconds) one deploy may take: CouchDB
	// and CHT API start slowly on a loaded VM.
	docoCDTimeout = 600
)

// DocoCDDeploy is the one document of a rendered .doco-cd.yaml: the only
// fields cht-gen writes (doco-cd v0.110.1's deploy.Config names). Tests
// decode rendered files into it strictly; doco-cd itself ignores unknown
// keys, so a typo here would be silently dropped by the agent.
type DocoCDDeploy struct {
	Name          string   `yaml:"name"`
	WorkingDir    string   `yaml:"working_dir"`
	ComposeFiles  []string `yaml:"compose_files"`
	EnvFiles      []string `yaml:"env_files"`
	RemoveOrphans bool     `yaml:"remove_orphans"`
	PruneImages   bool     `yaml:"prune_images"`
	ForceRecreate bool     `yaml:"force_recreate"`
	Timeout       int      `yaml:"timeout"`
}

// DocoCDPoll is one entry of the agent's POLL_CONFIG (doco-cd's
// poll.Config fields cht-gen writes).
type DocoCDPoll struct {
	URL       string `yaml:"url"`
	Reference string `yaml:"reference"`
	Interval  int    `yaml:"interval"`
}

// DocoCDLocalDir is the agent's folder on e's VM (clone and token file).
func DocoCDLocalDir(e *model.Environment) string {
	return strings.TrimRight(e.ComposePath, "/") + "/" + docoCDLocal
}

// DocoCDRepoDir is the environment's folder inside the repository the
// agent polls: where `cht-gen render --out <pathPrefix>` writes it.
func DocoCDRepoDir(e *model.Environment) string { return path.Join(e.PathPrefix, Dir(e)) }

// DocoCDAgentProject is the compose project of e's agent.
func DocoCDAgentProject(e *model.Environment) string { return e.Project + "-doco-cd" }

// DocoCDImageRef is the agent's image, pinned by version and, when the
// schema has it, digest.
func DocoCDImageRef(e *model.Environment) string {
	ref := DocoCDImage + ":" + e.DocoCD.Version
	if e.DocoCD.ImageDigest != "" {
		ref += "@" + e.DocoCD.ImageDigest
	}
	return ref
}

// dococd adds the agent's files to out when a doco-cd agent deploys e.
func (r renderer) dococd(out files.Set) error {
	e := r.e
	if !e.UsesDocoCD() {
		return nil
	}
	if e.DocoCD == nil {
		return fmt.Errorf("environment %s: gitops doco-cd without its dococd settings", e.Name)
	}
	if !e.Suspended {
		if err := out.AddYAML(Dir(e)+"/"+DocoCDConfig, r.header+r.dococdConfigComment(), r.dococdConfig()); err != nil {
			return err
		}
	}
	agent, err := r.dococdAgent()
	if err != nil {
		return err
	}
	return out.AddYAML(Dir(e)+"/"+DocoCDAgentFile, r.header, agent)
}

func (r renderer) dococdConfigComment() string {
	return fmt.Sprintf(`# doco-cd deploys this folder on the VM as compose project %q. The
# secrets are the VM's %s/.env, which the agent reads and passes on
# (PASS_ENV); it never enters Git. Nothing here destroys the project or
# its volumes; suspended: true (or removing the environment) leaves this
# file out and the agent then changes nothing.
`, r.e.Project, r.e.ComposePath)
}

// dococdConfig is the deploy file: Medic's compose files of this VM under
// the project its containers run as today (adoption recreates them in
// place, with the same data folders and named volumes).
func (r renderer) dococdConfig() DocoCDDeploy {
	e := r.e
	return DocoCDDeploy{
		Name:          e.Project,
		WorkingDir:    DocoCDRepoDir(e),
		ComposeFiles:  []string{CoreFile, r.couchFile()},
		EnvFiles:      []string{},
		RemoveOrphans: true,  // 4.x -> 5.x drops services (single node's healthcheck)
		PruneImages:   false, // the previous version's images stay for a rollback
		ForceRecreate: false, // only what changed is recreated
		Timeout:       docoCDTimeout,
	}
}

// dococdAgent is the agent's compose project: polling the hosting
// repository's branch, limited to this VM's folder, the token read from a
// file on the VM, no port published.
func (r renderer) dococdAgent() (files.Map, error) {
	e := r.e
	poll, err := yaml.Marshal([]DocoCDPoll{{URL: e.RepoURL, Reference: e.Branch, Interval: e.DocoCD.Interval}})
	if err != nil {
		return nil, err
	}
	local := DocoCDLocalDir(e)
	data := local + "/data"
	return files.Map{
		{"name", DocoCDAgentProject(e)},
		{"services", files.Map{
			{"doco-cd", files.Map{
				{"image", DocoCDImageRef(e)},
				{"restart", "unless-stopped"},
				// The VM's secrets, for interpolation of Medic's files only.
				{"env_file", []files.Map{{{"path", literal(e.ComposePath + "/.env")}, {"required", true}}}},
				{"environment", append(files.Map{
					{"POLL_CONFIG", files.Quoted(literal(string(poll)))},
					{"DEPLOY_CONFIG_BASE_DIR", files.Quoted(literal(DocoCDRepoDir(e)))},
					{"GIT_ACCESS_TOKEN_FILE", files.Quoted("/run/secrets/" + DocoCDTokenSecret)},
					{"PASS_ENV", files.Quoted("true")},
					{"DATA_MOUNT_PATH", files.Quoted(literal(data))},
					{"DATA_HOST_PATH", files.Quoted(literal(data))},
					{"DOCKER_SWARM_FEATURES", files.Quoted("false")},
					{"LOG_LEVEL", files.Quoted("info")},
				}, r.dococdHostFolders()...)},
				{"volumes", []files.Quoted{
					"/var/run/docker.sock:/var/run/docker.sock",
					files.Quoted(literal(data + ":" + data)),
				}},
				{"secrets", []string{DocoCDTokenSecret}},
			}},
		}},
		{"secrets", files.Map{
			{DocoCDTokenSecret, files.Map{{"file", files.Quoted(literal(local + "/" + DocoCDTokenSecret))}}},
		}},
	}, nil
}

// dococdHostFolders pin the host folders of Medic's files (CouchDB's
// data, an own certificate's folder) to the schema's absolute paths in the
// agent's environment, which wins over its env_file (the VM's .env) and
// reaches the deploy through PASS_ENV. A relative COUCHDB_DATA=./couch in
// a VM's .env means the VM's folder to docker compose run there, but the
// agent's clone to doco-cd: CouchDB would start on an empty folder.
func (r renderer) dococdHostFolders() files.Map {
	var out files.Map
	for n := 1; n <= max(1, r.e.CouchDB.Nodes); n++ {
		variable, folder := r.dataPath(n)
		out = append(out, files.KV{variable, files.Quoted(literal(folder))})
		if !r.e.CouchDB.Clustered() {
			break
		}
	}
	if tls := r.e.Nginx.TLS; tls.Mode == model.TLSOwnCert {
		out = append(out, files.KV{"SSL_CERT_DIR", files.Quoted(literal(tls.CertDir))})
	}
	return out
}

// dococdIgnore keeps the agent's clone and token out of Git when the
// VM's folder is itself a checkout.
func (r renderer) dococdIgnore() string {
	if !r.e.UsesDocoCD() {
		return ""
	}
	return docoCDLocal + "/\n"
}

// dococdReadme replaces the manual flow's steps in the folder's README.
func (r renderer) dococdReadme() string {
	e := r.e
	local := DocoCDLocalDir(e)
	var b strings.Builder
	fmt.Fprintf(&b, `4. A VM already running CHT: stop Medic's upgrade service first, removing nothing:
   `+"`docker compose -f upgrade-service/docker-compose.yml down`"+` (never `+"`-v`"+`). The agent's
   first deploy keeps the project, data folders and volumes, recreating each container once.
5. Start the doco-cd agent once; from then on it deploys this folder:

   `+"```"+`
   install -d -m 700 %[1]s %[1]s/data
   install -m 600 /dev/null %[1]s/%[2]s   # then write a read-only token into it (empty for a public repository)
   docker compose -f %[3]s/%[4]s up -d
   `+"```"+`

   (%[3]s/%[4]s is this folder's `+"`%[4]s`"+`; copy it there if this folder is not a checkout.)

## Following the repository: doco-cd

The agent (doco-cd %[5]s, image `+"`%[6]s`"+`) polls %[7]s, branch `+"`%[8]s`"+`,
every %[9]d s, reads `+"`%[10]s/.doco-cd.yaml`"+` and deploys `+"`%[11]s`"+` as project `+"`%[12]s`"+`:
it recreates what changed, removes services a version no longer has, and
starts again a container removed by hand. No inbound port is needed. The
secrets come from `+"`%[3]s/.env`"+`, which never enters Git; the token is read from
`+"`%[1]s/%[2]s`"+` (GIT_ACCESS_TOKEN_FILE), never from Git or the URL.

- Upgrading: `+"`cht-gen bump %[13]s --to <version>`"+` opens a pull request; once merged, the
  agent deploys it within %[9]d s. Medic's upgrade service is off under doco-cd (the
  agent owns the compose files): the admin app's Upgrade reaches no upgrade service and
  leaves the containers as they are; the version changes when a bump is merged.
- What it did: `+"`docker compose -f %[3]s/%[4]s logs doco-cd`"+` (each poll ends with
  "job completed"), and `+"`docker ps --filter label=com.docker.compose.project=%[12]s`"+`.
- Pausing it: set `+"`suspended: true`"+` (or remove the environment): `+"`.doco-cd.yaml`"+` is no longer
  rendered and the agent changes nothing. Nothing deletes `+"`%[14]s`"+` or the volumes; stop the
  agent with `+"`docker compose -f %[3]s/%[4]s down`"+` (never `+"`-v`"+`).
- A new doco-cd version or setting changes `+"`%[4]s`"+`: run its `+"`up -d`"+` again on the VM.
`, local, DocoCDTokenSecret, e.ComposePath, DocoCDAgentFile, e.DocoCD.Version, DocoCDImageRef(e),
		e.RepoURL, e.Branch, e.DocoCD.Interval, DocoCDRepoDir(e), strings.Join([]string{CoreFile, r.couchFile()}, ", "),
		e.Project, e.Name, strings.Join(r.dataFolders(), ", "))
	if e.Suspended {
		// doco-cd's reconciliation keeps the last deploy in memory until
		// the agent restarts (it restarts unhealthy containers and
		// redeploys one it cannot restart).
		fmt.Fprintf(&b, "\n**Suspended**: this folder has no `.doco-cd.yaml`. Once this is on the VM's branch, restart doco-cd\n(`docker compose -f %s/%s restart doco-cd`): until it restarts, its reconciliation still\nrestarts unhealthy containers of its last deploy. From then on the agent deploys, changes and deletes nothing here.\n", e.ComposePath, DocoCDAgentFile)
	}
	return b.String()
}

// dataFolders are the host folders holding CouchDB data.
func (r renderer) dataFolders() []string {
	var out []string
	for n := 1; n <= max(1, r.e.CouchDB.Nodes); n++ {
		_, def := r.dataPath(n)
		out = append(out, def)
		if !r.e.CouchDB.Clustered() {
			break
		}
	}
	return out
}

// LoadDocoCDAgent loads the agent's compose file of the folder dir in set
// as `docker compose -f doco-cd/docker-compose.yml config` would on the
// VM at composePath, without reading the VM's .env (its secrets are
// resolved only there).
func LoadDocoCDAgent(ctx context.Context, set files.Set, dir, composePath string) (*types.Project, error) {
	quietLogrus.Do(func() { logrus.SetOutput(io.Discard) })
	name := path.Join(dir, DocoCDAgentFile)
	b, ok := set[name]
	if !ok {
		return nil, fmt.Errorf("%s was not rendered", name)
	}
	details := types.ConfigDetails{
		WorkingDir:  path.Join(composePath, path.Dir(DocoCDAgentFile)),
		ConfigFiles: []types.ConfigFile{{Filename: path.Join(composePath, DocoCDAgentFile), Content: b}},
		Environment: types.Mapping{},
	}
	p, err := loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.SkipResolveEnvironment = true
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// checkDocoCD loads the agent's project and checks that it polls this
// environment's folder with what the deploy file names.
func checkDocoCD(ctx context.Context, e *model.Environment, set files.Set) error {
	if !e.UsesDocoCD() {
		return nil
	}
	p, err := LoadDocoCDAgent(ctx, set, Dir(e), e.ComposePath)
	if err != nil {
		return err
	}
	s, ok := p.Services["doco-cd"]
	if !ok {
		return fmt.Errorf("%s/%s has no doco-cd service", Dir(e), DocoCDAgentFile)
	}
	if got := s.Environment["DEPLOY_CONFIG_BASE_DIR"]; got == nil || *got != DocoCDRepoDir(e) {
		return fmt.Errorf("%s/%s: DEPLOY_CONFIG_BASE_DIR is not %s", Dir(e), DocoCDAgentFile, DocoCDRepoDir(e))
	}
	if len(s.Ports) != 0 {
		return fmt.Errorf("%s/%s publishes a port: the agent polls, it needs none", Dir(e), DocoCDAgentFile)
	}
	return nil
}
