package compose_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
)

// An in-app "Upgrade" (the admin app, with the upgrade service enabled, the
// Compose default) makes Medic's upgrade service overwrite cht-core.yml and
// the CouchDB file with Medic's files of the target version and run docker
// compose inside its container with its own environment. Medic's files
// default COUCHDB_DATA / DBn_DATA to ./srv, which resolves inside that
// container (/docker-compose/srv): CouchDB and nouveau would start on a new,
// empty folder. cht-gen's .env holds only the secrets (every setting is a
// default in its files), so the upgrade service must carry those defaults
// itself: after the rewrite, Medic's 5.x files keep the data, node names,
// ports and certificate subject of the environment.
func TestCompose_InAppUpgradeTo5xKeepsData(t *testing.T) {
	dir := referenceDir(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, src, medicCouch string
		data                  map[string]string // CouchDB service -> host folder
		nouveau               string
	}{
		{
			name:       "single node",
			src:        `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", couchdb: dataPaths: ["/mnt/disk/couch"], nginx: {httpPort: 8080, httpsPort: 8443}, logging: maxFiles: 7}`,
			medicCouch: compose.SingleFile,
			data:       map[string]string{"couchdb": "/mnt/disk/couch"},
			nouveau:    "/mnt/disk/couch/nouveau",
		},
		{
			name:       "default folder",
			src:        `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org"}`,
			medicCouch: compose.SingleFile,
			data:       map[string]string{"couchdb": "/srv/cht/vm/srv"},
			nouveau:    "/srv/cht/vm/srv/nouveau",
		},
		{
			name:       "3 nodes",
			src:        `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", couchdb: {nodes: 3, dataPaths: ["/d/1", "/d/2", "/d/3"]}}`,
			medicCouch: compose.ClusteredFile,
			data:       map[string]string{"couchdb-1.local": "/d/1", "couchdb-2.local": "/d/2", "couchdb-3.local": "/d/3"},
			nouveau:    "/d/1/nouveau",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := loadEnv(t, tc.src)
			set, err := compose.Render(e, "a.cue")
			if err != nil {
				t.Fatal(err)
			}
			// The upgrade service as the operator starts it: .env holds the secrets only.
			up, err := compose.LoadProject(ctx, set, compose.Dir(e)+"/upgrade-service", e.ComposePath+"/upgrade-service", e.Project, []string{"docker-compose.yml"}, compose.DummySecrets())
			if err != nil {
				t.Fatal(err)
			}
			inside := map[string]string{}
			for k, v := range up.Services["cht-upgrade-service"].Environment {
				if v != nil {
					inside[k] = *v
				}
			}
			// Medic's 5.2.0 files, written by the upgrade service into
			// /docker-compose and started there with its environment.
			medic := files.Set{}
			for _, n := range []string{compose.CoreFile, tc.medicCouch} {
				b, err := os.ReadFile(filepath.Join(dir, "5.2.0", "rendered-docker-compose", n))
				if err != nil {
					t.Fatal(err)
				}
				medic["m/"+n] = b
			}
			p, err := compose.LoadProject(ctx, medic, "m", "/docker-compose", inside["CHT_COMPOSE_PROJECT_NAME"], []string{compose.CoreFile, tc.medicCouch}, inside)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != e.Project {
				t.Errorf("project %q, want %q", p.Name, e.Project)
			}
			for svc, want := range tc.data {
				if got := bindSource(p, svc, "/opt/couchdb/data"); got != want {
					t.Errorf("%s data in %q after the in-app upgrade, want %q (where it was)", svc, got, want)
				}
			}
			if got := bindSource(p, "nouveau", "/data/nouveau"); got != tc.nouveau {
				t.Errorf("nouveau indexes in %q, want %q", got, tc.nouveau)
			}
			ours, err := compose.LoadProject(ctx, set, compose.Dir(e), e.ComposePath, e.Project, []string{compose.CoreFile, tc.medicCouch}, compose.DummySecrets())
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"COUCHDB_SERVERS", "COMMON_NAME", "COUCHDB_USER"} {
				if got, want := envOf(p, "haproxy", k)+envOf(p, "nginx", k), envOf(ours, "haproxy", k)+envOf(ours, "nginx", k); got != want {
					t.Errorf("%s %q after the in-app upgrade, want %q", k, got, want)
				}
			}
			if got, want := fmt.Sprint(p.Services["nginx"].Ports), fmt.Sprint(ours.Services["nginx"].Ports); got != want {
				t.Errorf("nginx ports %s after the in-app upgrade, want %s", got, want)
			}
			if got, want := p.Services["api"].Logging.Options["max-file"], ours.Services["api"].Logging.Options["max-file"]; got != want {
				t.Errorf("log max-file %q after the in-app upgrade, want %q", got, want)
			}
		})
	}
}

func bindSource(p *types.Project, service, target string) string {
	for _, v := range p.Services[service].Volumes {
		if v.Target == target {
			return v.Source
		}
	}
	return ""
}

func envOf(p *types.Project, service, name string) string {
	if v := p.Services[service].Environment[name]; v != nil {
		return *v
	}
	return ""
}

// After the 4.x -> 5.x bump a single node has no healthcheck service; the
// command the README gives for following Git must stop the 4.x container,
// which a plain `up -d` leaves running (compose only warns of orphans).
func TestCompose_ReadmeFollowCommandRemovesOrphans(t *testing.T) {
	e := loadEnv(t, `environments: vm: {target: "compose", version: "5.2.0", host: "vm.example.org"}`)
	set, err := compose.Render(e, "a.cue")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(set[compose.Dir(e)+"/"+compose.Readme])
	if want := "cd /srv/cht/vm && docker compose -p vm -f cht-core.yml -f cht-couchdb.yml up -d --remove-orphans\n"; !strings.Contains(readme, want) {
		t.Errorf("README lacks %q:\n%s", want, readme)
	}
}
