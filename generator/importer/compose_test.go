package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
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
		{name: "5.2.0 single node", version: "5.2.0", couch: "cht-couchdb.yml", env: settings + "COUCHDB_DATA=/srv/cht/district/srv\n"},
		{name: "5.2.0 three nodes", version: "5.2.0", couch: "cht-couchdb-clustered.yml", intended: composecompare.Cluster5x,
			env: settings + "DB1_DATA=/srv/cht/district/srv1\nDB2_DATA=/srv/cht/district/srv2\nDB3_DATA=/srv/cht/district/srv3\n"},
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
			set, err := renderedFiles(generator.Render(context.Background(), res.Environments, generator.Options{}))
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
	dir := vm(t, "4.22.0", "cht-couchdb.yml", "CHT_COMPOSE_PATH=/srv/cht/x\nCOUCHDB_DATA=/srv/cht/x/srv\nCOMMON_NAME=\"evil\\\"}\\nenvironments: y: {}\"\nCOUCHDB_PASSWORD=S3NTINEL\n")
	env, _, err := importer.FromCompose(dir, importer.ComposeOptions{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	envs := t.TempDir()
	_, err = importer.Write(envs, "x.cue", &importer.EnvFile{Envs: []*importer.Env{env}}, false)
	if err == nil || !strings.Contains(err.Error(), "upgrade-service/.env:3: host: not a host name") {
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
		if err == nil || !strings.Contains(err.Error(), "upgrade-service/.env:2: ") || !strings.Contains(err.Error(), "not a line docker compose can read") {
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
	dir := vm(t, "5.2.0", "cht-couchdb.yml", "CHT_COMPOSE_PATH=/srv/cht/x\nCOUCHDB_DATA=/srv/cht/x/srv\n")
	core := filepath.Join(dir, "compose", "cht-core.yml")
	b, _ := os.ReadFile(core)
	onTheVM := filepath.Join(t.TempDir(), "only-on-the-vm", "extra.yml")
	os.WriteFile(core, append([]byte("include:\n  - "+onTheVM+"\n"), b...), 0o644)
	if _, _, err := importer.FromCompose(dir, importer.ComposeOptions{Name: "x"}); err != nil {
		t.Errorf("import followed the include: %v", err)
	}
}

// A VM whose .env leaves CHT_COMPOSE_PROJECT_NAME unset runs Medic's
// default project, cht: the import keeps it, whatever the environment is
// called, so the rendered files reach the VM's volumes (cht_cht-ssl holds
// its certificate, cht_cht-credentials CouchDB's) and containers instead
// of starting a second CHT beside the first.
func TestImportCompose_ProjectDefaultsToMedics(t *testing.T) {
	for _, tc := range []struct{ dotenv, name, want string }{
		{"CHT_COMPOSE_PATH=/srv/cht/district\nCOUCHDB_DATA=/data\n", "district", "cht"},
		{"CHT_COMPOSE_PATH=/srv/cht/district\nCOUCHDB_DATA=/data\n", "cht", "cht"},
		{"CHT_COMPOSE_PATH=/srv/cht/district\nCOUCHDB_DATA=/data\nCHT_COMPOSE_PROJECT_NAME=moh\n", "district", "moh"},
	} {
		dir := vm(t, "4.22.0", "cht-couchdb.yml", tc.dotenv)
		env, _, err := importer.FromCompose(dir, importer.ComposeOptions{Name: tc.name})
		if err != nil {
			t.Fatal(err)
		}
		envs := t.TempDir()
		if _, err := importer.Write(envs, "a.cue", &importer.EnvFile{Envs: []*importer.Env{env}}, false); err != nil {
			t.Fatal(err)
		}
		res, err := load.Load(os.DirFS(envs), "environments")
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Environments[0].Project; got != tc.want {
			t.Errorf("%q named %s: project %q, want %q", tc.dotenv, tc.name, got, tc.want)
		}
	}
}

// Medic's Compose files default COUCHDB_LOG_LEVEL to error before 4.3.0: a
// 4.0.0 VM whose .env says info keeps info, one that leaves it unset keeps
// Medic's error, once imported and rendered.
func TestImportCompose_LogLevelOfOldVMs(t *testing.T) {
	tmpl := hc.Reference(t, "cht-core", "4.0.0", "scripts", "build")
	for _, tc := range []struct{ dotenv, want string }{
		{"COUCHDB_LOG_LEVEL=info\n", "info"},
		{"", "error"},
		{"COUCHDB_LOG_LEVEL=notice\n", "notice"},
	} {
		dir := filepath.Join(t.TempDir(), "cht")
		os.MkdirAll(filepath.Join(dir, "compose"), 0o755)
		fill := strings.NewReplacer("{{{ repo }}}", "public.ecr.aws/s5s3h4s7", "{{ tag }}", "4.0.0-4.0.0", "{{ db_name }}", "medic", "{{ couchdb_servers }}", "couchdb")
		for from, to := range map[string]string{"cht-core.yml.template": "cht-core.yml", "cht-couchdb-single-node.yml.template": "cht-couchdb.yml"} {
			b, err := os.ReadFile(filepath.Join(tmpl, from))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "compose", to), []byte(fill.Replace(string(b))), 0o644)
		}
		os.WriteFile(filepath.Join(dir, "compose", ".env"), []byte("CHT_COMPOSE_PATH=/srv/cht/cht\n"+tc.dotenv), 0o600)
		env, _, err := importer.FromCompose(dir, importer.ComposeOptions{Name: "cht"})
		if err != nil {
			t.Fatal(err)
		}
		envs := t.TempDir()
		if _, err := importer.Write(envs, "a.cue", &importer.EnvFile{Envs: []*importer.Env{env}}, false); err != nil {
			t.Fatal(err)
		}
		res, err := load.Load(os.DirFS(envs), "environments")
		if err != nil {
			t.Fatal(err)
		}
		e := &res.Environments[0]
		if e.Version != "4.0.0" {
			t.Fatalf("imported version %s", e.Version)
		}
		set, err := compose.Render(e, "a.cue")
		if err != nil {
			t.Fatal(err)
		}
		if want := "COUCHDB_LOG_LEVEL=${COUCHDB_LOG_LEVEL:-" + tc.want + "}"; !strings.Contains(string(set[compose.Dir(e)+"/"+compose.SingleFile]), want) {
			t.Errorf(".env %q: rendered CouchDB file does not say %s", tc.dotenv, want)
		}
	}
}

// tinyVM is a small Compose folder in the layout of Medic's install guide,
// written here (not Medic's files): the services and variables import
// reads, with Medic's defaults.
func tinyVM(t *testing.T, couchYAML, dotenv string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vm")
	os.MkdirAll(filepath.Join(dir, "compose"), 0o755)
	os.MkdirAll(filepath.Join(dir, "upgrade-service"), 0o755)
	core := `services:
  api:
    image: public.ecr.aws/medic/cht-api:4.0.0-4.0.0
  nginx:
    image: public.ecr.aws/medic/cht-nginx:4.0.0-4.0.0
    ports:
      - "${NGINX_HTTP_PORT:-80}:80"
      - "${NGINX_HTTPS_PORT:-443}:443"
    environment:
      - "COMMON_NAME=${COMMON_NAME:-test-nginx.dev.medicmobile.org}"
`
	if couchYAML == "" {
		couchYAML = `services:
  couchdb:
    image: public.ecr.aws/medic/cht-couchdb:4.0.0-4.0.0
    volumes:
      - ${COUCHDB_DATA:-./srv}:/opt/couchdb/data
    environment:
      - "COUCHDB_LOG_LEVEL=${COUCHDB_LOG_LEVEL:-error}"
`
	}
	os.WriteFile(filepath.Join(dir, "compose", "cht-core.yml"), []byte(core), 0o644)
	os.WriteFile(filepath.Join(dir, "compose", "cht-couchdb.yml"), []byte(couchYAML), 0o644)
	os.WriteFile(filepath.Join(dir, "upgrade-service", ".env"), []byte(dotenv), 0o600)
	return dir
}

func TestImportCompose_Folders(t *testing.T) {
	const secret = "S3NTINEL-in-the-env"
	for _, tc := range []struct {
		name, couch, dotenv string
		rename              [2]string // compose/ file renamed from, to
		extra               string    // a compose file of the host's beside Medic's
		core                string    // cht-core.yml instead of tinyVM's
		upgrade             string    // upgrade-service/docker-compose.yml
		sub                 string    // import this subfolder of the VM's folder
		relative            bool      // the folder given as a relative path
		noEnv               bool      // the folder copied without its .env
		opts                importer.ComposeOptions
		want                string // in the error; "" for success
		check               func(t *testing.T, src string, notes []importer.Note)
	}{{
		// A host edited the compose file's default: CouchDB ran with it.
		name: "CouchDB's log level as it ran: a compose file default that is not the version's",
		couch: `services:
  couchdb:
    image: public.ecr.aws/medic/cht-couchdb:4.0.0-4.0.0
    volumes:
      - ${COUCHDB_DATA:-./srv}:/opt/couchdb/data
    environment:
      - "COUCHDB_LOG_LEVEL=${COUCHDB_LOG_LEVEL:-notice}"
`,
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\n",
		check: func(t *testing.T, src string, notes []importer.Note) {
			if !strings.Contains(src, `logLevel: "notice"`) {
				t.Errorf("the level CouchDB ran with was not imported:\n%s", src)
			}
		},
	}, {
		name:   "a .env line compose cannot read: its line, never its value",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\nCOUCHDB_PASSWORD=\"" + secret + "\nCOMMON_NAME=a.example.org\n",
		want:   "upgrade-service/.env:2: COUCHDB_PASSWORD: not a line docker compose can read",
	}, {
		name: "CouchDB's data in a named volume: refused, not a host folder",
		couch: `services:
  couchdb:
    image: public.ecr.aws/medic/cht-couchdb:4.0.0-4.0.0
    volumes: ["couch-data:/opt/couchdb/data"]
volumes: {couch-data: {}}
`,
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\nCOMMON_NAME=a.example.org\n",
		want:   `couchdb.volumes: CouchDB's data is in the volume "couch-data", not a host folder`,
	}, {
		name:   "an api image of another name: refused, not rendered as <it>/cht-api",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\n",
		core:   "services:\n  api: {image: registry.example.org/moh/custom-api:4.0.0}\n  nginx: {image: public.ecr.aws/medic/cht-nginx:4.0.0}\n",
		want:   "registry.example.org/moh/custom-api is not Medic's cht-api image",
	}, {
		// Renaming the project would start a second set of containers.
		name:    "no CHT_COMPOSE_PROJECT_NAME: the upgrade service's default project (cht) kept",
		dotenv:  "CHT_COMPOSE_PATH=/srv/cht\nCOMMON_NAME=a.example.org\nCOUCHDB_DATA=/srv/cht/srv\n",
		upgrade: "services:\n  cht-upgrade-service:\n    image: public.ecr.aws/s5s3h4s7/cht-upgrade-service:latest\n    environment:\n      - CHT_COMPOSE_PROJECT_NAME=${CHT_COMPOSE_PROJECT_NAME:-cht}\n",
		check: func(t *testing.T, src string, notes []importer.Note) {
			if !regexp.MustCompile(`project: +"cht"`).MatchString(src) {
				t.Errorf("project not kept as cht:\n%s", src)
			}
		},
	}, {
		name:    "a variable Medic's upgrade service does not pass on: imported, and said",
		dotenv:  "CHT_COMPOSE_PATH=/srv/cht\nCHT_COMPOSE_PROJECT_NAME=cht\nCOMMON_NAME=a.example.org\nLOG_MAX_SIZE=10m\nNGINX_HTTPS_PORT=8443\nCOUCHDB_DATA=/srv/cht/srv\n",
		upgrade: "services:\n  cht-upgrade-service:\n    image: x\n    environment:\n      - NGINX_HTTPS_PORT\n      - CHT_COMPOSE_PROJECT_NAME=${CHT_COMPOSE_PROJECT_NAME:-cht}\n",
		core:    "services:\n  api: {image: public.ecr.aws/medic/cht-api:4.0.0-4.0.0}\n  nginx:\n    image: public.ecr.aws/medic/cht-nginx:4.0.0-4.0.0\n    ports: [\"${NGINX_HTTPS_PORT:-443}:443\", \"8080:8080\"]\n  haproxy:\n    image: public.ecr.aws/medic/cht-haproxy:4.0.0-4.0.0\n    logging: {driver: local, options: {max-size: \"${LOG_MAX_SIZE:-50m}\"}}\n",
		check: func(t *testing.T, src string, notes []importer.Note) {
			if n := noteFor(notes, "LOG_MAX_SIZE"); !strings.Contains(n, "upgrade-service/.env:4: LOG_MAX_SIZE: Medic's upgrade service does not pass it on") {
				t.Errorf("not reported: %q", n)
			}
			if n := noteFor(notes, "nginx.ports"); !strings.Contains(n, `port 8080 (published as "8080") is not one of Medic's`) {
				t.Errorf("an extra nginx port not reported: %q", n)
			}
			if n := noteFor(notes, "NGINX_HTTPS_PORT"); n != "" {
				t.Errorf("a variable the upgrade service passes reported: %q", n)
			}
			if !regexp.MustCompile(`maxSize: +"10m"`).MatchString(src) || !regexp.MustCompile(`httpsPort: +8443`).MatchString(src) {
				t.Errorf("settings not imported:\n%s", src)
			}
		},
	}, {
		name:   "no CHT_COMPOSE_PROJECT_NAME, no upgrade service: docker compose's default, the folder's name",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\nCOMMON_NAME=a.example.org\n",
		check: func(t *testing.T, src string, notes []importer.Note) {
			if !regexp.MustCompile(`project: +"compose"`).MatchString(src) {
				t.Errorf("project not kept as the folder's name:\n%s", src)
			}
		},
	}, {
		name:   "the compose folder given, its settings beside it in ../upgrade-service: refused, naming the folder to give",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\nCOUCHDB_DATA=/data/couch\n",
		sub:    "compose",
		want:   "vm/compose: folder: is the compose folder of a VM whose settings are in",
	}, {
		name:   "renamed compose files: named in the error",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\n",
		rename: [2]string{"cht-core.yml", "core.yml"},
		want:   "compose/core.yml: Medic's upgrade service only updates files named cht-core.yml",
	}, {
		name:     "a relative folder without CHT_COMPOSE_PATH: refused, never the copy's path",
		dotenv:   "COMMON_NAME=a.example.org\nCOUCHDB_PASSWORD=" + secret + "\n",
		relative: true,
		want:     "vm/upgrade-service/.env: CHT_COMPOSE_PATH: missing: the compose folder's path on the VM cannot be known",
	}, {
		name:     "no CHT_COMPOSE_PATH, --compose-path given: the VM's path; Medic's ./srv is no custom data path",
		dotenv:   "COMMON_NAME=a.example.org\nCOUCHDB_PASSWORD=" + secret + "\n",
		relative: true,
		opts:     importer.ComposeOptions{ComposePath: "/home/ubuntu/cht/compose"},
		check: func(t *testing.T, src string, notes []importer.Note) {
			if strings.Contains(src, "dataPaths") || !regexp.MustCompile(`composePath: +"/home/ubuntu/cht/compose"`).MatchString(src) {
				t.Errorf("composePath not the VM's, or the default ./srv imported as a data path:\n%s", src)
			}
		},
	}, {
		name:   "--compose-path that contradicts CHT_COMPOSE_PATH: refused",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\n",
		opts:   importer.ComposeOptions{ComposePath: "/home/ubuntu/cht/compose"},
		want:   "CHT_COMPOSE_PATH: is /srv/cht, --compose-path says /home/ubuntu/cht/compose",
	}, {
		name:  "the folder without its .env: refused, naming what is missing",
		noEnv: true,
		want:  ".env: missing: no .env in",
	}, {
		// Medic's upgrade service runs docker compose in its container:
		// ./srv is /docker-compose/srv there, not <CHT_COMPOSE_PATH>/srv.
		name:    "no COUCHDB_DATA under Medic's upgrade service: the data folder cannot be known, refused",
		dotenv:  "CHT_COMPOSE_PATH=/srv/cht\nCOMMON_NAME=a.example.org\n",
		upgrade: "services:\n  cht-upgrade-service:\n    image: public.ecr.aws/s5s3h4s7/cht-upgrade-service:latest\n",
		want:    "upgrade-service/.env: COUCHDB_DATA: missing: couchdb's data folder is the files' relative \"./srv\"",
	}, {
		name:   "--host for a VM on Medic's default name; existing set",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\n",
		opts:   importer.ComposeOptions{Host: "district-a.example.org"},
		check: func(t *testing.T, src string, notes []importer.Note) {
			if !regexp.MustCompile(`host: +"district-a.example.org"`).MatchString(src) || !regexp.MustCompile(`existing: +true`).MatchString(src) {
				t.Errorf("--host not imported, or existing not set:\n%s", src)
			}
		},
	}, {
		// Medic's guide docker cp's an own certificate into the cht-ssl
		// volume: the render keeps that volume (certVolume), never a
		// folder docker compose would recreate the volume for.
		name:   "OWN_CERT in Medic's cht-ssl volume: kept (certVolume)",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\nCOMMON_NAME=a.example.org\nCERTIFICATE_MODE=OWN_CERT\n",
		core:   "services:\n  api: {image: public.ecr.aws/medic/cht-api:4.0.0-4.0.0}\n  nginx:\n    image: public.ecr.aws/medic/cht-nginx:4.0.0-4.0.0\n    volumes: [\"cht-ssl:/etc/nginx/private/\"]\n    environment: [\"CERTIFICATE_MODE=${CERTIFICATE_MODE:-SELF_SIGNED}\"]\nvolumes: {cht-ssl: {}}\n",
		check: func(t *testing.T, src string, notes []importer.Note) {
			if !regexp.MustCompile(`certVolume: +true`).MatchString(src) || strings.Contains(src, "certDir") {
				t.Errorf("the cht-ssl volume not kept:\n%s", src)
			}
		},
	}, {
		// 4.0.0's files default to error, which is also what cht-gen
		// renders for 4.0.0 when logLevel is unset: nothing to write.
		name:   "CouchDB's log level as it ran: the compose file's default (4.0.0: error, the version's own)",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\nHEALTHCHECK_LOG_LEVEL=DEBUG\n",
		check: func(t *testing.T, src string, notes []importer.Note) {
			if strings.Contains(src, "healthcheck") || !strings.Contains(noteFor(notes, "HEALTHCHECK_LOG_LEVEL"), "had no effect") {
				t.Errorf("HEALTHCHECK_LOG_LEVEL, which these files do not pass on, imported or not reported:\n%s", src)
			}
			if strings.Contains(src, "logLevel") {
				t.Errorf("the version's default log level written out:\n%s", src)
			}
			if n := noteFor(notes, "COMMON_NAME"); !strings.HasPrefix(n, "vm: COMMON_NAME:") && !strings.Contains(n, "/vm: COMMON_NAME:") {
				t.Errorf("COMMON_NAME note without a place: %q", n)
			}
		},
	}, {
		name:   "nginx published on one address: said",
		dotenv: "CHT_COMPOSE_PATH=/srv/cht\nNGINX_HTTPS_PORT=127.0.0.1:8443\nCOMMON_NAME=a.example.org\n",
		extra:  "backup.yml",
		check: func(t *testing.T, src string, notes []importer.Note) {
			if n := noteFor(notes, "compose file"); !strings.Contains(n, "backup.yml: compose file: not read") {
				t.Errorf("a compose file beside Medic's not reported: %q", n)
			}
			if n := noteFor(notes, "nginx.ports"); !strings.Contains(n, "published on 127.0.0.1 only") {
				t.Errorf("host address not reported: %q", n)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tinyVM(t, tc.couch, tc.dotenv)
			if tc.rename[0] != "" {
				os.Rename(filepath.Join(dir, "compose", tc.rename[0]), filepath.Join(dir, "compose", tc.rename[1]))
			}
			if tc.upgrade != "" {
				os.WriteFile(filepath.Join(dir, "upgrade-service", "docker-compose.yml"), []byte(tc.upgrade), 0o644)
			}
			if tc.core != "" {
				os.WriteFile(filepath.Join(dir, "compose", "cht-core.yml"), []byte(tc.core), 0o644)
			}
			if tc.extra != "" {
				os.WriteFile(filepath.Join(dir, "compose", tc.extra), []byte("services: {backup: {image: alpine}}\n"), 0o644)
			}
			if tc.noEnv {
				os.Remove(filepath.Join(dir, "upgrade-service", ".env"))
			}
			if tc.sub != "" {
				dir = filepath.Join(dir, tc.sub)
			}
			if tc.relative {
				t.Chdir(filepath.Dir(dir))
				dir = filepath.Base(dir)
			}
			opts := tc.opts
			opts.Name = "x"
			env, notes, err := importer.FromCompose(dir, opts)
			for _, n := range notes {
				if strings.Contains(n.String(), secret) {
					t.Errorf("a secret in a note: %s", n)
				}
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("a secret in the error: %v", err)
			}
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			envs := t.TempDir()
			os.WriteFile(filepath.Join(envs, "gitops.cue"), []byte(gitops), 0o644)
			if _, err := importer.Write(envs, "x.cue", &importer.EnvFile{Envs: []*importer.Env{env}}, false); err != nil {
				t.Fatalf("write: %v", err)
			}
			src, _ := os.ReadFile(filepath.Join(envs, "x.cue"))
			if strings.Contains(string(src), secret) {
				t.Fatal("a secret in the environment file")
			}
			tc.check(t, string(src), notes)
		})
	}
}

// renderedFiles is the files of a render, for tests that look at them only.
func renderedFiles(r *generator.Result, err error) (files.Set, error) {
	if err != nil {
		return nil, err
	}
	return r.Files, nil
}
