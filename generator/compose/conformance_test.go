package compose_test

import (
	"context"
	"fmt"
	"github.com/Masterminds/semver/v3"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/generator/secrets"
	"github.com/cht-gen/cht-gen/internal/composecompare"
	"github.com/cht-gen/cht-gen/internal/reference"
)

// referenceDir is Medic's cht-core files (internal/reference: make
// reference, or CHT_REFERENCE_DIR).
func referenceDir(t *testing.T) string {
	t.Helper()
	return reference.Path(t, "cht", "cht-core")
}

func loadEnv(t *testing.T, src string) *model.Environment {
	t.Helper()
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte("package environments\n" + src)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	return &res.Environments[0]
}

// medic reads Medic's compose files of a version: the files as Medic
// publishes them (rendered-docker-compose/, for 4.22.0 and 5.x), or else a
// release template filled as scripts/build/index.js does.
func medic(t *testing.T, version string, clustered bool) files.Set {
	dir := referenceDir(t)
	set := files.Set{}
	if _, err := os.Stat(filepath.Join(dir, version, "rendered-docker-compose")); err == nil {
		for _, n := range []string{"cht-core.yml", "cht-couchdb.yml", "cht-couchdb-clustered.yml"} {
			b, err := os.ReadFile(filepath.Join(dir, version, "rendered-docker-compose", n))
			if err != nil {
				t.Fatal(err)
			}
			set["medic/"+n] = b
		}
		return set
	}
	// ECR_PUBLIC_REPO of the release's build workflow; before 4.2.0 the
	// images were tagged <version>-<version>.
	repo, tag := "public.ecr.aws/medic", version
	if semver.MustParse(version).LessThan(semver.MustParse("4.2.0")) {
		repo, tag = "public.ecr.aws/s5s3h4s7", version+"-"+version
	}
	// What Medic's build fills {{ couchdb_servers }} with: the template's
	// own clustered service names.
	nodeNames := "couchdb-1.local,couchdb-2.local,couchdb-3.local"
	if tmpl, err := os.ReadFile(filepath.Join(dir, version, "scripts", "build", "cht-couchdb-cluster.yml.template")); err == nil && strings.Contains(string(tmpl), "\n  couchdb.1:") {
		nodeNames = "couchdb.1,couchdb.2,couchdb.3"
	}
	for tmpl, out := range map[string]string{
		"cht-core.yml.template":                "cht-core.yml",
		"cht-couchdb-single-node.yml.template": "cht-couchdb.yml",
		"cht-couchdb-cluster.yml.template":     "cht-couchdb-clustered.yml",
	} {
		b, err := os.ReadFile(filepath.Join(dir, version, "scripts", "build", tmpl))
		if err != nil {
			t.Fatal(err)
		}
		servers := "couchdb"
		if clustered {
			servers = nodeNames
		}
		s := strings.NewReplacer("{{{ repo }}}", repo, "{{ tag }}", tag, "{{ db_name }}", "medic", "{{ couchdb_servers }}", servers).Replace(string(b))
		set["medic/"+out] = []byte(s)
	}
	return set
}

// composeVersions are the CHT versions whose Compose files the reference
// holds (published files or release templates), oldest first: every one is
// compared, so a version added to the reference (and its manifest) is
// checked too.
func composeVersions(t *testing.T) []string {
	dir := referenceDir(t)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []*semver.Version
	for _, en := range ents {
		v, err := semver.StrictNewVersion(en.Name())
		if err != nil {
			continue
		}
		_, tmpl := os.Stat(filepath.Join(dir, en.Name(), "scripts", "build", "cht-core.yml.template"))
		_, published := os.Stat(filepath.Join(dir, en.Name(), "rendered-docker-compose", "cht-core.yml"))
		if tmpl == nil || published == nil {
			out = append(out, v)
		}
	}
	sort.Sort(semver.Collection(out))
	var names []string
	for _, v := range out {
		names = append(names, v.Original())
	}
	if len(names) == 0 {
		t.Fatalf("no Compose files of any version under %s", dir)
	}
	return names
}

// intendedCompose are the reviewed differences of an environment left at
// the schema's defaults against Medic's files of version.
func intendedCompose(e *model.Environment, published bool) composecompare.Intended {
	intended := composecompare.Intended{}
	if e.CouchDB.Clustered() && published {
		// Medic's published cht-core.yml is the single-node one.
		maps.Copy(intended, composecompare.Cluster5x)
		if e.Has(model.HealthcheckInCoreFile) {
			maps.Copy(intended, composecompare.Cluster422)
		}
	}
	return intended
}

// composeSameAs are releases whose Compose files the reference does not
// hold but which are Medic's files of another release with their own image
// tag: SOURCES.md ("CHT 5.3.0") diffed the 5.2.0 templates against master at
// 4bc9cacc, which matches the 5.3.0 chart, and found them unchanged; 5.3.1
// changed no hosting file cht-gen knows of.
var composeSameAs = map[string]string{"5.3.0": "5.2.0", "5.3.1": "5.2.0"}

// medicAs is Medic's files of filesVersion with the image tags of version.
func medicAs(t *testing.T, filesVersion, version string, clustered bool) files.Set {
	set := medic(t, filesVersion, clustered)
	for n, b := range set {
		set[n] = []byte(strings.ReplaceAll(string(b), ":"+filesVersion+"\n", ":"+version+"\n"))
	}
	return set
}

func TestCompose_MatchesMedic(t *testing.T) {
	ctx := context.Background()
	env := compose.DummySecrets()
	versions := append(composeVersions(t), slices.Sorted(maps.Keys(composeSameAs))...)
	for _, version := range versions {
		filesVersion := version
		if v, ok := composeSameAs[version]; ok {
			filesVersion = v
		}
		for _, nodes := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s %d node(s)", version, nodes), func(t *testing.T) {
				ref := medicAs(t, filesVersion, version, nodes > 1)
				_, err := os.Stat(filepath.Join(referenceDir(t), filesVersion, "rendered-docker-compose"))
				published := err == nil
				// Medic's defaults, expressed through the schema: none. The
				// folder sits at composePath (/srv/cht/cht for an environment
				// called cht), so Medic's ./srv and cht-gen's absolute
				// default are the same host folder.
				e := loadEnv(t, fmt.Sprintf(`environments: cht: {target: "compose", version: %q, host: "test-nginx.dev.medicmobile.org", couchdb: nodes: %d}`, version, nodes))
				ours, err := compose.Render(e, "envs/a.cue")
				if err != nil {
					t.Fatal(err)
				}
				if err := compose.Check(ctx, e, ours); err != nil {
					t.Fatal(err)
				}
				couch := compose.SingleFile
				if nodes > 1 {
					couch = compose.ClusteredFile
				}
				want, err := compose.LoadProject(ctx, ref, "medic", "/srv/cht/cht", "cht", []string{compose.CoreFile, couch}, env)
				if err != nil {
					t.Fatalf("Medic's files: %v", err)
				}
				got, err := compose.LoadProject(ctx, ours, compose.Dir(e), "/srv/cht/cht", "cht", []string{compose.CoreFile, couch}, env)
				if err != nil {
					t.Fatal(err)
				}
				composecompare.Compare(t, want, got, intendedCompose(e, published), nil)
			})
		}
	}
}

func TestCompose_FiveNodeCluster(t *testing.T) {
	e := loadEnv(t, `environments: big: {target: "compose", version: "4.22.0", host: "big.example.org", couchdb: nodes: 5}`)
	set, err := compose.Render(e, "envs/a.cue")
	if err != nil {
		t.Fatal(err)
	}
	if err := compose.Check(context.Background(), e, set); err != nil {
		t.Fatal(err)
	}
	p, err := compose.LoadProject(context.Background(), set, compose.Dir(e), "/srv/cht/big", "big", []string{compose.CoreFile, compose.ClusteredFile}, compose.DummySecrets())
	if err != nil {
		t.Fatal(err)
	}
	all := "couchdb-1.local,couchdb-2.local,couchdb-3.local,couchdb-4.local,couchdb-5.local"
	checks := []struct{ service, key, want string }{
		{"haproxy", "COUCHDB_SERVERS", all},
		{"healthcheck", "COUCHDB_SERVERS", all},
		{"couchdb-1.local", "CLUSTER_PEER_IPS", "couchdb-2.local,couchdb-3.local,couchdb-4.local,couchdb-5.local"},
		{"couchdb-5.local", "COUCHDB_SYNC_ADMINS_NODE", "couchdb-1.local"},
		{"couchdb-5.local", "SVC_NAME", "couchdb-5.local"},
		{"couchdb-4.local", "COUCHDB_SYNC_ADMINS_NODE", "couchdb-1.local"},
	}
	for _, c := range checks {
		v := p.Services[c.service].Environment[c.key]
		if v == nil || *v != c.want {
			t.Errorf("%s %s = %v, want %s", c.service, c.key, v, c.want)
		}
	}
	if _, ok := p.Services["couchdb-5.local"].Environment["CLUSTER_PEER_IPS"]; ok {
		t.Error("only node 1 gets CLUSTER_PEER_IPS")
	}
	if vol := p.Services["couchdb-5.local"].Volumes[0]; vol.Source != "/srv/cht/big/srv5" {
		t.Errorf("node 5 data at %s", vol.Source)
	}
	up := string(set["compose/big/upgrade-service/docker-compose.yml"])
	for _, v := range []string{"SVC5_NAME=${SVC5_NAME:-couchdb-5.local}", "DB5_DATA=${DB5_DATA:-/srv/cht/big/srv5}"} {
		if !strings.Contains(up, "- "+v+"\n") {
			t.Errorf("upgrade service does not pass %s", v)
		}
	}
}

// A 5.x cluster larger than Medic's three nodes: one nouveau serves all
// nodes and keeps its indexes in node 1's data folder; every node waits for
// it; the healthcheck, in the clustered file, watches every node. 5.3
// changed this on Kubernetes only: Medic's Compose cluster file still has
// one nouveau on node 1.
func TestCompose_FiveNodeCluster5x(t *testing.T) {
	for _, version := range []string{"5.2.0", "5.3.0", "5.3.1"} {
		t.Run(version, func(t *testing.T) { fiveNodeCluster5x(t, version) })
	}
}

func fiveNodeCluster5x(t *testing.T, version string) {
	e := loadEnv(t, `environments: big: {target: "compose", version: "`+version+`", host: "big.example.org", couchdb: {nodes: 5, dataPaths: ["/d/1", "/d/2", "/d/3", "/d/4", "/d/5"]}}`)
	set, err := compose.Render(e, "envs/a.cue")
	if err != nil {
		t.Fatal(err)
	}
	if err := compose.Check(context.Background(), e, set); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(set["compose/big/cht-core.yml"]), "cht-haproxy-healthcheck") {
		t.Error("5.x cht-core.yml has the healthcheck service; Medic moved it to the clustered CouchDB file")
	}
	p, err := compose.LoadProject(context.Background(), set, compose.Dir(e), "/srv/cht/big", "big", []string{compose.CoreFile, compose.ClusteredFile}, compose.DummySecrets())
	if err != nil {
		t.Fatal(err)
	}
	nv := p.Services["nouveau"]
	for name := range p.Services {
		if name != "nouveau" && strings.Contains(p.Services[name].Image, "nouveau") {
			t.Errorf("%s runs nouveau; Medic's Compose cluster has one, on node 1", name)
		}
	}
	if nv.Image != "public.ecr.aws/medic/cht-couchdb-nouveau:"+version || len(nv.Volumes) != 1 || nv.Volumes[0].Source != "/d/1/nouveau" || nv.Volumes[0].Target != "/data/nouveau" {
		t.Errorf("nouveau = %s %+v", nv.Image, nv.Volumes)
	}
	for _, n := range e.CouchDBServices() {
		if _, ok := p.Services[n].DependsOn["nouveau"]; !ok {
			t.Errorf("%s does not depend on nouveau", n)
		}
	}
	if v := p.Services["healthcheck"].Environment["COUCHDB_SERVERS"]; v == nil || *v != strings.Join(e.CouchDBServices(), ",") {
		t.Errorf("healthcheck COUCHDB_SERVERS = %v", v)
	}
	readme := string(set["compose/big/README.md"])
	for _, want := range []string{"`/d/1/nouveau`", "`/d/5`: couchdb-5.local data (`DB5_DATA`)", "Leave disk room for the nouveau indexes", "preparing-for-5"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README does not say %q", want)
		}
	}
}

// A 4.x VM's README points at Medic's 4.x -> 5.x checklist and at the
// bump that prints it offline; 4.0-4.4 go to 4.5 first; 5.x has none.
func TestCompose_ReadmeMoveTo5(t *testing.T) {
	for _, tc := range []struct {
		version   string
		want, not []string
	}{
		{"4.22.0", []string{"## Moving to CHT 5.x", "`cht-gen bump vm --to 5.3.1` without `--push`", "preparing-for-5"}, []string{"4.5 or later first"}},
		{"4.3.0", []string{"## Moving to CHT 5.x", "4.5 or later first"}, nil},
		{"5.2.0", nil, []string{"Moving to CHT 5.x"}},
	} {
		e := loadEnv(t, fmt.Sprintf(`environments: vm: {target: "compose", version: %q, host: "vm.example.org"}`, tc.version))
		set, err := compose.Render(e, "a.cue")
		if err != nil {
			t.Fatal(err)
		}
		readme := string(set["compose/vm/README.md"])
		for _, w := range tc.want {
			if !strings.Contains(readme, w) {
				t.Errorf("%s README lacks %q:\n%s", tc.version, w, readme)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(readme, w) {
				t.Errorf("%s README has %q", tc.version, w)
			}
		}
	}
}

// The 4.x README is unchanged: the nouveau data section is 5.x only.
func TestCompose_ReadmeNouveauOnly5x(t *testing.T) {
	for version, want := range map[string]bool{"4.22.0": false, "5.0.0": true} {
		e := loadEnv(t, fmt.Sprintf(`environments: vm: {target: "compose", version: %q, host: "vm.example.org"}`, version))
		set, err := compose.Render(e, "a.cue")
		if err != nil {
			t.Fatal(err)
		}
		readme := string(set["compose/vm/README.md"])
		if got := strings.Contains(readme, "`/srv/cht/vm/srv/nouveau`"); got != want {
			t.Errorf("%s README mentions nouveau data: %v, want %v", version, got, want)
		}
	}
}

// Traps from Medic's trackers that the published files fall into.
func TestCompose_Traps(t *testing.T) {
	ctx := context.Background()
	// Medic's CouchDB image (4.20.0+) reads DEFAULT_ULIMIT as a switch:
	// "true" keeps the container's open-files limit, anything else raises
	// it to 100000 (couchdb/docker-entrypoint.sh, cht-core #9923). So the
	// number becomes the container's nofile ulimit, and the switch is on.
	t.Run("DEFAULT_ULIMIT=true and the nofile ulimit when set", func(t *testing.T) {
		for _, version := range []string{"4.20.0", "4.22.0", "5.2.0"} {
			e := loadEnv(t, fmt.Sprintf(`environments: vm: {target: "compose", version: %q, host: "vm.example.org", couchdb: {nodes: 3, ulimit: 65536}}`, version))
			set, err := compose.Render(e, "a.cue")
			if err != nil {
				t.Fatal(err)
			}
			p, err := compose.LoadProject(ctx, set, compose.Dir(e), e.ComposePath, "vm", []string{compose.CoreFile, compose.ClusteredFile}, compose.DummySecrets())
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range e.CouchDBServices() {
				s := p.Services[n]
				if v := s.Environment["DEFAULT_ULIMIT"]; v == nil || *v != "true" {
					t.Errorf("%s %s DEFAULT_ULIMIT = %v, want true (the image compares it with true)", version, n, v)
				}
				if u := s.Ulimits["nofile"]; u == nil || u.Soft != 65536 || u.Hard != 65536 {
					t.Errorf("%s %s ulimits nofile = %+v, want 65536/65536", version, n, u)
				}
			}
			if nv, ok := p.Services["nouveau"]; ok && (nv.Ulimits != nil || nv.Environment["DEFAULT_ULIMIT"] != nil) {
				t.Errorf("%s nouveau got CouchDB's ulimit", version)
			}
			// A fixed value: ${DEFAULT_ULIMIT:-true} would let the VM's
			// shell change it, and Medic's files have no such variable.
			if !strings.Contains(string(set["compose/vm/"+compose.ClusteredFile]), "- DEFAULT_ULIMIT=true\n") ||
				strings.Contains(string(set["compose/vm/"+compose.UpgradeFile]), "DEFAULT_ULIMIT") {
				t.Errorf("%s DEFAULT_ULIMIT is not a fixed value in the CouchDB file only", version)
			}
		}
	})
	// Before 4.20.0 the image always raises the limit to 100000: a lower
	// hard ulimit would stop CouchDB from starting, so nothing is rendered
	// (validation warns, generator/model).
	t.Run("nothing rendered before 4.20.0", func(t *testing.T) {
		e := loadEnv(t, `environments: vm: {target: "compose", version: "4.19.0", host: "vm.example.org", couchdb: {ulimit: 65536}}`)
		set, err := compose.Render(e, "a.cue")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{compose.SingleFile, compose.UpgradeFile} {
			if b := string(set["compose/vm/"+f]); strings.Contains(b, "ULIMIT") || strings.Contains(b, "ulimits") {
				t.Errorf("4.19.0 %s sets a ulimit", f)
			}
		}
	})
	t.Run("DEFAULT_ULIMIT absent when unset", func(t *testing.T) {
		e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org"}`)
		set, _ := compose.Render(e, "a.cue")
		if strings.Contains(string(set["compose/vm/cht-couchdb.yml"]), "DEFAULT_ULIMIT") {
			t.Error("DEFAULT_ULIMIT rendered though unset")
		}
	})
	t.Run("OWN_CERT bind-mounts the certificate folder into cht-ssl", func(t *testing.T) {
		e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", nginx: tls: {mode: "OWN_CERT", certDir: "/srv/certs"}}`)
		set, _ := compose.Render(e, "a.cue")
		p, err := compose.LoadProject(ctx, set, compose.Dir(e), e.ComposePath, "vm", []string{compose.CoreFile, compose.SingleFile}, compose.DummySecrets())
		if err != nil {
			t.Fatal(err)
		}
		vol := p.Volumes["cht-ssl"]
		if vol.DriverOpts["device"] != "/srv/certs" || vol.DriverOpts["o"] != "bind" {
			t.Errorf("cht-ssl = %+v", vol)
		}
		if v := p.Services["nginx"].Environment["CERTIFICATE_MODE"]; *v != "OWN_CERT" {
			t.Errorf("CERTIFICATE_MODE %s", *v)
		}
		if !strings.Contains(string(set["compose/vm/README.md"]), "/srv/certs/cert.pem") {
			t.Error("README does not say where the certificate goes")
		}
	})
	// A VM set up by Medic's guide docker cp'd its certificate into the
	// plain cht-ssl volume: a volume with driver options under that name is
	// one docker compose refuses to reuse ("Recreate (data will be lost)?").
	t.Run("OWN_CERT with certVolume keeps Medic's plain cht-ssl volume", func(t *testing.T) {
		e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", nginx: tls: {mode: "OWN_CERT", certVolume: true}}`)
		set, _ := compose.Render(e, "a.cue")
		p, err := compose.LoadProject(ctx, set, compose.Dir(e), e.ComposePath, "vm", []string{compose.CoreFile, compose.SingleFile}, compose.DummySecrets())
		if err != nil {
			t.Fatal(err)
		}
		if vol, ok := p.Volumes["cht-ssl"]; !ok || vol.Driver != "" || len(vol.DriverOpts) != 0 {
			t.Errorf("cht-ssl = %+v, want Medic's plain named volume", vol)
		}
		if e.Nginx.TLS.CertDir != "" {
			t.Errorf("certDir %q set with certVolume", e.Nginx.TLS.CertDir)
		}
	})
	t.Run("AUTO_GENERATE renders the optional certbot project", func(t *testing.T) {
		e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", nginx: tls: mode: "AUTO_GENERATE"}`)
		set, _ := compose.Render(e, "a.cue")
		if _, ok := set["compose/vm/certbot/docker-compose.yml"]; !ok {
			t.Fatal("no certbot compose file")
		}
		if err := compose.Check(ctx, e, set); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("env example has no values", func(t *testing.T) {
		e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org"}`)
		set, _ := compose.Render(e, "a.cue")
		for _, line := range strings.Split(string(set["compose/vm/.env.example"]), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") && v != "" {
				t.Errorf(".env.example sets %s", line)
			}
		}
		if !strings.Contains(string(set["compose/vm/.gitignore"]), "\n.env\n") {
			t.Error(".gitignore does not keep .env out")
		}
	})
	// The rendered folder is composePath on the VM, a Git checkout: every
	// place a key, a registry login or CouchDB's data can land is ignored.
	t.Run("gitignore keeps keys and data out of Git", func(t *testing.T) {
		e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", composePath: "/srv/cht", couchdb: dataPaths: ["/srv/cht/couchdb"], nginx: tls: {mode: "OWN_CERT", certDir: "/srv/cht/tls/own"}}`)
		set, _ := compose.Render(e, "a.cue")
		ignore := string(set["compose/vm/.gitignore"])
		for _, want := range []string{"\ncerts/\n", "\n*.pem\n", "\n*.key\n", "\ndocker-config/\n", "\n/couchdb/\n", "\n/tls/own/\n", "\nsrv*/\n"} {
			if !strings.Contains(ignore, want) {
				t.Errorf(".gitignore lacks %q:\n%s", strings.Trim(want, "\n"), ignore)
			}
		}
	})
	t.Run("legacy registry and tag before 4.2.0", func(t *testing.T) {
		e := loadEnv(t, `environments: vm: {target: "compose", version: "4.1.1", host: "vm.example.org"}`)
		if got := e.Image("api"); got != "public.ecr.aws/s5s3h4s7/cht-api:4.1.1-4.1.1" {
			t.Errorf("image %s", got)
		}
		e = loadEnv(t, `environments: vm: {target: "compose", version: "4.1.1", host: "vm.example.org", registry: "mirror.example.org/medic"}`)
		if got := e.Image("api"); got != "mirror.example.org/medic/cht-api:4.1.1-4.1.1" {
			t.Errorf("mirror image %s", got)
		}
	})
	t.Run("byte-identical across runs", func(t *testing.T) {
		e := loadEnv(t, `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", couchdb: nodes: 3}`)
		a, _ := compose.Render(e, "a.cue")
		b, _ := compose.Render(e, "a.cue")
		for p := range a {
			if string(a[p]) != string(b[p]) {
				t.Errorf("%s differs between runs", p)
			}
		}
	})
}

// varRef is ${NAME}, ${NAME:-default} or ${NAME:?message} in a compose file.
var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])[^}]*)?\}`)

// variables lists the variables the files read, each with how, sorted and
// joined by "+": "default", "plain" (empty when unset), "required".
func variables(docs ...[]byte) map[string]string {
	kinds := map[string]map[string]bool{}
	for _, doc := range docs {
		for _, m := range varRef.FindAllSubmatch(doc, -1) {
			name := string(m[1])
			if kinds[name] == nil {
				kinds[name] = map[string]bool{}
			}
			kinds[name][map[string]string{"": "plain", ":-": "default", "-": "default", ":?": "required", "?": "required"}[string(m[2])]] = true
		}
	}
	out := map[string]string{}
	for name, set := range kinds {
		out[name] = strings.Join(slices.Sorted(maps.Keys(set)), "+")
	}
	return out
}

// The variables an operator's .env and the upgrade service set must mean
// the same in cht-gen's files as in Medic's: same names, read the same way.
func TestCompose_VariablesMatchMedic(t *testing.T) {
	for _, version := range composeVersions(t) {
		for _, nodes := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s %d node(s)", version, nodes), func(t *testing.T) {
				ref := medic(t, version, nodes > 1)
				e := loadEnv(t, fmt.Sprintf(`environments: cht: {target: "compose", version: %q, host: "test-nginx.dev.medicmobile.org", couchdb: nodes: %d}`, version, nodes))
				ours, err := compose.Render(e, "envs/a.cue")
				if err != nil {
					t.Fatal(err)
				}
				couch := compose.SingleFile
				if nodes > 1 {
					couch = compose.ClusteredFile
				}
				want := variables(ref["medic/"+compose.CoreFile], ref["medic/"+couch])
				got := variables(ours[compose.Dir(e)+"/"+compose.CoreFile], ours[compose.Dir(e)+"/"+couch])
				for name, kind := range want {
					if got[name] != kind {
						t.Errorf("${%s}: Medic reads it as %s, cht-gen as %q", name, kind, got[name])
					}
				}
				for name, kind := range got {
					if _, ok := want[name]; !ok {
						t.Errorf("${%s} (%s): cht-gen reads a variable Medic's %s files do not", name, kind, version)
					}
				}
			})
		}
	}
}

// What an operator fills (.env.example, `cht-gen secrets`) must cover every
// variable Medic's 5.x files read without a default.
func TestCompose_SecretsCoverMedic5x(t *testing.T) {
	for _, version := range []string{"5.0.0", "5.1.0", "5.2.0"} {
		t.Run(version, func(t *testing.T) {
			ref := medic(t, version, false)
			var docs [][]byte
			for _, b := range ref {
				docs = append(docs, b)
			}
			e := loadEnv(t, fmt.Sprintf(`environments: cht: {target: "compose", version: %q, host: "vm.example.org"}`, version))
			set, err := compose.Render(e, "a.cue")
			if err != nil {
				t.Fatal(err)
			}
			example := string(set[compose.Dir(e)+"/"+compose.EnvExample])
			generated, err := secrets.Generate(e, secrets.Options{})
			if err != nil {
				t.Fatal(err)
			}
			needed := 0
			for name, kind := range variables(docs...) {
				if kind == "default" {
					continue
				}
				needed++
				t.Logf("Medic's %s files read ${%s} without a default (%s)", version, name, kind)
				// Only credentials may be left to the operator's .env.
				if !slices.Contains(model.CredentialKeys, name) {
					t.Errorf("Medic's %s files read ${%s} without a default, but it is not in model.CredentialKeys", version, name)
				}
				if !strings.Contains(example, "\n"+name+"=\n") {
					t.Errorf(".env.example does not ask for %s", name)
				}
				if !regexp.MustCompile(`(?m)^` + name + `=[^\s]+$`).Match(generated) {
					t.Errorf("cht-gen secrets does not set %s", name)
				}
			}
			if needed == 0 {
				t.Fatal("found no variable without a default in Medic's files: the reader is broken")
			}
		})
	}
}

// Medic's upgrade service overwrites files by name and passes its own
// environment to docker compose: 5.x keeps the 4.x file names, and
// cht-gen's upgrade service passes at least what Medic's does (COUCHDB_DATA
// and DB1_DATA place nouveau's data too).
func TestCompose_UpgradeService5x(t *testing.T) {
	dir := referenceDir(t)
	for _, version := range []string{"5.0.0", "5.1.0", "5.2.0"} {
		entries, err := os.ReadDir(filepath.Join(dir, version, "rendered-docker-compose"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		sort.Strings(names)
		want := []string{compose.CoreFile, compose.ClusteredFile, compose.SingleFile}
		sort.Strings(want)
		if !slices.Equal(names, want) {
			t.Errorf("Medic's %s compose files are %v, cht-gen renders %v", version, names, want)
		}
	}
	b, err := os.ReadFile(reference.Path(t, "cht", "cht-upgrade-service", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := compose.LoadProject(context.Background(), files.Set{"m/docker-compose.yml": b}, "m", "/srv/up", "up", []string{"docker-compose.yml"},
		map[string]string{"DOCKER_CONFIG_PATH": "/c", "CHT_COMPOSE_PATH": "/p"})
	if err != nil {
		t.Fatal(err)
	}
	for _, nodes := range []int{1, 3} {
		e := loadEnv(t, fmt.Sprintf(`environments: cht: {target: "compose", version: "5.2.0", host: "vm.example.org", couchdb: nodes: %d}`, nodes))
		set, err := compose.Render(e, "a.cue")
		if err != nil {
			t.Fatal(err)
		}
		ours, err := compose.LoadProject(context.Background(), set, compose.Dir(e)+"/upgrade-service", "/srv/up", "up", []string{"docker-compose.yml"}, compose.DummySecrets())
		if err != nil {
			t.Fatal(err)
		}
		for name := range p.Services["cht-upgrade-service"].Environment {
			if _, ok := ours.Services["cht-upgrade-service"].Environment[name]; !ok {
				t.Errorf("%d node(s): Medic's upgrade service passes %s, cht-gen's does not", nodes, name)
			}
		}
	}
}

// A 5.x single node has no healthcheck service: settings for it are
// reported as having no effect instead of being dropped silently.
func TestCompose_HealthcheckSettingsSingleNode5xWarn(t *testing.T) {
	for _, tc := range []struct {
		version, couchdb string
		warn             bool
	}{
		{"5.2.0", "nodes: 1", true},
		{"5.2.0", "nodes: 3", false},
		{"4.22.0", "nodes: 1", false},
	} {
		src := fmt.Sprintf("package environments\nenvironments: vm: {target: \"compose\", version: %q, host: \"vm.example.org\", couchdb: %s, healthcheck: logLevel: \"DEBUG\"}\n", tc.version, tc.couchdb)
		res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(src)}}, "envs")
		if err != nil {
			t.Fatal(err)
		}
		got := len(res.Warnings) == 1 && strings.Contains(res.Warnings[0].String(), "envs/a.cue:2:") &&
			strings.Contains(res.Warnings[0].String(), "healthcheck.logLevel: has no effect")
		if got != tc.warn || (!tc.warn && len(res.Warnings) != 0) {
			t.Errorf("%s %s: warnings %v, want warning %v", tc.version, tc.couchdb, res.Warnings, tc.warn)
		}
	}
}

// dotenvFor gives every variable a distinct value of the right shape, as
// an operator's .env would.
func dotenvFor(names map[string]string) map[string]string {
	env := compose.DummySecrets()
	ports := 6000
	for _, name := range slices.Sorted(maps.Keys(names)) {
		switch {
		case strings.HasSuffix(name, "_PORT"):
			ports++
			env[name] = fmt.Sprint(ports)
		case strings.HasSuffix(name, "_DATA"):
			env[name] = "/data/" + strings.ToLower(name)
		case name == "LOG_MAX_SIZE":
			env[name] = "7m"
		case name == "LOG_MAX_FILES":
			env[name] = "3"
		case strings.HasSuffix(name, "_PATH"):
			env[name] = "/etc/" + strings.ToLower(name) + "/"
		case name == "COUCHDB_PASSWORD" || name == "COUCHDB_SECRET" || name == "COUCHDB_UUID":
		default:
			env[name] = "x-" + strings.ToLower(name)
		}
	}
	return env
}

// An operator's .env must mean the same to cht-gen's files as to Medic's:
// with every variable Medic's files read set, both load to the same
// project, whatever the version and topology.
func TestCompose_SameDotEnvSameProject(t *testing.T) {
	ctx := context.Background()
	for _, version := range composeVersions(t) {
		for _, nodes := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s %d node(s)", version, nodes), func(t *testing.T) {
				ref := medic(t, version, nodes > 1)
				e := loadEnv(t, fmt.Sprintf(`environments: cht: {target: "compose", version: %q, host: "vm.example.org", couchdb: nodes: %d}`, version, nodes))
				ours, err := compose.Render(e, "envs/a.cue")
				if err != nil {
					t.Fatal(err)
				}
				couch := compose.SingleFile
				if nodes > 1 {
					couch = compose.ClusteredFile
				}
				dotenv := dotenvFor(variables(ref["medic/"+compose.CoreFile], ref["medic/"+couch]))
				want, err := compose.LoadProject(ctx, ref, "medic", "/srv/cht/cht", "cht", []string{compose.CoreFile, couch}, dotenv)
				if err != nil {
					t.Fatalf("Medic's files: %v", err)
				}
				got, err := compose.LoadProject(ctx, ours, compose.Dir(e), "/srv/cht/cht", "cht", []string{compose.CoreFile, couch}, dotenv)
				if err != nil {
					t.Fatal(err)
				}
				if len(want.Services) < 5 {
					t.Fatalf("Medic's project has %d services: the reader is broken", len(want.Services))
				}
				composecompare.Compare(t, want, got, nil, nil)
			})
		}
	}
}

// composeSettings sets every Compose field of the schema away from its
// default; medicDotEnv is what an operator of Medic's files writes in .env
// for the same VM.
const composeSettings = `couchdb: {user: "medic", logLevel: "notice", ulimit: 65536, dataPaths: %s},
	haproxy: port: 6984, healthcheck: logLevel: "DEBUG", logging: {maxSize: "10m", maxFiles: 5},
	network: "district-net", builds: {marketURL: "https://market.example.org", server: "_couch/builds_5"},
	nginx: {httpPort: 8080, httpsPort: 8443, tls: {email: "ops@district.example.org", country: "KE", state: "Nairobi", locality: "Kibera", organisation: "moh", department: "ict"}},
	api: resources: limits: memory: "2Gi"`

var medicDotEnv = map[string]string{
	"COUCHDB_USER": "medic", "COUCHDB_LOG_LEVEL": "notice", "HAPROXY_PORT": "6984", "LOG_MAX_SIZE": "10m", "LOG_MAX_FILES": "5",
	"CHT_NETWORK": "district-net", "MARKET_URL_READ": "https://market.example.org", "BUILDS_SERVER": "_couch/builds_5",
	"NGINX_HTTP_PORT": "8080", "NGINX_HTTPS_PORT": "8443", "COMMON_NAME": "vm.example.org", "EMAIL": "ops@district.example.org",
	"COUNTRY": "KE", "STATE": "Nairobi", "LOCALITY": "Kibera", "ORGANISATION": "moh", "DEPARTMENT": "ict",
	"COUCHDB_DATA": "/data/1", "DB1_DATA": "/data/1", "DB2_DATA": "/data/2", "DB3_DATA": "/data/3",
}

// Each schema setting lands where Medic's files put the matching .env
// variable: cht-gen's files with only the credentials in .env load to the
// same project as Medic's with the operator's .env, up to what the schema
// adds on purpose (listed below, with the reason).
func TestCompose_SettingsMatchMedicDotEnv(t *testing.T) {
	ctx := context.Background()
	for _, version := range composeVersions(t) {
		for _, nodes := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s %d node(s)", version, nodes), func(t *testing.T) {
				ref := medic(t, version, nodes > 1)
				paths := `["/data/1"]`
				if nodes > 1 {
					paths = `["/data/1", "/data/2", "/data/3"]`
				}
				e := loadEnv(t, fmt.Sprintf(`environments: cht: {target: "compose", version: %q, host: "vm.example.org", couchdb: nodes: %d, `+composeSettings+`}`, version, nodes, paths))
				ours, err := compose.Render(e, "envs/a.cue")
				if err != nil {
					t.Fatal(err)
				}
				couch := compose.SingleFile
				if nodes > 1 {
					couch = compose.ClusteredFile
				}
				dotenv := compose.DummySecrets()
				maps.Copy(dotenv, medicDotEnv)
				if nodes > 1 {
					dotenv["COUCHDB_SERVERS"] = strings.Join(e.CouchDBServices(), ",")
				}
				want, err := compose.LoadProject(ctx, ref, "medic", e.ComposePath, "cht", []string{compose.CoreFile, couch}, dotenv)
				if err != nil {
					t.Fatalf("Medic's files: %v", err)
				}
				got, err := compose.LoadProject(ctx, ours, compose.Dir(e), e.ComposePath, "cht", []string{compose.CoreFile, couch}, compose.DummySecrets())
				if err != nil {
					t.Fatal(err)
				}
				intended := composecompare.Intended{
					"api.limits.memory":                      "api.resources.limits: the schema's resources become deploy.resources; Medic's files set none (haproxy's 1G only)",
					"api.raw.deploy.resources.limits.memory": "as api.limits.memory",
				}
				if _, ok := got.Services["healthcheck"]; ok {
					intended["healthcheck.env.HEALTHCHECK_LOG_LEVEL"] = "healthcheck.logLevel: Medic's healthcheck image reads HEALTHCHECK_LOG_LEVEL (logger.py) and Medic's upgrade service passes it to docker compose, but Medic's files never hand it to the container; cht-gen does"
				}
				if e.Has(model.DefaultUlimitSwitch) {
					for _, n := range e.CouchDBServices() {
						intended[n+".env.DEFAULT_ULIMIT"] = "couchdb.ulimit: DEFAULT_ULIMIT=true, which Medic's CouchDB image reads (4.20.0+) and Medic's files never pass (cht-core #9923)"
						intended[n+".raw.ulimits.nofile.soft"] = "couchdb.ulimit: the number is the container's open-files limit, which DEFAULT_ULIMIT=true keeps"
						intended[n+".raw.ulimits.nofile.hard"] = "as soft"
					}
				}
				composecompare.Compare(t, want, got, intended, nil)
			})
		}
	}
}

// cht-gen's upgrade service is Medic's cht-upgrade-service compose file
// with the operator's .env baked in as defaults: for an environment called
// cht (Medic's default project), the two load to the same project, field by
// field, on every line, when Medic's gets the .env Medic's guide has the
// operator write for the same settings. cht-gen's also carries the CHT
// files' other defaults (so Medic's files, written by an in-app upgrade,
// keep them: TestCompose_InAppUpgradeTo5xKeepsData).
func TestCompose_UpgradeServiceMatchesMedic(t *testing.T) {
	b, err := os.ReadFile(reference.Path(t, "cht", "cht-upgrade-service", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, version := range []string{"4.22.0", "5.2.0"} {
		for _, nodes := range []int{1, 3} {
			e := loadEnv(t, fmt.Sprintf(`environments: cht: {target: "compose", version: %q, host: "vm.example.org", couchdb: nodes: %d}`, version, nodes))
			dotenv := upgradeServiceDotEnv(e.ComposePath, nodes)
			want, err := compose.LoadProject(ctx, files.Set{"m/docker-compose.yml": b}, "m", "/srv/up", "up", []string{"docker-compose.yml"}, dotenv)
			if err != nil {
				t.Fatal(err)
			}
			set, err := compose.Render(e, "a.cue")
			if err != nil {
				t.Fatal(err)
			}
			got, err := compose.LoadProject(ctx, set, compose.Dir(e)+"/upgrade-service", "/srv/up", "up", []string{"docker-compose.yml"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(fmt.Sprintf("%s %d node(s)", version, nodes), func(t *testing.T) {
				composecompare.Compare(t, want, got, upgradeServiceExtras(nodes), nil)
			})
		}
	}
}

// upgradeServiceDotEnv is the .env of Medic's upgrade service guide for the
// schema's defaults (host vm.example.org): every setting Medic's upgrade
// service passes on.
func upgradeServiceDotEnv(composePath string, nodes int) map[string]string {
	env := map[string]string{
		"DOCKER_CONFIG_PATH": composePath + "/docker-config", "CHT_COMPOSE_PATH": composePath,
		"COUCHDB_USER": "admin", "COUCHDB_LOG_LEVEL": "info",
		"MARKET_URL_READ": "https://staging.dev.medicmobile.org", "BUILDS_SERVER": "_couch/builds_4",
		"NGINX_HTTP_PORT": "80", "NGINX_HTTPS_PORT": "443", "CERTIFICATE_MODE": "SELF_SIGNED",
		"SSL_VOLUME_MOUNT_PATH": "/etc/nginx/private/", "SSL_CERT_FILE_PATH": "/etc/nginx/private/cert.pem",
		"SSL_KEY_FILE_PATH": "/etc/nginx/private/key.pem", "COMMON_NAME": "vm.example.org",
		"EMAIL": "domains@medic.org", "COUNTRY": "US", "STATE": "California", "LOCALITY": "San_Francisco",
		"ORGANISATION": "medic", "DEPARTMENT": "Information_Security",
	}
	if nodes == 1 {
		env["COUCHDB_DATA"], env["COUCHDB_SERVERS"], env["SVC_NAME"] = composePath+"/srv", "couchdb", "couchdb"
		return env
	}
	var servers []string
	for i := 1; i <= nodes; i++ {
		env[fmt.Sprintf("DB%d_DATA", i)] = fmt.Sprintf("%s/srv%d", composePath, i)
		env[fmt.Sprintf("SVC%d_NAME", i)] = fmt.Sprintf("couchdb-%d.local", i)
		servers = append(servers, fmt.Sprintf("couchdb-%d.local", i))
	}
	env["COUCHDB_SERVERS"], env["CLUSTER_PEER_IPS"] = strings.Join(servers, ","), strings.Join(servers[1:], ",")
	return env
}

// upgradeServiceExtras are the CHT files' defaults Medic's upgrade service
// does not pass on and cht-gen's carries.
func upgradeServiceExtras(nodes int) composecompare.Intended {
	const why = "a default of cht-gen's CHT files that Medic's upgrade service does not pass on; cht-gen's carries it, so Medic's files written by an in-app upgrade keep the environment's setting"
	in := composecompare.Intended{}
	for _, name := range []string{"API_PORT", "HAPROXY_IP", "HAPROXY_PORT", "HEALTHCHECK_ADDR", "LOG_MAX_FILES", "LOG_MAX_SIZE", "UPGRADE_SERVICE_URL"} {
		in["cht-upgrade-service.env."+name] = why
	}
	if nodes > 1 {
		in["cht-upgrade-service.env.COUCHDB_SYNC_ADMINS_NODE"] = why
	}
	return in
}
