package compose_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/internal/reference"
)

// A `$` in a user's value reaches the container as a `$`: compose never
// substitutes the operator's .env into it.
func TestRender_DollarInValueStaysLiteral(t *testing.T) {
	const market = "https://m.example.org/a$COUCHDB_PASSWORD/b$$c"
	e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", builds: marketURL: "`+market+`"}`)
	set, err := compose.Render(e, "a.cue")
	if err != nil {
		t.Fatal(err)
	}
	env := compose.DummySecrets()
	p, err := compose.LoadProject(context.Background(), set, compose.Dir(e), e.ComposePath, "vm", []string{compose.CoreFile, compose.SingleFile}, env)
	if err != nil {
		t.Fatal(err)
	}
	got := *p.Services["api"].Environment["BUILDS_URL"]
	if want := market + "/_couch/builds_4"; got != want {
		t.Errorf("BUILDS_URL = %q, want the literal %q", got, want)
	}
	if strings.Contains(got, env["COUCHDB_PASSWORD"]) {
		t.Errorf("BUILDS_URL carries the CouchDB password: %q", got)
	}
}

// medicCertbot is the certbot compose file of Medic's TLS guide, loaded
// with the guide's .env.
func medicCertbot(t *testing.T) files.Set {
	t.Helper()
	doc := reference.Path(t, "cht", "cht-docs", "docker-adding-tls-certificates.md")
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)cat > docker-compose.yml << EOF\n(.*?)\n\s*EOF`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("%s: no certbot compose file", doc)
	}
	yml := strings.ReplaceAll(m[1], `\$`, `$`)
	var lines []string
	for _, l := range strings.Split(yml, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "   "))
	}
	return files.Set{"docker-compose.yml": []byte(strings.Join(lines, "\n"))}
}

// certbot renders Medic's documented file: an argument list, the domain
// from DOMAIN, no e-mail unless acmeEmail is set.
func TestRender_CertbotAsMedicDocumentsIt(t *testing.T) {
	ctx := context.Background()
	e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", nginx: tls: mode: "AUTO_GENERATE"}`)
	set, err := compose.Render(e, "a.cue")
	if err != nil {
		t.Fatal(err)
	}
	body := string(set["compose/vm/"+compose.CertbotFile])
	for _, bad := range []string{"/bin/sh", "entrypoint", "--email", "domains@medic.org"} {
		if strings.Contains(body, bad) {
			t.Errorf("certbot file contains %q:\n%s", bad, body)
		}
	}
	ours, err := compose.LoadProject(ctx, files.Set{"docker-compose.yml": set["compose/vm/"+compose.CertbotFile]}, ".", "/srv/cht/vm/certbot", "vm-certbot", []string{"docker-compose.yml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	medic, err := compose.LoadProject(ctx, medicCertbot(t), ".", "/srv/cht/vm/certbot", "vm-certbot", []string{"docker-compose.yml"},
		map[string]string{"DOMAIN": "vm.example.org", "STAGING": "", "CHT_SSL_VOLUME": "vm_cht-ssl"})
	if err != nil {
		t.Fatal(err)
	}
	o, m := ours.Services["certbot"], medic.Services["certbot"]
	if !slices.Equal(o.Command, m.Command) {
		t.Errorf("command\n got %q\nwant %q", o.Command, m.Command)
	}
	if o.Image != m.Image || o.ContainerName != m.ContainerName || o.Hostname != m.Hostname || len(o.Entrypoint) != 0 {
		t.Errorf("service %+v, want Medic's %+v", o, m)
	}
	if len(o.Volumes) != len(m.Volumes) {
		t.Fatalf("volumes %v, want %v", o.Volumes, m.Volumes)
	}
	for i := range o.Volumes {
		if o.Volumes[i].Source != m.Volumes[i].Source || o.Volumes[i].Target != m.Volumes[i].Target {
			t.Errorf("volume %d: %+v, want %+v", i, o.Volumes[i], m.Volumes[i])
		}
	}
	if ov, mv := ours.Volumes["ssl-storage"], medic.Volumes["ssl-storage"]; ov.Name != mv.Name || !bool(ov.External) || !bool(mv.External) {
		t.Errorf("ssl-storage %+v, want %+v", ov, mv)
	}

	// DOMAIN overrides the host, as in Medic's .env; an e-mail is one argument.
	e = loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", nginx: tls: {mode: "AUTO_GENERATE", acmeEmail: "ops+cht@example.org"}}`)
	set, _ = compose.Render(e, "a.cue")
	ours, err = compose.LoadProject(ctx, files.Set{"docker-compose.yml": set["compose/vm/"+compose.CertbotFile]}, ".", "/srv/cht/vm/certbot", "vm-certbot", []string{"docker-compose.yml"},
		map[string]string{"DOMAIN": "other.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := ours.Services["certbot"].Command
	i := slices.Index(cmd, "--email")
	if i < 0 || i+1 >= len(cmd) || cmd[i+1] != "ops+cht@example.org" || slices.Contains(cmd, "--register-unsafely-without-email") {
		t.Errorf("command %q: want --email ops+cht@example.org instead of --register-unsafely-without-email", cmd)
	}
	if d := slices.Index(cmd, "--domain"); d < 0 || cmd[d+1] != "other.example.org" {
		t.Errorf("command %q: want --domain from DOMAIN", cmd)
	}
}

// An imported, running VM (existing: true) keeps its .env: the README and
// .env.example say so instead of `cht-gen secrets`.
func TestRender_ExistingKeepsTheEnvFile(t *testing.T) {
	e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", existing: true}`)
	set, err := compose.Render(e, "a.cue")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"README.md", ".env.example"} {
		body := string(set[compose.Dir(e)+"/"+f])
		if body == "" {
			t.Fatalf("no %s in %v", f, set.Paths())
		}
		if strings.Contains(body, "cht-gen secrets vm --out") || !strings.Contains(body, "existing: true") {
			t.Errorf("%s does not say to keep the VM's .env:\n%s", f, body)
		}
	}
}
