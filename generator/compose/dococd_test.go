package compose_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v3"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/load"
)

const docoGitops = `gitops: {repoURL: "https://github.com/example-moh/cht-hosting", branch: "release", pathPrefix: "hosting/deploy", compose: "doco-cd"}
`

// dococdCases are Compose environments under doco-cd: both lines, single
// node and cluster, a digest, a suspended one.
var dococdCases = map[string]string{
	"single-4x":    `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org"}`,
	"cluster-5x":   `environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org", couchdb: nodes: 3, project: "cht", composePath: "/opt/cht"}`,
	"digest":       `environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org", dococd: imageDigest: "sha256:` + strings.Repeat("ab", 32) + `"}`,
	"suspended-5x": `environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org", suspended: true}`,
}

// strictDecode decodes every YAML document of b into a fresh T, refusing
// unknown fields (doco-cd itself ignores them silently).
func strictDecode[T any](t *testing.T, name string, b []byte) []T {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var out []T
	for {
		var v T
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: strict decode: %v", name, err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no YAML document", name)
	}
	return out
}

// agentFile is the agent's compose file as cht-gen writes it: only these
// fields, each with its type.
type agentFile struct {
	Name     string `yaml:"name"`
	Services map[string]struct {
		Image   string `yaml:"image"`
		Restart string `yaml:"restart"`
		EnvFile []struct {
			Path     string `yaml:"path"`
			Required bool   `yaml:"required"`
		} `yaml:"env_file"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Secrets     []string          `yaml:"secrets"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

// agentEnv are the variables doco-cd v0.110.1 reads (app.Config env tags)
// that cht-gen sets: a misspelt one would be ignored by the agent.
var agentEnv = []string{"POLL_CONFIG", "DEPLOY_CONFIG_BASE_DIR", "GIT_ACCESS_TOKEN_FILE", "PASS_ENV",
	"DATA_MOUNT_PATH", "DATA_HOST_PATH", "DOCKER_SWARM_FEATURES", "LOG_LEVEL"}

// agentPinned are Medic's variables of host folders the agent's
// environment pins for the deploy (TestDocoCD_AgentPinsHostFolders).
var agentPinned = regexp.MustCompile(`^(COUCHDB_DATA|DB[0-9]+_DATA|SSL_CERT_DIR)$`)

// inRepo reports whether p is a clean relative path inside the repository.
func inRepo(p string) bool { return p != "" && path.Clean(p) == p && filepath.IsLocal(p) }

func TestDocoCD_RenderedFilesDecodeStrictly(t *testing.T) {
	for name, src := range dococdCases {
		t.Run(name, func(t *testing.T) {
			e := loadEnv(t, docoGitops+src)
			set, err := compose.Render(e, "a.cue")
			if err != nil {
				t.Fatal(err)
			}
			if err := compose.Check(context.Background(), e, set); err != nil {
				t.Fatal(err)
			}
			dir := compose.Dir(e)
			repoDir := "hosting/deploy/" + dir
			if _, ok := set[dir+"/"+compose.UpgradeFile]; ok {
				t.Errorf("the upgrade service is rendered under doco-cd: it would rewrite the files the agent owns")
			}
			cfgName := dir + "/" + compose.DocoCDConfig
			cfgBytes, hasCfg := set[cfgName]
			if e.Suspended == hasCfg {
				t.Fatalf("suspended %v, %s rendered %v: a suspended VM has no deploy file", e.Suspended, cfgName, hasCfg)
			}
			// doco-cd's reconciliation keeps its last deploy in memory until
			// the agent restarts: a suspended VM's README says to restart it.
			if readme := string(set[dir+"/README.md"]); e.Suspended && !strings.Contains(readme, "restart doco-cd") {
				t.Errorf("suspended, README does not say to restart the agent:\n%s", readme)
			}
			if hasCfg {
				docs := strictDecode[compose.DocoCDDeploy](t, cfgName, cfgBytes)
				if len(docs) != 1 {
					t.Fatalf("%s: %d deployments, want 1", cfgName, len(docs))
				}
				d := docs[0]
				if d.Name != e.Project {
					t.Errorf("name %q, want the VM's project %q (adoption must not start a second set)", d.Name, e.Project)
				}
				if d.WorkingDir != repoDir || !inRepo(d.WorkingDir) {
					t.Errorf("working_dir %q, want %q inside the repository", d.WorkingDir, repoDir)
				}
				want := []string{compose.CoreFile, compose.SingleFile}
				if e.CouchDB.Clustered() {
					want[1] = compose.ClusteredFile
				}
				if !slices.Equal(d.ComposeFiles, want) {
					t.Errorf("compose_files %v, want %v", d.ComposeFiles, want)
				}
				for _, f := range d.ComposeFiles {
					if !inRepo(f) || set[path.Join(dir, f)] == nil {
						t.Errorf("compose file %q is not a rendered file of %s", f, dir)
					}
				}
				if len(d.EnvFiles) != 0 {
					t.Errorf("env_files %v: the secrets come from the VM's .env through the agent, never from the repository", d.EnvFiles)
				}
				if !d.RemoveOrphans || d.ForceRecreate || d.Timeout < 180 {
					t.Errorf("remove_orphans %v, force_recreate %v, timeout %d", d.RemoveOrphans, d.ForceRecreate, d.Timeout)
				}
				// DocoCDDeploy has no destroy field: the strict decode above
				// fails on one. Say so where a reader looks for it.
				for _, l := range strings.Split(string(cfgBytes), "\n") {
					if !strings.HasPrefix(l, "#") && (strings.Contains(l, "destroy") || strings.Contains(l, "remove_volumes")) {
						t.Errorf("%s: %q", cfgName, l)
					}
				}
			}

			agentName := dir + "/" + compose.DocoCDAgentFile
			a := strictDecode[agentFile](t, agentName, set[agentName])[0]
			if a.Name != e.Project+"-doco-cd" || len(a.Services) != 1 {
				t.Fatalf("agent project %q with %d services", a.Name, len(a.Services))
			}
			s, ok := a.Services["doco-cd"]
			if !ok {
				t.Fatal("no doco-cd service")
			}
			image := regexp.MustCompile(`^ghcr\.io/kimdre/doco-cd:` + regexp.QuoteMeta(e.DocoCD.Version) + `(@sha256:[0-9a-f]{64})?$`)
			if !image.MatchString(s.Image) {
				t.Errorf("image %q is not pinned to %s", s.Image, e.DocoCD.Version)
			}
			if e.DocoCD.ImageDigest != "" && !strings.HasSuffix(s.Image, "@"+e.DocoCD.ImageDigest) {
				t.Errorf("image %q lacks the digest %s", s.Image, e.DocoCD.ImageDigest)
			}
			for k := range s.Environment {
				if !slices.Contains(agentEnv, k) && !agentPinned.MatchString(k) {
					t.Errorf("environment %s is not a doco-cd setting cht-gen means to set", k)
				}
			}
			if s.Environment["DEPLOY_CONFIG_BASE_DIR"] != repoDir {
				t.Errorf("DEPLOY_CONFIG_BASE_DIR %q, want %q: the agent must read only this VM's folder", s.Environment["DEPLOY_CONFIG_BASE_DIR"], repoDir)
			}
			if s.Environment["PASS_ENV"] != "true" || s.Environment["DOCKER_SWARM_FEATURES"] != "false" {
				t.Errorf("PASS_ENV %q, DOCKER_SWARM_FEATURES %q", s.Environment["PASS_ENV"], s.Environment["DOCKER_SWARM_FEATURES"])
			}
			if s.Environment["DATA_MOUNT_PATH"] == "" || s.Environment["DATA_MOUNT_PATH"] != s.Environment["DATA_HOST_PATH"] {
				t.Errorf("DATA_MOUNT_PATH %q, DATA_HOST_PATH %q: the clone must be at one host path", s.Environment["DATA_MOUNT_PATH"], s.Environment["DATA_HOST_PATH"])
			}
			polls := strictDecode[[]compose.DocoCDPoll](t, "POLL_CONFIG", []byte(s.Environment["POLL_CONFIG"]))[0]
			if len(polls) != 1 || polls[0].URL != e.RepoURL || polls[0].Reference != "release" || polls[0].Interval != e.DocoCD.Interval {
				t.Errorf("POLL_CONFIG %+v, want %s on release every %d s", polls, e.RepoURL, e.DocoCD.Interval)
			}
			if s.Environment["GIT_ACCESS_TOKEN_FILE"] != "/run/secrets/"+compose.DocoCDTokenSecret || !slices.Equal(s.Secrets, []string{compose.DocoCDTokenSecret}) {
				t.Errorf("token: GIT_ACCESS_TOKEN_FILE %q, secrets %v", s.Environment["GIT_ACCESS_TOKEN_FILE"], s.Secrets)
			}
			if f := a.Secrets[compose.DocoCDTokenSecret].File; !strings.HasPrefix(f, e.ComposePath+"/") {
				t.Errorf("token file %q is not on the VM below %s", f, e.ComposePath)
			}
			if len(s.EnvFile) != 1 || s.EnvFile[0].Path != e.ComposePath+"/.env" || !s.EnvFile[0].Required {
				t.Errorf("env_file %+v, want the VM's %s/.env, required", s.EnvFile, e.ComposePath)
			}
			if !slices.Contains(s.Volumes, "/var/run/docker.sock:/var/run/docker.sock") {
				t.Errorf("volumes %v lack the Docker socket", s.Volumes)
			}
			ignore := string(set[dir+"/"+compose.GitIgnore])
			if !strings.Contains(ignore, ".doco-cd-agent/") {
				t.Errorf(".gitignore does not keep the agent's clone and token out of Git:\n%s", ignore)
			}
			for p, b := range set.Under(dir) {
				for _, secret := range compose.DummySecrets() {
					if bytes.Contains(b, []byte(secret)) {
						t.Errorf("%s holds a secret", p)
					}
				}
			}
			readme := string(set[dir+"/"+compose.Readme])
			for _, want := range []string{"docker compose -f " + e.ComposePath + "/" + compose.DocoCDAgentFile + " up -d", "git-token", "logs doco-cd", "Upgrade"} {
				if !strings.Contains(readme, want) {
					t.Errorf("README lacks %q", want)
				}
			}
		})
	}
}

// The manual flow stays without gitops doco-cd: no agent files, the
// upgrade service on as before.
func TestDocoCD_OffByDefault(t *testing.T) {
	e := loadEnv(t, `environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org"}`)
	set, err := compose.Render(e, "a.cue")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{compose.DocoCDConfig, compose.DocoCDAgentFile} {
		if _, ok := set[compose.Dir(e)+"/"+f]; ok {
			t.Errorf("%s rendered without gitops doco-cd", f)
		}
	}
	if _, ok := set[compose.Dir(e)+"/"+compose.UpgradeFile]; !ok {
		t.Errorf("the manual flow lost its upgrade service")
	}
}

// An environment's own gitops overrides the fleet's.
func TestDocoCD_PerEnvironmentChoice(t *testing.T) {
	e := loadEnv(t, `environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org", gitops: "doco-cd", repoURL: "https://git.example.org/moh/hosting"}`)
	if !e.UsesDocoCD() || e.DocoCD == nil || e.DocoCD.Version != "0.110.1" || e.DocoCD.Interval != 180 || e.PathPrefix != "deploy" || e.Branch != "main" {
		t.Fatalf("gitops %q dococd %+v pathPrefix %q branch %q", e.GitOps, e.DocoCD, e.PathPrefix, e.Branch)
	}
	if e.UpgradeService.Enabled {
		t.Errorf("upgrade service on under doco-cd")
	}
	off := loadEnv(t, docoGitops+`environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org", gitops: "none"}`)
	if off.UsesDocoCD() {
		t.Errorf("gitops none still uses doco-cd")
	}
}

// Turning the upgrade service on under doco-cd is refused with the
// reason; a repository URL with credentials too, without quoting them.
func TestDocoCD_ValidateRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ src, path string }{
		"upgrade service": {`environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org", upgradeService: enabled: true}`, "environments.vm.upgradeService.enabled"},
		"token in URL":    {`environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org", repoURL: "https://x:s3cr3tPW@github.com/a/b"}`, "environments.vm.repoURL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte("package environments\n" + docoGitops + tc.src)}}, "envs")
			var errs load.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want load.Errors", err)
			}
			if len(errs) != 1 || errs[0].Path != tc.path {
				t.Fatalf("errors %v, want one on %s", errs, tc.path)
			}
			if strings.Contains(errs[0].Message, "s3cr3tPW") {
				t.Errorf("message quotes the token: %s", errs[0].Message)
			}
		})
	}
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte("package environments\n" + docoGitops + dococdCases["single-4x"])}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Path != "environments.vm.dococd.imageDigest" {
		t.Errorf("warnings %v, want one on the digest pinned by tag only", res.Warnings)
	}
}

// The agent passes its environment to the deploy (PASS_ENV), and its
// environment comes from the VM's .env, where a host may have written
// COUCHDB_DATA=./couch: docker compose in the folder reads it relative to
// the folder, doco-cd relative to its clone, where CouchDB would start on
// an empty folder the agent deletes on a re-clone. The agent's own
// environment (which wins over env_file) pins the schema's host folders.
func TestDocoCD_AgentPinsHostFolders(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string
		want map[string]string
	}{
		"single, default folder": {`environments: vm: {target: "compose", version: "5.3.1", host: "vm.example.org"}`,
			map[string]string{"COUCHDB_DATA": "/srv/cht/vm/srv"}},
		"cluster, data paths, own certificate": {`environments: vm: {target: "compose", version: "5.3.1", host: "vm.example.org", composePath: "/opt/cht",
	couchdb: {nodes: 2, dataPaths: ["/data/n1", "/data/n2"]}, nginx: tls: {mode: "OWN_CERT", certDir: "/etc-cht/certs"}}`,
			map[string]string{"DB1_DATA": "/data/n1", "DB2_DATA": "/data/n2", "SSL_CERT_DIR": "/etc-cht/certs"}},
	} {
		t.Run(name, func(t *testing.T) {
			e := loadEnv(t, docoGitops+tc.src)
			set, err := compose.Render(e, "a.cue")
			if err != nil {
				t.Fatal(err)
			}
			p, err := compose.LoadDocoCDAgent(context.Background(), set, compose.Dir(e), e.ComposePath)
			if err != nil {
				t.Fatal(err)
			}
			env := p.Services["doco-cd"].Environment
			for k, want := range tc.want {
				if got := env[k]; got == nil || *got != want {
					t.Errorf("agent environment %s = %v, want %q (the VM's .env must not move CouchDB's data under doco-cd)", k, got, want)
				}
			}
		})
	}
}
