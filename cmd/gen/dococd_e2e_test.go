package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"go.yaml.in/yaml/v3"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/internal/dockertest"
)

// The doco-cd end-to-end test: a real Docker engine, two VMs (compose
// projects on one engine, distinct networks and ports), one doco-cd agent
// each (the host binary, run with the environment its rendered compose
// file gives it), the rendered hosting repository served over smart HTTP
// on 127.0.0.1 by git http-backend. make e2e runs it (CHT_E2E=1).

const (
	docoVMA, docoVMB = "hdoco-a", "hdoco-b"
	// docoOverride is the test's only addition to the rendered tree: no
	// registry is reachable, so every service uses the local stub image
	// (pull_policy: missing) instead of pulling.
	docoOverride = "e2e-pull-policy.yml"
	docoToken    = "hdoco-e2e-token-7c1f0a"
)

// docoCDBinary is doco-cd (DOCO_CD, else cht-tools' bin), or skips.
func docoCDBinary(t *testing.T) string {
	t.Helper()
	if os.Getenv("CHT_E2E") == "" {
		t.Skip("SKIPPED: the doco-cd end-to-end test runs under make e2e (CHT_E2E=1)")
	}
	p := os.Getenv("DOCO_CD")
	if p == "" {
		home, _ := os.UserHomeDir()
		p = filepath.Join(home, ".cache", "cht-tools", "bin", "doco-cd")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("SKIPPED: no doco-cd at %s (../shared/tools/install.sh doco-cd, or DOCO_CD=path)", p)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("SKIPPED: no git")
	}
	return p
}

// docoHosting is the hosting repository: a work tree whose commits are
// pushed to a bare repository served over smart HTTP.
type docoHosting struct {
	work, envs, out, url string
}

func newDocoHosting(t *testing.T) *docoHosting {
	t.Helper()
	root := t.TempDir()
	h := &docoHosting{work: filepath.Join(root, "work")}
	h.envs, h.out = filepath.Join(h.work, "environments"), filepath.Join(h.work, "deploy")
	srv := filepath.Join(root, "srv")
	os.MkdirAll(h.envs, 0o755)
	os.MkdirAll(srv, 0o755)
	gitRun(t, "", "init", "-q", "--bare", "-b", "main", filepath.Join(srv, "hosting.git"))
	gitRun(t, "", "init", "-q", "-b", "main", h.work)
	os.WriteFile(filepath.Join(h.work, ".gitignore"), []byte(".env\n*.env\n.cht-gen.lock\n"), 0o644)
	gitRun(t, h.work, "remote", "add", "origin", filepath.Join(srv, "hosting.git"))
	gitPath, _ := exec.LookPath("git")
	s := httptest.NewServer(&cgi.Handler{Path: gitPath, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + srv, "GIT_HTTP_EXPORT_ALL=1"}})
	t.Cleanup(s.Close)
	h.url = s.URL + "/hosting.git"
	return h
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.org", "GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.org")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// docoVM is one VM: its folder on the host and its nginx ports.
type docoVM struct {
	name, composePath string
	http, https       int
}

func (vm docoVM) env(version string, suspended bool) string {
	s := ""
	if suspended {
		s = ", suspended: true"
	}
	return fmt.Sprintf(`environments: %q: {target: "compose", version: %q, host: "%s.example.org", composePath: %q, network: "%s-net", nginx: {httpPort: %d, httpsPort: %d}%s}
`, vm.name, version, vm.name, vm.composePath, vm.name, vm.http, vm.https, s)
}

// publish writes the environment files, renders them with cht-gen, adds
// the pull-policy override to each deploy file, commits and pushes; it
// returns the commit.
func (h *docoHosting) publish(t *testing.T, envs map[string]string, msg string) (string, files.Set) {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(h.envs, "*.cue"))
	for _, f := range old {
		os.Remove(f)
	}
	os.WriteFile(filepath.Join(h.envs, "gitops.cue"), []byte("package environments\ngitops: {repoURL: \"https://git.example.org/moh/hosting\", compose: \"doco-cd\"}\n"), 0o644)
	for name, src := range envs {
		os.WriteFile(filepath.Join(h.envs, name+".cue"), []byte("package environments\n"+src), 0o644)
	}
	// The harness's own edits go first, so render finds its files as it
	// wrote them (it keeps a file changed by hand).
	for _, pattern := range []string{docoOverride, compose.DocoCDConfig} {
		edited, _ := filepath.Glob(filepath.Join(h.out, compose.Root, "*", pattern))
		for _, f := range edited {
			os.Remove(f)
		}
	}
	if code, _, errs := runCLI(t, "render", "--environments", h.envs, "--out", h.out); code != 0 {
		t.Fatalf("render: %s", errs)
	}
	set := renderedTree(t, h.out)
	for _, p := range set.Paths() {
		if path.Base(p) != compose.DocoCDConfig {
			continue
		}
		dir := path.Dir(p)
		d := strictDeploy(t, p, set[p])
		proj, err := compose.LoadProject(context.Background(), set, dir, "/x", d.Name, d.ComposeFiles, compose.DummySecrets())
		if err != nil {
			t.Fatal(err)
		}
		var override bytes.Buffer
		override.WriteString("services:\n")
		for _, s := range proj.ServiceNames() {
			fmt.Fprintf(&override, "  %s:\n    pull_policy: missing\n", s)
		}
		d.ComposeFiles = append(d.ComposeFiles, docoOverride)
		b, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(h.out, filepath.FromSlash(p)), b, 0o644)
		os.WriteFile(filepath.Join(h.out, filepath.FromSlash(dir), docoOverride), override.Bytes(), 0o644)
	}
	gitRun(t, h.work, "add", "-A")
	gitRun(t, h.work, "commit", "-q", "--allow-empty", "-m", msg)
	gitRun(t, h.work, "push", "-q", "origin", "main")
	return gitRun(t, h.work, "rev-parse", "HEAD"), set
}

func strictDeploy(t *testing.T, name string, b []byte) compose.DocoCDDeploy {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var d compose.DocoCDDeploy
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

// docoAgent is a running doco-cd process and its metrics.
type docoAgent struct {
	vm      string
	log     string
	metrics string
}

// startAgent runs doco-cd for vm with the environment its rendered
// compose file gives the container: the VM's .env (env_file), the
// rendered settings, and what differs for a host process: the
// repository's local URL, a 10 s poll, the token file's host path, ports.
func startAgent(t *testing.T, bin string, set files.Set, h *docoHosting, vm docoVM) *docoAgent {
	t.Helper()
	dir := compose.Root + "/" + vm.name
	p, err := compose.LoadDocoCDAgent(context.Background(), set, dir, vm.composePath)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Services["doco-cd"]
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	dotenvFile := filepath.Join(vm.composePath, ".env")
	secrets, err := dotenv.GetEnvFromFile(map[string]string{}, []string{dotenvFile})
	if err != nil {
		t.Fatal(err)
	}
	var polls []compose.DocoCDPoll
	dec := yaml.NewDecoder(strings.NewReader(env["POLL_CONFIG"]))
	dec.KnownFields(true)
	if err := dec.Decode(&polls); err != nil || len(polls) != 1 {
		t.Fatalf("POLL_CONFIG %q: %v", env["POLL_CONFIG"], err)
	}
	polls[0].URL, polls[0].Interval = h.url, 10
	pc, _ := yaml.Marshal(polls)
	env["POLL_CONFIG"] = string(pc)
	tokenFile := p.Secrets[compose.DocoCDTokenSecret].File
	if !strings.HasPrefix(tokenFile, vm.composePath+"/") {
		t.Fatalf("token file %s is not on the VM", tokenFile)
	}
	os.MkdirAll(filepath.Dir(tokenFile), 0o700)
	os.WriteFile(tokenFile, []byte(docoToken), 0o600)
	env["GIT_ACCESS_TOKEN_FILE"] = tokenFile
	os.MkdirAll(env["DATA_MOUNT_PATH"], 0o700)
	metrics := freePort(t)
	env["HTTP_PORT"], env["METRICS_PORT"] = strconv.Itoa(freePort(t)), strconv.Itoa(metrics)
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range secrets {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	a := &docoAgent{vm: vm.name, log: filepath.Join(t.TempDir(), vm.name+".log"),
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics)}
	f, _ := os.Create(a.log)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); f.Close() })
	return a
}

// sample sums a metric family over its labels; ok is false when the
// agent does not answer.
func (a *docoAgent) sample(name string) (float64, bool) {
	resp, err := http.Get(a.metrics)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, name+"{") && !strings.HasPrefix(l, name+" ") {
			continue
		}
		f := strings.Fields(l)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		sum += v
	}
	return sum, true
}

func (a *docoAgent) polls() float64 { n, _ := a.sample("doco_cd_polls_total"); return n }

// waitJobs waits until the agent has finished n more polls than before
// and no deployment is active (its metrics), so the next step starts on
// a settled VM.
func (a *docoAgent) waitJobs(t *testing.T, before float64, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		polls, ok := a.sample("doco_cd_polls_total")
		active, _ := a.sample("doco_cd_deployments_active")
		if ok && polls >= before+float64(n) && active == 0 {
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("%s: the agent did not finish %d polls in 5 minutes; its log:\n%s", a.vm, n, a.tail())
}

func (a *docoAgent) tail() string {
	b, _ := os.ReadFile(a.log)
	return tail(b, 40)
}

// docoContainer is one container of a project.
type docoContainer struct{ service, id, image, sha, workingDir, state string }

func docoContainers(t *testing.T, d *dockertest.Engine, project string) map[string]docoContainer {
	t.Helper()
	out := d.Docker(t, "ps", "-a", "--filter", "label=com.docker.compose.project="+project, "--format",
		`{{.Label "com.docker.compose.service"}}|{{.ID}}|{{.Image}}|{{.Label "cd.doco.deployment.target.sha"}}|{{.Label "cd.doco.deployment.working_dir"}}|{{.State}}`)
	m := map[string]docoContainer{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Split(l, "|"); len(f) == 6 {
			m[f[0]] = docoContainer{f[0], f[1], f[2], f[3], f[4], f[5]}
		}
	}
	return m
}

// waitFor polls cond (docker state) until it holds, or fails with what.
func waitFor(t *testing.T, what string, a *docoAgent, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("%s: not within 5 minutes; agent log:\n%s", what, a.tail())
}

func services(t *testing.T, set files.Set, vm string) []string {
	t.Helper()
	dir := compose.Root + "/" + vm
	d := strictDeploy(t, dir+"/"+compose.DocoCDConfig, set[dir+"/"+compose.DocoCDConfig])
	p, err := compose.LoadProject(context.Background(), set, dir, "/x", d.Name, d.ComposeFiles, compose.DummySecrets())
	if err != nil {
		t.Fatal(err)
	}
	names := p.ServiceNames()
	sort.Strings(names)
	return names
}

func TestDocoCD_OnADockerEngine(t *testing.T) {
	bin := docoCDBinary(t)
	d := dockertest.RequireEngine(t)
	h := newDocoHosting(t)
	vms := map[string]docoVM{}
	for _, name := range []string{docoVMA, docoVMB} {
		vm := docoVM{name: name, composePath: filepath.Join(t.TempDir(), name), http: freePort(t), https: freePort(t)}
		os.MkdirAll(filepath.Join(vm.composePath, "srv"), 0o755)
		os.WriteFile(filepath.Join(vm.composePath, "srv", "MARKER"), []byte(name), 0o644)
		vms[name] = vm
		t.Cleanup(func() { d.ComposeDown(t, name, true) })
	}
	a, b := vms[docoVMA], vms[docoVMB]
	head, set := h.publish(t, map[string]string{docoVMA: a.env("4.22.0", false), docoVMB: b.env("4.22.0", false)}, "two VMs on 4.22.0")
	var refs []string
	for _, v := range []string{"4.22.0", "5.2.0"} {
		for _, img := range []string{"cht-haproxy", "cht-haproxy-healthcheck", "cht-api", "cht-sentinel", "cht-nginx", "cht-couchdb", "cht-couchdb-nouveau"} {
			refs = append(refs, "public.ecr.aws/medic/"+img+":"+v)
		}
	}
	d.StubImages(t, refs...)

	// The VM's secrets, made by cht-gen and kept on the VM only.
	var secretValues []string
	for _, vm := range vms {
		if code, _, errs := runCLI(t, "secrets", vm.name, "--environments", h.envs, "--out", filepath.Join(vm.composePath, ".env")); code != 0 {
			t.Fatalf("secrets %s: %s", vm.name, errs)
		}
		m, err := dotenv.GetEnvFromFile(map[string]string{}, []string{filepath.Join(vm.composePath, ".env")})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"COUCHDB_PASSWORD", "COUCHDB_SECRET", "COUCHDB_UUID"} {
			if m[k] == "" {
				t.Fatalf("%s: .env has no %s", vm.name, k)
			}
			secretValues = append(secretValues, m[k])
		}
	}
	agents := map[string]*docoAgent{}
	for _, vm := range vms {
		agents[vm.name] = startAgent(t, bin, set, h, vm)
	}
	for _, ag := range agents {
		ag.waitJobs(t, 0, 1)
	}

	t.Run("each VM runs its own folder at HEAD", func(t *testing.T) {
		for _, vm := range vms {
			cs := docoContainers(t, d, vm.name)
			got := slices.Sorted(func(yield func(string) bool) {
				for s := range cs {
					yield(s)
				}
			})
			if want := services(t, set, vm.name); !slices.Equal(got, want) {
				t.Fatalf("%s runs %v, want %v; agent log:\n%s", vm.name, got, want, agents[vm.name].tail())
			}
			for _, c := range cs {
				if c.state != "running" || c.sha != head || !strings.HasSuffix(c.workingDir, "deploy/compose/"+vm.name) || !strings.HasSuffix(c.image, ":4.22.0") {
					t.Errorf("%s %s: %+v, want running %s from deploy/compose/%s at HEAD %s", vm.name, c.service, c, c.image, vm.name, head)
				}
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	// A bump of VM a to 5.2.0, merged.
	beforeA, beforeB := docoContainers(t, d, docoVMA), docoContainers(t, d, docoVMB)
	volA := d.Docker(t, "volume", "inspect", "-f", "{{.CreatedAt}}", docoVMA+"_cht-credentials")
	pollsB := agents[docoVMB].polls()
	_, set5 := h.publish(t, map[string]string{docoVMA: a.env("5.2.0", false), docoVMB: b.env("4.22.0", false)}, "bump hdoco-a to 5.2.0")
	want5 := services(t, set5, docoVMA)
	waitFor(t, "hdoco-a on 5.2.0 with nouveau", agents[docoVMA], func() bool {
		cs := docoContainers(t, d, docoVMA)
		if len(cs) != len(want5) {
			return false
		}
		for _, s := range want5 {
			if c, ok := cs[s]; !ok || !strings.HasSuffix(c.image, ":5.2.0") || c.state != "running" {
				return false
			}
		}
		return true
	})
	agents[docoVMA].waitJobs(t, agents[docoVMA].polls(), 1)
	agents[docoVMB].waitJobs(t, pollsB, 2)

	t.Run("the bump recreates only VM a's containers, on the new tag", func(t *testing.T) {
		after := docoContainers(t, d, docoVMA)
		if _, ok := after["nouveau"]; !ok {
			t.Errorf("no nouveau after 4.x -> 5.x")
		}
		for s, c := range after {
			if old, ok := beforeA[s]; ok && old.id == c.id {
				t.Errorf("%s of hdoco-a was not recreated (%s)", s, c.image)
			}
		}
		if got := docoContainers(t, d, docoVMB); !maps2Equal(got, beforeB) {
			t.Errorf("hdoco-b changed:\nbefore %v\nafter  %v", beforeB, got)
		}
		if v := d.Docker(t, "volume", "inspect", "-f", "{{.CreatedAt}}", docoVMA+"_cht-credentials"); v != volA {
			t.Errorf("cht-credentials volume re-created (%s, was %s)", v, volA)
		}
		if _, err := os.Stat(filepath.Join(a.composePath, "srv", "MARKER")); err != nil {
			t.Errorf("data folder marker lost in the bump: %v", err)
		}
	})

	t.Run("a container removed by hand comes back", func(t *testing.T) {
		api := docoContainers(t, d, docoVMA)["api"]
		d.Docker(t, "rm", "-f", api.id)
		waitFor(t, "hdoco-a api back", agents[docoVMA], func() bool {
			c, ok := docoContainers(t, d, docoVMA)["api"]
			return ok && c.state == "running" && strings.HasSuffix(c.image, ":5.2.0")
		})
	})
	agents[docoVMA].waitJobs(t, agents[docoVMA].polls(), 1)

	// VM a's environment removed, VM b suspended.
	beforeA = docoContainers(t, d, docoVMA)
	pollsA, pollsB := agents[docoVMA].polls(), agents[docoVMB].polls()
	errsA, _ := agents[docoVMA].sample("doco_cd_poll_errors_total")
	errsB, _ := agents[docoVMB].sample("doco_cd_poll_errors_total")
	h.publish(t, map[string]string{docoVMB: b.env("4.22.0", true)}, "remove hdoco-a, suspend hdoco-b")
	agents[docoVMA].waitJobs(t, pollsA, 2)
	agents[docoVMB].waitJobs(t, pollsB, 2)
	t.Run("removing or suspending stops the agent; data stays", func(t *testing.T) {
		// Each agent reports that it found no deploy file (docs: "logs an
		// error on each poll").
		for ag, before := range map[*docoAgent]float64{agents[docoVMA]: errsA, agents[docoVMB]: errsB} {
			if n, _ := ag.sample("doco_cd_poll_errors_total"); n <= before {
				t.Errorf("%s: no poll error after its deploy file went (%v, was %v)", ag.vm, n, before)
			}
		}
		if got := docoContainers(t, d, docoVMA); !maps2Equal(got, beforeA) {
			t.Errorf("the agent changed hdoco-a after its environment was removed:\nbefore %v\nafter  %v", beforeA, got)
		}
		if _, err := os.Stat(filepath.Join(a.composePath, "srv", "MARKER")); err != nil {
			t.Errorf("data folder marker lost after the removal: %v", err)
		}
		d.Docker(t, "volume", "inspect", docoVMA+"_cht-credentials")
		api := docoContainers(t, d, docoVMB)["api"]
		d.Docker(t, "rm", "-f", api.id)
		agents[docoVMB].waitJobs(t, agents[docoVMB].polls(), 2)
		if _, ok := docoContainers(t, d, docoVMB)["api"]; ok {
			t.Errorf("the agent of suspended hdoco-b re-created a container")
		}
		if _, err := os.Stat(filepath.Join(b.composePath, "srv", "MARKER")); err != nil {
			t.Errorf("hdoco-b's marker lost: %v", err)
		}
	})

	t.Run("no secret reaches Git or the agents' logs", func(t *testing.T) {
		history := gitRun(t, h.work, "log", "-p", "--all")
		logs := ""
		for _, ag := range agents {
			b, _ := os.ReadFile(ag.log)
			logs += string(b)
		}
		if !strings.Contains(logs, "job completed") {
			t.Errorf("the agents' logs hold no finished job: is this the log?")
		}
		for _, s := range append(secretValues, docoToken) {
			if strings.Contains(history, s) {
				t.Errorf("a secret (%d chars) is in the repository's history", len(s))
			}
			if strings.Contains(logs, s) {
				t.Errorf("a secret (%d chars) is in an agent's log", len(s))
			}
		}
		filepath.WalkDir(h.out, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && path.Base(p) == ".env" {
				t.Errorf("%s: a .env in the rendered tree", p)
			}
			return nil
		})
	})
}

func maps2Equal(a, b map[string]docoContainer) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w.id != v.id || w.image != v.image || w.state != v.state {
			return false
		}
	}
	return true
}
