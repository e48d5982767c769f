package handover_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"

	"github.com/cht-gen/cht-gen/generator/handover"
	"github.com/cht-gen/cht-gen/generator/model"
)

// vmFixture is a VM laid out by Medic's guide (compose/, couchdb/,
// upgrade-service/.env) beside a checkout of the hosting repository, and
// the state the fake docker answers from: project cht running CouchDB on
// the couchdb/ folder, its named volumes, two upgrade services (this
// project's and another's).
type vmFixture struct {
	root, checkout, state string
	env                   *model.Environment
}

func newVM(t *testing.T) *vmFixture {
	t.Helper()
	root := t.TempDir()
	f := &vmFixture{root: root, checkout: filepath.Join(root, "hosting"), state: filepath.Join(root, "docker")}
	vm := filepath.Join(root, "home", "cht")
	for _, d := range []string{"compose", "couchdb", "upgrade-service"} {
		must(t, os.MkdirAll(filepath.Join(vm, d), 0o755))
	}
	write(t, filepath.Join(vm, "upgrade-service", ".env"), "CHT_COMPOSE_PROJECT_NAME=cht\nCOUCHDB_DATA="+vm+"/couchdb\nCOUCHDB_PASSWORD=S3NTINEL\n")
	for _, n := range []string{"cht-core.yml", "cht-couchdb.yml"} {
		write(t, filepath.Join(f.checkout, "deploy", "compose", "district", n), "services: {}\n")
	}
	write(t, filepath.Join(f.state, "ps", "cht", "couchdb"), "c0ffee01\n")
	write(t, filepath.Join(f.state, "ps", "cht", "api"), "c0ffee02\n")
	write(t, filepath.Join(f.state, "mounts", "c0ffee01"), vm+"/couchdb")
	write(t, filepath.Join(f.state, "volumes", "cht_cht-credentials"), "")
	write(t, filepath.Join(f.state, "volumes", "cht_cht-ssl"), "\n")
	write(t, filepath.Join(f.state, "ps", "upgrade-service", "cht-upgrade-service"), "5e41ce01\n")
	write(t, filepath.Join(f.state, "env", "5e41ce01"), "COUCHDB_PASSWORD=S3NTINEL\nCHT_COMPOSE_PROJECT_NAME=cht\n")
	write(t, filepath.Join(f.state, "ps", "other-upgrade", "cht-upgrade-service"), "07he401\n")
	write(t, filepath.Join(f.state, "env", "07he401"), "CHT_COMPOSE_PROJECT_NAME=other\n")
	f.env = &model.Environment{
		Name: "district", Target: model.Compose, Version: "4.22.0", Project: "cht", Network: "cht-net",
		ComposePath: vm + "/compose",
		CouchDB:     model.CouchDB{Nodes: 1, DataPaths: []string{vm + "/couchdb"}},
	}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, []byte(s), 0o644))
}

// run writes the plan's script and runs it from the checkout's root with
// the fake docker first on PATH; it returns stderr and what docker was
// asked to do.
func (f *vmFixture) run(t *testing.T, o handover.ComposeOptions) (code int, stderr, calls string) {
	t.Helper()
	plan, err := handover.Compose(f.env, o)
	if err != nil {
		t.Fatal(err)
	}
	script := plan.Script()
	if _, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(bytes.NewReader(script), "handover.sh"); err != nil {
		t.Fatalf("not POSIX sh: %v\n%s", err, script)
	}
	bin := filepath.Join(f.root, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	fake, _ := filepath.Abs(filepath.Join("testdata", "fake-docker"))
	os.Remove(filepath.Join(bin, "docker"))
	must(t, os.Symlink(fake, filepath.Join(bin, "docker")))
	write(t, filepath.Join(bin, "fake-state"), f.state)
	os.Remove(filepath.Join(f.state, "log"))
	cmd := exec.Command("sh", "-c", string(script))
	cmd.Dir = f.checkout
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_DOCKER="+f.state, "SSL_CERT_DIR=/etc/ssl/certs")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err = cmd.Run()
	log, _ := os.ReadFile(filepath.Join(f.state, "log"))
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), errb.String(), string(log)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, errb.String(), string(log)
}

// changed reports the calls that change something.
func changed(calls string) []string {
	var out []string
	for _, l := range strings.Split(calls, "\n") {
		if strings.HasPrefix(l, "update ") || strings.HasPrefix(l, "stop ") || strings.Contains(" "+l+" ", " up ") {
			out = append(out, l)
		}
	}
	return out
}

func TestCompose_HandsOverInPlace(t *testing.T) {
	f := newVM(t)
	code, stderr, calls := f.run(t, handover.ComposeOptions{})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	envFile := filepath.Join(f.root, "home", "cht", "upgrade-service", ".env")
	want := []string{
		"compose --project-name cht --env-file " + envFile + " -f cht-core.yml -f cht-couchdb.yml up -d --remove-orphans",
		"update --restart=no 5e41ce01",
		"stop 5e41ce01",
	}
	if got := changed(calls); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant (the other project's upgrade service untouched):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(stderr+calls, "S3NTINEL") {
		t.Error("a credential printed or passed on")
	}
	// Run again: the same checks pass, the same idempotent changes.
	if code, stderr, _ := f.run(t, handover.ComposeOptions{}); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
}

func TestCompose_UpgradeServiceKept(t *testing.T) {
	f := newVM(t)
	f.env.UpgradeService.Enabled = true
	code, stderr, calls := f.run(t, handover.ComposeOptions{})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := changed(calls); len(got) != 1 || !strings.Contains(got[0], " up -d --remove-orphans") {
		t.Errorf("changes %q, want only compose up", got)
	}
	if !strings.Contains(stderr, "upgrade service is left in place") {
		t.Errorf("not said: %s", stderr)
	}
}

// Each difference between what runs and the environment stops the script
// before any change, with a message naming it.
func TestCompose_DifferencesStopBeforeAnyChange(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *vmFixture)
		opts  handover.ComposeOptions
		want  string
	}{
		{"another data folder", func(f *vmFixture) {
			f.env.CouchDB.DataPaths = []string{f.root + "/home/cht/srv"}
			write(t, f.root+"/home/cht/upgrade-service/.env", "COUCHDB_PASSWORD=x\n")
		},
			handover.ComposeOptions{}, "couchdb keeps CouchDB's data in " + "ROOT/home/cht/couchdb, the environment says ROOT/home/cht/srv"},
		{"another project", func(f *vmFixture) { f.env.Project = "district" }, handover.ComposeOptions{}, "no containers of compose project district"},
		{"no .env", func(f *vmFixture) { os.Remove(f.root + "/home/cht/upgrade-service/.env") }, handover.ComposeOptions{}, "the VM's .env is not at"},
		{"the .env's data folder differs", func(f *vmFixture) {
			write(t, f.root+"/home/cht/upgrade-service/.env", "COUCHDB_PASSWORD=x\nCOUCHDB_DATA=\"/elsewhere\"\n")
		}, handover.ComposeOptions{}, "sets COUCHDB_DATA=/elsewhere, the environment says ROOT/home/cht/couchdb"},
		{"credentials volume missing", func(f *vmFixture) { os.Remove(f.state + "/volumes/cht_cht-credentials") }, handover.ComposeOptions{}, "the named volume cht_cht-credentials is missing"},
		{"own certificate in the plain volume, rendered as a folder", func(f *vmFixture) {
			f.env.Nginx.TLS = model.TLS{Mode: model.TLSOwnCert, CertDir: "/srv/certs"}
		}, handover.ComposeOptions{}, "set nginx.tls.certVolume: true"},
		{"not run from the checkout's root", func(f *vmFixture) {}, handover.ComposeOptions{Out: "elsewhere"}, "elsewhere/compose/district/cht-core.yml is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newVM(t)
			tc.setup(f)
			code, stderr, calls := f.run(t, tc.opts)
			want := strings.ReplaceAll(tc.want, "ROOT", f.root)
			if code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr, want)
			}
			if c := changed(calls); len(c) > 0 {
				t.Errorf("changed %q after a failed check", c)
			}
		})
	}
}

// Values from flags and environment files reach the script quoted: a
// folder named to run a command is only a folder name.
func TestCompose_HostileValuesStayWords(t *testing.T) {
	f := newVM(t)
	pwned := filepath.Join(f.root, "pwned")
	out := "x$(touch " + pwned + ")`touch " + pwned + "`'\""
	for _, n := range []string{"cht-core.yml", "cht-couchdb.yml"} {
		write(t, filepath.Join(f.checkout, out, "compose", "district", n), "services: {}\n")
	}
	code, stderr, calls := f.run(t, handover.ComposeOptions{Out: out, EnvFile: f.root + "/home/cht/upgrade-service/.env"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("a value ran as a command")
	}
	if !strings.Contains(calls, " up -d --remove-orphans") {
		t.Errorf("compose up not run from the hostile folder: %s", calls)
	}
	f.env.ComposePath = "/srv/\x01"
	if _, err := handover.Compose(f.env, handover.ComposeOptions{}); err == nil {
		t.Error("a control character reached the script")
	}
}

// Every check comes before the first change in the script.
func TestCompose_ChecksFirst(t *testing.T) {
	f := newVM(t)
	plan, err := handover.Compose(f.env, handover.ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := string(plan.Script())
	lastCheck, firstChange := -1, len(s)
	for _, st := range plan.Steps {
		i := strings.Index(s, "# "+st.Name+" (")
		if i < 0 {
			t.Fatalf("step %s not in the script", st.Name)
		}
		if st.Kind == handover.Check && i > lastCheck {
			lastCheck = i
		}
		if st.Kind == handover.Change && i < firstChange {
			firstChange = i
		}
	}
	if lastCheck > firstChange || !strings.HasPrefix(s, "#!/bin/sh\n") || !strings.Contains(s, "\nset -eu\n") {
		t.Errorf("checks after a change, or no sh header:\n%s", s)
	}
}

// A cluster: each node's container on its own folder, the clustered file.
func TestCompose_Cluster(t *testing.T) {
	f := newVM(t)
	vm := f.root + "/home/cht"
	write(t, vm+"/upgrade-service/.env", "COUCHDB_PASSWORD=x\nDB1_DATA="+vm+"/srv1\n")
	for i, n := range []string{"couchdb-1.local", "couchdb-2.local", "couchdb-3.local"} {
		id := fmt.Sprintf("c1u5te%d", i+1)
		write(t, filepath.Join(f.state, "ps", "cht", n), id+"\n")
		write(t, filepath.Join(f.state, "mounts", id), fmt.Sprintf("%s/srv%d", vm, i+1))
		must(t, os.MkdirAll(fmt.Sprintf("%s/srv%d", vm, i+1), 0o755))
	}
	os.Remove(filepath.Join(f.state, "ps", "cht", "couchdb"))
	write(t, filepath.Join(f.checkout, "deploy", "compose", "district", "cht-couchdb-clustered.yml"), "services: {}\n")
	f.env.CouchDB = model.CouchDB{Nodes: 3, DataPaths: []string{vm + "/srv1", vm + "/srv2", vm + "/srv3"}}
	code, stderr, calls := f.run(t, handover.ComposeOptions{})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(calls, "-f cht-core.yml -f cht-couchdb-clustered.yml up -d --remove-orphans") {
		t.Errorf("not the clustered file: %s", calls)
	}
	// Node 2 on another folder: refused before any change.
	write(t, filepath.Join(f.state, "mounts", "c1u5te2"), vm+"/elsewhere")
	code, stderr, calls = f.run(t, handover.ComposeOptions{})
	if code != 1 || !strings.Contains(stderr, "couchdb-2.local keeps CouchDB's data in "+vm+"/elsewhere") || len(changed(calls)) > 0 {
		t.Errorf("exit %d, changes %q, stderr %s", code, changed(calls), stderr)
	}
}
