package compose_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/compose"
)

// interpolated matches the names docker compose reads from the shell and
// the .env: ${NAME...} and $NAME ($$ is a literal dollar).
var interpolated = regexp.MustCompile(`(?:^|[^$])\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

func readVariables(b []byte) map[string]bool {
	out := map[string]bool{}
	for _, m := range interpolated.FindAllSubmatch(b, -1) {
		out[string(m[1])] = true
	}
	return out
}

// Every variable the rendered Compose files read is one Medic's files (or
// Medic's certbot guide) already read. docker compose takes a variable
// from the shell before the .env: a name cht-gen made up could be one the
// VM's shell sets for something else (SSL_CERT_DIR is OpenSSL's, often
// /etc/ssl/certs, and was bound as nginx's private folder).
func TestCompose_ReadsOnlyMedicsVariables(t *testing.T) {
	dir := referenceDir(t)
	medics := map[string]bool{
		// cht-docs docker-adding-tls-certificates.md, the certbot project.
		"DOMAIN": true, "STAGING": true, "CHT_SSL_VOLUME": true,
	}
	var found []string
	for _, pat := range []string{"*/scripts/build/*.template", "*/rendered-docker-compose/*.yml", "../cht-upgrade-service/docker-compose.yml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		found = append(found, m...)
	}
	if len(found) < 4 {
		t.Fatalf("Medic's compose files not found under %s", dir)
	}
	for _, f := range found {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for k := range readVariables(b) {
			medics[k] = true
		}
	}
	for _, src := range []string{
		`environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", couchdb: {nodes: 3, ulimit: 65536}, nginx: tls: {mode: "OWN_CERT", certDir: "/srv/certs"}}`,
		`environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org", couchdb: ulimit: 65536, nginx: tls: {mode: "AUTO_GENERATE", acmeEmail: "ops@example.org"}}`,
		`environments: vm: {target: "compose", version: "4.0.0", host: "vm.example.org", nginx: tls: {mode: "OWN_CERT", certVolume: true}}`,
	} {
		e := loadEnv(t, src)
		set, err := compose.Render(e, "a.cue")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for n := range set {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if !strings.HasSuffix(n, ".yml") {
				continue
			}
			for k := range readVariables(set[n]) {
				if !medics[k] {
					t.Errorf("%s (%s) reads %s, which Medic's files do not: fix the value, or name it CHT_GEN_*", n, e.Version, k)
				}
			}
		}
	}
}
