package main

import (
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/handover"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/internal/dockertest"
)

// TestComposeHandover_OnADockerEngine moves a VM laid out by Medic's
// install guide, with data, to cht-gen's rendered folder on a real Docker
// engine (stub images under Medic's names): import compose, render, the
// handover script, then docker compose up -d on the rendered folder.
// Asserted: one set of containers in the same project, the marker file
// written through CouchDB intact in the same folder, the cht-ssl volume
// (with the certificate docker cp'd into it, as Medic's guide does) kept,
// the .env unchanged, Medic's upgrade service stopped as the environment
// says; the handover run again changes nothing.
//
// make e2e-compose runs it (CHT_E2E=1); the engine is shared, so names are
// prefixed hvm: project hvmcht, network hvm-cht-net, nginx on 18080/18443.
func TestComposeHandover_OnADockerEngine(t *testing.T) {
	if os.Getenv("CHT_E2E") == "" {
		t.Skip("SKIPPED: make e2e-compose runs it (CHT_E2E=1) on a Docker engine (../shared/tools/start-docker.sh)")
	}
	eng := dockertest.RequireEngine(t)
	const version, project, upgradeProject = "4.22.0", "hvmcht", "hvm-upgrade-service"
	ref := filepath.Join("..", "..", "..", "shared", "reference", "cht")
	medicFiles := filepath.Join(ref, "cht-core", version, "rendered-docker-compose")
	if _, err := os.Stat(medicFiles); err != nil {
		t.Skipf("SKIPPED: Medic's files are not at %s", medicFiles)
	}
	var images []string
	for _, n := range []string{"haproxy", "haproxy-healthcheck", "api", "sentinel", "nginx", "couchdb"} {
		images = append(images, "public.ecr.aws/medic/cht-"+n+":"+version)
	}
	eng.StubImages(t, append(images, "public.ecr.aws/s5s3h4s7/cht-upgrade-service:latest")...)

	// The VM, as docker-installation.md lays it out.
	root := t.TempDir()
	vm := filepath.Join(root, "home", "ubuntu", "cht")
	for _, d := range []string{"compose", "certs", "upgrade-service", "couchdb"} {
		mustDo(t, os.MkdirAll(filepath.Join(vm, d), 0o755))
	}
	copyFile(t, filepath.Join(medicFiles, "cht-core.yml"), filepath.Join(vm, "compose", "cht-core.yml"))
	copyFile(t, filepath.Join(medicFiles, "cht-couchdb.yml"), filepath.Join(vm, "compose", "cht-couchdb.yml"))
	copyFile(t, filepath.Join(ref, "cht-upgrade-service", "docker-compose.yml"), filepath.Join(vm, "upgrade-service", "docker-compose.yml"))
	envFile := filepath.Join(vm, "upgrade-service", ".env")
	mustDo(t, os.WriteFile(envFile, []byte("CHT_COMPOSE_PROJECT_NAME="+project+"\n"+
		"COUCHDB_SECRET=sentinel-secret-words\nDOCKER_CONFIG_PATH="+vm+"/upgrade-service\n"+
		"COUCHDB_DATA="+vm+"/couchdb\nCHT_COMPOSE_PATH="+vm+"/compose\nCOUCHDB_USER=medic\n"+
		"COUCHDB_PASSWORD=sentinel-password-words\nCOUCHDB_UUID=0b9a6d1e-1111-2222-3333-444455556666\n"+
		"CHT_NETWORK=hvm-cht-net\nNGINX_HTTP_PORT=18080\nNGINX_HTTPS_PORT=18443\nCOMMON_NAME=district.example.org\nCERTIFICATE_MODE=OWN_CERT\n"), 0o600))
	envBefore := sha(t, envFile)
	t.Cleanup(func() {
		eng.ComposeDown(t, project, true)
		eng.ComposeDown(t, upgradeProject, false)
	})

	// Started Medic's way: the upgrade service, and CHT as it starts it
	// (its project, the .env's variables, Medic's files).
	composeUp := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("docker", append([]string{"compose"}, args...)...)
		cmd.Dir, cmd.Env = dir, eng.Env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker compose %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	composeUp(filepath.Join(vm, "upgrade-service"), "--project-name", upgradeProject, "up", "-d")
	composeUp(filepath.Join(vm, "compose"), "--project-name", project, "--env-file", envFile, "-f", "cht-core.yml", "-f", "cht-couchdb.yml", "up", "-d")
	couch := project + "-couchdb-1"
	eng.Docker(t, "exec", couch, "sh", "-c", "echo years-of-records > /opt/couchdb/data/marker")
	cert := filepath.Join(root, "cert.pem")
	mustDo(t, os.WriteFile(cert, []byte("own certificate\n"), 0o644))
	eng.Docker(t, "cp", cert, project+"-nginx-1:/etc/nginx/private/cert.pem") // docker-adding-tls-certificates.md
	before := eng.Containers(t, project)

	// On the laptop: import the VM's folder, render into a checkout.
	checkout := filepath.Join(root, "hosting")
	envs := filepath.Join(checkout, "environments")
	mustDo(t, os.MkdirAll(envs, 0o755))
	if code, out, errs := runCLI(t, "import", "compose", "--name", "district", "--environments", envs, vm); code != 0 {
		t.Fatalf("import compose: exit %d\n%s%s", code, out, errs)
	}
	// This host follows Git only: the environment leaves Medic's upgrade
	// service out, so the rendered folder has none and the handover stops it.
	f, err := os.OpenFile(filepath.Join(envs, "district.cue"), os.O_APPEND|os.O_WRONLY, 0)
	mustDo(t, err)
	_, err = f.WriteString("\nenvironments: district: upgradeService: enabled: false\n")
	mustDo(t, err)
	mustDo(t, f.Close())
	if code, _, errs := runCLI(t, "render", "--environments", envs, "--out", filepath.Join(checkout, "deploy")); code != 0 {
		t.Fatalf("render: %s", errs)
	}
	res, err := load.Load(os.DirFS(envs), envs)
	if err != nil {
		t.Fatal(err)
	}
	e := &res.Environments[0]
	if e.Project != project || e.ComposePath != vm+"/compose" || !e.Nginx.TLS.CertVolume || !e.Existing {
		t.Fatalf("imported project %q composePath %q certVolume %v existing %v", e.Project, e.ComposePath, e.Nginx.TLS.CertVolume, e.Existing)
	}
	if e.UpgradeService.Enabled {
		t.Fatal("upgradeService.enabled: false not loaded")
	}
	if _, err := os.Stat(filepath.Join(checkout, "deploy", "compose", "district", "upgrade-service")); err == nil {
		t.Error("the rendered folder has an upgrade service though the environment leaves it out")
	}
	plan, err := handover.Compose(e, handover.ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "handover.sh")
	mustDo(t, os.WriteFile(script, plan.Script(), 0o755))
	// What runs differs from the environment: the script stops before
	// any change, naming the difference.
	for _, tc := range []struct {
		name   string
		change func(*model.Environment)
		want   string
	}{
		{"another data folder", func(e *model.Environment) { e.CouchDB.DataPaths = []string{vm + "/srv"} }, "sets COUCHDB_DATA=" + vm + "/couchdb, the environment says " + vm + "/srv"},
		{"the certificate as a folder", func(e *model.Environment) { e.Nginx.TLS.CertVolume, e.Nginx.TLS.CertDir = false, vm+"/certs" }, "set nginx.tls.certVolume: true"},
		{"another project", func(e *model.Environment) { e.Project = "hvm-other" }, "no containers of compose project hvm-other"},
	} {
		bad := *e
		tc.change(&bad)
		p, err := handover.Compose(&bad, handover.ComposeOptions{})
		mustDo(t, err)
		cmd := exec.Command("sh", "-c", string(p.Script()))
		cmd.Dir, cmd.Env = checkout, eng.Env
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("%s: %v\n%s\nwant a failure naming %q", tc.name, err, out, tc.want)
		}
		if now := eng.Containers(t, project); strings.Join(now, "\n") != strings.Join(before, "\n") {
			t.Errorf("%s: a failed check changed the containers", tc.name)
		}
		if st := eng.Docker(t, "ps", "-q", "--filter", "label=com.docker.compose.project="+upgradeProject); st == "" {
			t.Errorf("%s: a failed check stopped the upgrade service", tc.name)
		}
	}
	handoverRun := func() string {
		t.Helper()
		cmd := exec.Command("sh", script)
		// The host's shell sets OpenSSL's SSL_CERT_DIR: it must not reach
		// nginx's private folder.
		cmd.Dir, cmd.Env = checkout, append(slices.Clone(eng.Env), "SSL_CERT_DIR=/etc/ssl/certs")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("handover: %v\n%s", err, out)
		}
		return string(out)
	}
	t.Logf("handover:\n%s", handoverRun())
	composeUp(filepath.Join(checkout, "deploy", "compose", "district"), "--project-name", project, "--env-file", envFile, "-f", "cht-core.yml", "-f", "cht-couchdb.yml", "up", "-d", "--remove-orphans")
	t.Logf("handover again:\n%s", handoverRun())

	after := eng.Containers(t, project)
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("containers of project %s:\n%s\nbefore:\n%s", project, strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	// docker compose recreates a container whose configuration differs
	// from the files' (its config-hash label); the rendered files must
	// compute the hash each container runs with.
	hashes := map[string]string{}
	cmd := exec.Command("docker", "compose", "--project-name", project, "--env-file", envFile, "-f", "cht-core.yml", "-f", "cht-couchdb.yml", "config", "--hash", "*")
	cmd.Dir, cmd.Env = filepath.Join(checkout, "deploy", "compose", "district"), eng.Env
	out, err := cmd.Output()
	mustDo(t, err)
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		svc, h, _ := strings.Cut(l, " ")
		hashes[svc] = h
	}
	for _, c := range after {
		svc, name, _ := strings.Cut(c, " ")
		running := eng.Docker(t, "inspect", "-f", `{{index .Config.Labels "com.docker.compose.config-hash"}}`, name)
		if running != hashes[svc] || running == "" {
			t.Errorf("%s runs with config hash %s, the rendered files give %q", svc, running, hashes[svc])
		}
	}
	if got := eng.Mount(t, couch, "/opt/couchdb/data"); got != vm+"/couchdb" {
		t.Errorf("CouchDB's data mounted from %q, want %s/couchdb", got, vm)
	}
	if got := eng.Docker(t, "exec", couch, "cat", "/opt/couchdb/data/marker"); got != "years-of-records" {
		t.Errorf("marker through CouchDB: %q", got)
	}
	if b, err := os.ReadFile(filepath.Join(vm, "couchdb", "marker")); err != nil || string(b) != "years-of-records\n" {
		t.Errorf("marker in the VM's folder: %q %v", b, err)
	}
	if got := eng.MountedVolume(t, project+"-nginx-1", "/etc/nginx/private"); got != project+"_cht-ssl" {
		t.Errorf("nginx's private folder is %q, want the VM's volume %s_cht-ssl", got, project)
	}
	if got := eng.Docker(t, "exec", project+"-nginx-1", "cat", "/etc/nginx/private/cert.pem"); got != "own certificate" {
		t.Errorf("the certificate in cht-ssl: %q", got)
	}
	if got := eng.MountedVolume(t, couch, "/opt/couchdb/etc/local.d"); got != project+"_cht-credentials" {
		t.Errorf("CouchDB's credentials volume %q", got)
	}
	if sha(t, envFile) != envBefore {
		t.Error("the VM's .env changed")
	}
	for _, c := range eng.Containers(t, upgradeProject) {
		_, name, _ := strings.Cut(c, " ")
		state := eng.Docker(t, "inspect", "-f", "{{.State.Status}} {{.HostConfig.RestartPolicy.Name}}", name)
		if state != "exited no" {
			t.Errorf("Medic's upgrade service %s: %s, want stopped and not restarting", name, state)
		}
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	mustDo(t, err)
	mustDo(t, os.WriteFile(to, b, 0o644))
}

func sha(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	mustDo(t, err)
	return sha256.Sum256(b)
}
