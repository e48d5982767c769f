package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/importer"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/internal/composecompare"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
)

// vm lays Medic's published files out as the install guide does.
func vm(t *testing.T, version, couch string, dotenv string) string {
	t.Helper()
	ref := hc.Reference(t, "cht-core", version, "rendered-docker-compose")
	up := hc.Reference(t, "cht-upgrade-service", "docker-compose.yml")
	dir := filepath.Join(t.TempDir(), "cht")
	os.MkdirAll(filepath.Join(dir, "compose"), 0o755)
	os.MkdirAll(filepath.Join(dir, "upgrade-service"), 0o755)
	for _, n := range []string{"cht-core.yml", couch} {
		b, err := os.ReadFile(filepath.Join(ref, n))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "compose", n), b, 0o644)
	}
	b, _ := os.ReadFile(up)
	os.WriteFile(filepath.Join(dir, "upgrade-service", "docker-compose.yml"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "upgrade-service", ".env"), []byte(dotenv), 0o600)
	return dir
}

// TestImportCompose_RoundTrip imports Medic's published Compose files as a
// VM runs them (with an .env setting what hosts set), renders, and loads
// both with compose-go as `docker compose config` would: Medic's with the
// VM's .env, cht-gen's with only the credentials. They must be equal up
// to the reviewed differences: import baked every setting into the files.
func TestImportCompose_RoundTrip(t *testing.T) {
	const secrets = "COUCHDB_PASSWORD=S3NTINEL\nCOUCHDB_SECRET=S3NTINEL2\nCOUCHDB_UUID=S3NTINEL3\n"
	settings := "CHT_COMPOSE_PROJECT_NAME=district\nCHT_COMPOSE_PATH=/srv/cht/district\nDOCKER_CONFIG_PATH=/srv/cht/upgrade-service\n" +
		"COUCHDB_USER=medic\nCOMMON_NAME=district.example.org\nCERTIFICATE_MODE=AUTO_GENERATE\nEMAIL=ops@district.example.org\n" +
		"NGINX_HTTP_PORT=8080\nNGINX_HTTPS_PORT=8443\nLOG_MAX_SIZE=10m\nLOG_MAX_FILES=5\nCHT_NETWORK=district-net\nCOUCHDB_LOG_LEVEL=notice\n"
	for _, tc := range []struct {
		name, version, couch, env string
		intended                  composecompare.Intended
	}{
		{name: "4.22.0 single node, custom data folder", version: "4.22.0", couch: "cht-couchdb.yml",
			env: settings + "COUCHDB_DATA=/data/couchdb\n"},
		{name: "4.22.0 three nodes", version: "4.22.0", couch: "cht-couchdb-clustered.yml",
			env: settings + "COUCHDB_SERVERS=couchdb-1.local,couchdb-2.local,couchdb-3.local\nDB1_DATA=/data/1\nDB2_DATA=/data/2\nDB3_DATA=/data/3\n"},
		{name: "5.2.0 single node", version: "5.2.0", couch: "cht-couchdb.yml", env: settings},
		{name: "5.2.0 three nodes", version: "5.2.0", couch: "cht-couchdb-clustered.yml", env: settings, intended: composecompare.Cluster5x},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := vm(t, tc.version, tc.couch, secrets+tc.env)
			env, notes, err := importer.FromCompose(dir, importer.ComposeOptions{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			for _, n := range notes {
				t.Logf("note: %s", n)
			}
			envs := filepath.Join(t.TempDir(), "environments")
			os.MkdirAll(envs, 0o755)
			if _, err := importer.Write(envs, env.Name+".cue", &importer.EnvFile{Envs: []*importer.Env{env}}, false); err != nil {
				t.Fatalf("write: %v", err)
			}
			src, _ := os.ReadFile(filepath.Join(envs, env.Name+".cue"))
			if strings.Contains(string(src), "S3NTINEL") {
				t.Fatal("a credential reached the environment file")
			}
			res, err := load.Load(os.DirFS(envs), "environments")
			if err != nil {
				t.Fatalf("validate: %v", err)
			}
			set, err := generator.Render(context.Background(), res.Environments, generator.Options{})
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			e := &res.Environments[0]
			ctx := context.Background()
			medicSet := files.Set{}
			for _, n := range []string{"cht-core.yml", tc.couch} {
				b, _ := os.ReadFile(filepath.Join(dir, "compose", n))
				medicSet["medic/"+n] = b
			}
			vmEnv := map[string]string{}
			for _, l := range strings.Split(secrets+tc.env, "\n") {
				if k, v, ok := strings.Cut(l, "="); ok {
					vmEnv[k] = v
				}
			}
			want, err := compose.LoadProject(ctx, medicSet, "medic", e.ComposePath, "district", []string{"cht-core.yml", tc.couch}, vmEnv)
			if err != nil {
				t.Fatal(err)
			}
			got, err := compose.LoadProject(ctx, set, compose.Dir(e), e.ComposePath, e.Project, []string{"cht-core.yml", tc.couch}, compose.DummySecrets())
			if err != nil {
				t.Fatal(err)
			}
			if tc.version >= "5" && got.Services["nouveau"].Image == "" {
				t.Fatal("the project of a 5.x environment has no nouveau service")
			}
			composecompare.Compare(t, want, got, tc.intended, func(k string) bool {
				// credentials: the VM's .env on one side, dummies on the other
				return strings.Contains(k, ".env.COUCHDB_PASSWORD") || strings.Contains(k, ".env.COUCHDB_SECRET") || strings.Contains(k, ".env.COUCHDB_UUID") || strings.Contains(k, ".env.COUCH_URL")
			})
		})
	}
}

func TestImportCompose_Refusals(t *testing.T) {
	if _, _, err := importer.FromCompose(t.TempDir(), importer.ComposeOptions{}); err == nil || !strings.Contains(err.Error(), "cht-core.yml: not found") {
		t.Errorf("empty folder: %v", err)
	}
	dir := vm(t, "4.22.0", "cht-couchdb.yml", "CHT_COMPOSE_PATH=/srv/cht/x\nCOMMON_NAME=\"evil\\\"}\\nenvironments: y: {}\"\nCOUCHDB_PASSWORD=S3NTINEL\n")
	env, _, err := importer.FromCompose(dir, importer.ComposeOptions{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	envs := t.TempDir()
	_, err = importer.Write(envs, "x.cue", &importer.EnvFile{Envs: []*importer.Env{env}}, false)
	if err == nil || !strings.Contains(err.Error(), "upgrade-service/.env:2: host: not a host name") {
		t.Errorf("hostile COMMON_NAME: %v", err)
	}
	if entries, _ := os.ReadDir(envs); len(entries) != 0 {
		t.Errorf("a refused import wrote %v", entries)
	}
}

// A .env line the parser refuses is named, never quoted: what breaks it
// (a quote left open, a ${) is typically in a password.
func TestImportCompose_UnparsableEnvNeverEchoed(t *testing.T) {
	for _, line := range []string{`COUCHDB_PASSWORD="S3NTINEL`, `COUCHDB_PASSWORD='S3NTINEL`, `COUCHDB_PASSWORD=S3NTINEL${`} {
		dir := vm(t, "4.22.0", "cht-couchdb.yml", "CHT_COMPOSE_PATH=/srv/cht/x\n"+line+"\n")
		_, _, err := importer.FromCompose(dir, importer.ComposeOptions{Name: "x"})
		if err == nil || !strings.Contains(err.Error(), "upgrade-service/.env:2: .env: does not parse") {
			t.Errorf("%s: %v, want the file and line named", line, err)
		}
		if err != nil && strings.Contains(err.Error(), "S3NTINEL") {
			t.Errorf("%s: the error quotes the credential: %v", line, err)
		}
	}
}

// The folder's files name paths on the VM: an `include` in them is not
// followed into the importing machine's files (it would fail here, the
// path being the VM's).
func TestImportCompose_ReadsOnlyTheFolder(t *testing.T) {
	dir := vm(t, "5.2.0", "cht-couchdb.yml", "")
	core := filepath.Join(dir, "compose", "cht-core.yml")
	b, _ := os.ReadFile(core)
	onTheVM := filepath.Join(t.TempDir(), "only-on-the-vm", "extra.yml")
	os.WriteFile(core, append([]byte("include:\n  - "+onTheVM+"\n"), b...), 0o644)
	if _, _, err := importer.FromCompose(dir, importer.ComposeOptions{Name: "x"}); err != nil {
		t.Errorf("import followed the include: %v", err)
	}
}
