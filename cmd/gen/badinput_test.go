package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/lockedfile"
)

// cliBinary is cht-gen built once for the tests that run it as a process
// (exit codes, signals, a runaway evaluation that must not stay in the
// test binary).
var cliBinary struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cliBinary.dir != "" {
		os.RemoveAll(cliBinary.dir)
	}
	os.Exit(code)
}

func builtCLI(t *testing.T) string {
	t.Helper()
	cliBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "cht-gen-bin-*")
		if err != nil {
			cliBinary.err = err
			return
		}
		cliBinary.dir = dir
		os.Chmod(dir, 0o755) // the read-only case runs it as another user
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "cht-gen"), ".").CombinedOutput()
		if err != nil {
			cliBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliBinary.err != nil {
		t.Fatal(cliBinary.err)
	}
	return filepath.Join(cliBinary.dir, "cht-gen")
}

// badCase is one bad input: what to break in a copy of a hosting
// repository (examples rendered and committed), the command, and what the
// error must say. Every case must exit non-zero and leave the repository,
// .git included, byte for byte as it was.
type badCase struct {
	name  string
	setup func(t *testing.T, repo string)
	args  []string
	env   []string
	code  int // 0 means 1
	want  []string
	never []string // must not appear in stderr
}

func write(name, content string) func(*testing.T, string) {
	return func(t *testing.T, repo string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func edit(name, old, new string) func(*testing.T, string) {
	return func(t *testing.T, repo string) {
		t.Helper()
		p := filepath.Join(repo, name)
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(old)) {
			t.Fatalf("%s does not contain %q (%v)", name, old, err)
		}
		os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
	}
}

func steps(fs ...func(*testing.T, string)) func(*testing.T, string) {
	return func(t *testing.T, repo string) {
		for _, f := range fs {
			f(t, repo)
		}
	}
}

const envHead = "package environments\n\n"

// nested is n structs inside each other.
func nested(n int) string {
	return envHead + "_deep: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) + "\n"
}

// doubling is a list that doubles forty times: CUE terminates, in 2^40 steps.
func doubling() string {
	var b strings.Builder
	b.WriteString(envHead + "_l0: [1, 1]\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "_l%d: [for x in _l%d {x}, for x in _l%d {x}]\n", i, i-1, i-1)
	}
	b.WriteString("environments: dev: couchdb: nodes: len(_l40)\n")
	return b.String()
}

func badInputCases() []badCase {
	const dev = "environments/dev.cue"
	const cluster = "environments/cluster.cue"
	devEnv := func(extra string) string {
		return envHead + "environments: extra: {target: \"compose\", version: \"4.22.0\", host: \"extra.example.org\"" + extra + "}\n"
	}
	return []badCase{
		// Environment files, through validate, render, render --check and diff.
		{name: "non-UTF-8 bytes", setup: write("environments/bin.cue", envHead+"// caf\xe9\n"), args: []string{"render"},
			want: []string{"environments/bin.cue", "UTF-8"}},
		{name: "10 MB file", setup: write("environments/huge.cue", envHead+"// "+strings.Repeat("x", 10<<20)+"\n"), args: []string{"render"},
			want: []string{"environments/huge.cue:1:1", "limited to 1048576 bytes"}},
		{name: "deeply nested structs", setup: write("environments/deep.cue", nested(20000)), args: []string{"validate"},
			want: []string{"environments/deep.cue:3:", "maximum nesting depth"}},
		{name: "structural cycle", setup: write("environments/cycle.cue", envHead+"_a: b: _a\nenvironments: dev: couchdb: nodes: _a.b.c\n"), args: []string{"render"},
			want: []string{"environments/cycle.cue:3:1", "structural cycle"}},
		{name: "list that doubles forty times", setup: write("environments/boom.cue", doubling()), args: []string{"render"},
			want: []string{"environments: evaluating the environments used more than", "values that multiply"}},
		{name: "huge list literal", setup: write("environments/list.cue", envHead+"environments: dev: couchdb: dataPaths: ["+strings.Repeat("\"/srv/x\", ", 80000)+"]\n"), args: []string{"validate"},
			want: []string{"environments/list.cue:3:40", "a list of 80000 elements"}},
		{name: "symlink pointing outside", setup: func(t *testing.T, repo string) {
			outside := filepath.Join(t.TempDir(), "elsewhere.cue")
			os.WriteFile(outside, []byte(envHead), 0o644)
			if err := os.Symlink(outside, filepath.Join(repo, "environments", "link.cue")); err != nil {
				t.Fatal(err)
			}
		}, args: []string{"render"}, want: []string{"environments/link.cue", "symbolic link"}},
		{name: "name that is not lower-case", setup: write("environments/upper.cue", envHead+"environments: Prod: {target: \"compose\", version: \"4.22.0\", host: \"p.example.org\"}\n"), args: []string{"render"},
			want: []string{"environments/upper.cue:3:15", "environments.Prod.name", "DNS labels"}},
		{name: "host of another environment", setup: write("environments/copy.cue", envHead+"environments: prod2: {target: \"compose\", version: \"4.22.0\", host: \"cht.example.org\"}\n"), args: []string{"render", "--check"},
			want: []string{"environments/copy.cue:3:", "environments.prod2.host", "already the host of environment \"prod\""}},
		{name: "namespace clash", setup: edit(cluster, `host:    "staging.cht.example.org"`, "host:    \"staging.cht.example.org\"\n\tnamespace: \"cht-prod\""), args: []string{"diff"},
			want: []string{"environments/cluster.cue", "environments.staging.namespace", "already used by environment \"prod\""}},
		{name: "unknown field", setup: write("environments/x.cue", devEnv(", replicas: 3")), args: []string{"render"},
			want: []string{"environments/x.cue:3:", "environments.extra.replicas: field not allowed"}},
		{name: "password in the file", setup: write("environments/x.cue", devEnv(", couchdb: password: \"hunter2\"")), args: []string{"render"},
			want: []string{"environments.extra.couchdb.password: field not allowed"}},
		{name: "CHT 6.x", setup: edit(dev, `version: "4.22.0"`, `version: "6.0.0"`), args: []string{"render"},
			want: []string{"environments/dev.cue", "environments.dev.version", "6.x release", "4.x and 5.x"}},
		{name: "CHT 3.x", setup: edit(dev, `version: "4.22.0"`, `version: "3.17.0"`), args: []string{"validate"},
			want: []string{"environments.dev.version", "3.x"}},
		{name: "unknown target", setup: edit(dev, `target:  "compose"`, `target:  "swarm"`), args: []string{"render"},
			want: []string{"environments.dev.target", "compose", "kubernetes"}},
		{name: "syntax error", setup: write("environments/broken.cue", envHead+"environments: x: {\n"), args: []string{"render"},
			want: []string{"environments/broken.cue:3:20: expected '}'"}},
		{name: "wrong package", setup: write("environments/other.cue", "package other\n"), args: []string{"render"},
			want: []string{"environments/other.cue", "package"}},
		{name: "import", setup: write("environments/imp.cue", envHead+"import \"strings\"\n\n_x: strings.ToUpper(\"a\")\n"), args: []string{"render"},
			want: []string{"environments/imp.cue", "import"}},
		{name: "no environments directory", args: []string{"render", "-e", "nowhere"},
			want: []string{"environments directory nowhere", "no such file"}},
		{name: "environments directory is a file", args: []string{"validate", "-e", "environments/dev.cue"},
			want: []string{"environments/dev.cue is not a directory"}},
		{name: "no CUE files", setup: func(t *testing.T, repo string) { os.MkdirAll(filepath.Join(repo, "empty"), 0o755) }, args: []string{"render", "-e", "empty"},
			want: []string{"empty: no *.cue files"}},

		// The output directory.
		{name: "output is a file", args: []string{"render", "-o", "README.md"}, setup: write("README.md", "hello\n"),
			want: []string{"--out README.md exists and is not a directory"}},
		{name: "output inside the environments directory", args: []string{"render", "-o", "environments/deploy"},
			want: []string{"--out environments/deploy is inside the environments directory", "side by side"}},
		{name: "output is the environments directory", args: []string{"render", "-o", "environments"},
			want: []string{"--out environments is the environments directory"}},
		{name: "environments inside the output", args: []string{"render", "-e", "deploy/kubernetes", "-o", "deploy"},
			want: []string{"the environments directory deploy/kubernetes is inside --out deploy"}},
		{name: "output stale under --check", setup: edit(cluster, `version: "4.21.1"`, `version: "4.22.0"`), args: []string{"render", "--check"},
			want: []string{"deploy is out of date", "run cht-gen render"}},
		{name: "output locked by another run", setup: steps(edit(cluster, `version: "4.21.1"`, `version: "4.22.0"`), holdLock), args: []string{"render"},
			want: []string{"another cht-gen is writing deploy", "wait for it to finish"}},
		{name: "extra argument", args: []string{"render", "prod"}, code: 2, want: []string{"cht-gen render --help"}},
		{name: "unknown flag", args: []string{"render", "--force"}, code: 2, want: []string{"unknown flag: --force", "--help"}},

		// secrets
		{name: "secrets for an unknown environment", args: []string{"secrets", "nope"},
			want: []string{`no environment "nope"`, "known: [dev district-vm partner-a prod staging uat]"}},
		{name: "secrets over an existing file", setup: write("prod.env", "COUCHDB_PASSWORD=old\n"), args: []string{"secrets", "prod", "-o", "prod.env"},
			want: []string{"prod.env exists", "never overwrites"}},
		{name: "secrets into the environments directory", args: []string{"secrets", "prod", "-o", "environments/prod.env"},
			want: []string{"inside the environments directory", "outside the repository"}},
		{name: "secrets into a missing folder", args: []string{"secrets", "prod", "-o", "nowhere/prod.env"},
			want: []string{"folder nowhere does not exist"}},
		{name: "secrets without an environment", args: []string{"secrets"}, code: 2, want: []string{"cht-gen secrets --help"}},
		{name: "secrets with a broken environment file", setup: write("environments/bin.cue", "\xff"), args: []string{"secrets", "prod"},
			want: []string{"environments/bin.cue", "UTF-8"}},

		// bump and promote
		{name: "bump an unknown environment", args: []string{"bump", "nope", "--to", "4.22.0"},
			want: []string{`no environment "nope"`}},
		{name: "bump to 6.x", args: []string{"bump", "prod", "--to", "6.0.0"}, want: []string{"6.x release", "4.x and 5.x"}},
		{name: "bump to a non-version", args: []string{"bump", "prod", "--to", "latest"}, want: []string{`"latest" is not a semantic version`, "4.22.0"}},
		{name: "bump downgrade", args: []string{"bump", "prod", "--to", "4.20.0"}, want: []string{"older than its current 4.21.1", "--allow-downgrade"}},
		{name: "bump to a pre-release on stable", args: []string{"bump", "prod", "--to", "4.22.0-beta.1"}, want: []string{"stable channel", `channel: "beta"`}},
		{name: "bump without a version", args: []string{"bump", "prod"}, code: 2, want: []string{"--to VERSION or --latest"}},
		{name: "bump names and --all", args: []string{"bump", "prod", "--all", "--to", "4.22.0"}, code: 2, want: []string{"name environments or pass --all"}},
		{name: "bump --push without the remote", args: []string{"bump", "prod", "--to", "4.22.0", "--push"},
			want: []string{`remote "origin"`, "git remote add origin"}},
		{name: "bump with a broken environment file", setup: write("environments/x.cue", devEnv(", replicas: 3")), args: []string{"bump", "prod", "--to", "4.22.0"},
			want: []string{"environments.extra.replicas: field not allowed"}},
		{name: "bump with the output a file", setup: write("out.txt", "x"), args: []string{"bump", "prod", "--to", "4.22.0", "-o", "out.txt"},
			want: []string{"--out out.txt exists and is not a directory"}},
		{name: "bump 4.0-4.4 straight to 5.x", setup: edit(dev, `version: "4.22.0"`, `version: "4.3.0"`), args: []string{"bump", "dev", "--to", "5.2.0"},
			want: []string{"4.3.0 -> 5.2.0 is not a supported upgrade", "4.5 or later before 5.x", "preparing-for-5"}},
		{name: "bump a Kubernetes upgrade service to 5.x", setup: edit(cluster, `host:    "cht.example.org"`, "host:    \"cht.example.org\"\n\tupgradeService: enabled: true"),
			args: []string{"bump", "prod", "--to", "5.2.0"}, want: []string{"environments/cluster.cue:", "environments.prod.upgradeService.enabled", "no upgrade service on Kubernetes"}},
		{name: "promote to an unknown environment", args: []string{"promote", "staging", "nope"}, want: []string{`no environment "nope"`}},
		{name: "promote with one environment", args: []string{"promote", "staging"}, code: 2, want: []string{"cht-gen promote --help"}},

		// diff
		{name: "diff against a missing revision", args: []string{"diff", "--base", "v9.9.9"},
			want: []string{"--base v9.9.9: no such revision", "origin/main"}},
		{name: "diff with the output a file", setup: write("out.txt", "x"), args: []string{"diff", "-o", "out.txt"},
			want: []string{"--out out.txt exists and is not a directory"}},
		{name: "diff with a broken environment file", setup: write("environments/broken.cue", envHead+"environments: x: {\n"), args: []string{"diff"},
			want: []string{"environments/broken.cue:3:20: expected '}'"}},

		// Values checked for where they land (a shell, compose, Kubernetes,
		// a host path, a URL in Git), and budgets that input cannot raise.
		{name: "certbot e-mail that runs a command", setup: write("environments/x.cue", devEnv(`, nginx: tls: {mode: "AUTO_GENERATE", acmeEmail: "x@y.org;>FILE;true"}`)), args: []string{"render"},
			want: []string{"environments/x.cue:3:", "environments.extra.nginx.tls.acmeEmail", "not a plain e-mail address"}},
		{name: "marketURL that reads the CouchDB password", setup: write("environments/x.cue", devEnv(`, builds: marketURL: "https://m.example.org/x}${COUCHDB_PASSWORD}"`)), args: []string{"render"},
			want: []string{"environments/x.cue:3:", "environments.extra.builds.marketURL", "brace"}},
		{name: "file name with a newline", setup: write("environments/a\nsource: evil.cue", devEnv("")), args: []string{"render"},
			want: []string{"environments: file name", "control character"}},
		{name: "repoURL with a token", setup: edit("environments/gitops.cue", `"https://github.com/example-moh/cht-hosting"`, `"https://x-access-token:ghp_secret@github.com/example-moh/cht-hosting"`), args: []string{"render"},
			want: []string{"environments/gitops.cue:6:2: gitops.repoURL: carries credentials"}, never: []string{"ghp_secret"}},
		{name: "composePath is the root folder", setup: write("environments/x.cue", devEnv(`, composePath: "/"`)), args: []string{"render"},
			want: []string{"environments.extra.composePath", "is the root folder"}},
		{name: "dataPaths in a system folder", setup: write("environments/x.cue", devEnv(`, couchdb: dataPaths: ["/var/lib/docker/volumes/cht"]`)), args: []string{"validate"},
			want: []string{"environments.extra.couchdb.dataPaths.0", "system folder /var/lib/docker"}},
		{name: "annotation key Kubernetes refuses", setup: edit(cluster, `ingress: provider: "nginx"`, `ingress: {provider: "nginx", annotations: "bad key/x/y": "1"}`), args: []string{"render"},
			want: []string{"environments/cluster.cue:", `environments.uat.ingress.annotations."bad key/x/y"`, "not an annotation key"}},
		{name: "registry that is not a registry", setup: write("environments/x.cue", devEnv(`, registry: "medic"`)), args: []string{"render"},
			want: []string{"environments.extra.registry", "not an image registry"}},
		{name: "secrets into the render output", args: []string{"secrets", "district-vm", "-o", "deploy/compose/district-vm/.env"},
			want: []string{"inside the render output deploy", "~/cht-secrets/district-vm.env"}},
		{name: "string doublings beside 1 MB of padding", setup: steps(write("environments/pad.cue", envHead+"_pad: \""+strings.Repeat("x", 1000000)+"\"\n"), write("environments/boom.cue", stringDoubling())), args: []string{"validate"},
			want: []string{"environments: evaluating the environments used more than 768 MiB of memory"}}, // padding does not raise the bound
		{name: "sum of 200,000 terms", setup: write("environments/sum.cue", envHead+"_n: "+strings.Repeat("1+", 200000)+"1\n"), args: []string{"validate"},
			want: []string{"environments/sum.cue:3:5", "an expression of 200001 terms"}, never: []string{"comprehension"}},
		{name: "schema and semantic errors together", setup: steps(
			edit("environments/gitops.cue", `repoURL:    "https://github.com/example-moh/cht-hosting"`, ""),
			edit(cluster, `version: "4.22.0"
	host:    "uat.cht.example.org"`, `version: "3.17.0"
	host:    "uat.cht.example.org"`),
			edit(dev, `version: "4.22.0"`, `version: "6.0.0"`)), args: []string{"validate"},
			want: []string{"environments.uat.repoURL: required field is missing", "environments.uat.version: CHT 3.17.0 is a 3.x release", "environments/dev.cue:7:2: environments.dev.version: CHT 6.0.0 is a 6.x release"}},
	}
}

// stringDoubling is a string that doubles forty times.
func stringDoubling() string {
	var b strings.Builder
	b.WriteString(envHead + "_s0: \"xx\"\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "_s%d: _s%d + _s%d\n", i, i-1, i-1)
	}
	b.WriteString("environments: dev: host: \"h\" + _s40\n")
	return b.String()
}

// holdLock takes the lock a render of deploy takes, as a concurrent run
// would, for the rest of the test.
func holdLock(t *testing.T, repo string) {
	t.Helper()
	unlock, err := lockedfile.MutexAt(filepath.Join(repo, "deploy", ".cht-gen.lock")).Lock()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
}

func TestCLI_BadInputMatrix(t *testing.T) {
	bin := builtCLI(t)
	template, _ := hostingRepo(t)
	cases := badInputCases()
	if len(cases) < 40 {
		t.Fatalf("%d cases, the matrix promises at least 40", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "list that doubles forty times" || c.name == "string doublings beside 1 MB of padding" {
				t.Parallel() // seconds to reach the heap budget
			}
			repo := t.TempDir()
			if err := os.CopyFS(repo, os.DirFS(template)); err != nil {
				t.Fatal(err)
			}
			if c.setup != nil {
				c.setup(t, repo)
			}
			before := snapshot(t, repo)
			cmd := exec.Command(bin, c.args...)
			cmd.Dir = repo
			cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, c.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := cmd.ProcessState.ExitCode()
			want := c.code
			if want == 0 {
				want = 1
			}
			if code != want {
				t.Errorf("exit %d (%v), want %d\nstderr:\n%s", code, err, want, stderr.String())
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr.String())
				}
			}
			for _, w := range c.never {
				if strings.Contains(stderr.String(), w) {
					t.Errorf("stderr says %q:\n%s", w, stderr.String())
				}
			}
			if s := stderr.String() + stdout.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
				t.Errorf("crashed:\n%s", s)
			}
			if after := snapshot(t, repo); after != before {
				t.Errorf("the repository changed:\n%s", firstDifference(before, after))
			}
		})
	}
}

// firstDifference shows the first line where two snapshots differ.
func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("before: %s\nafter:  %s", x, y)
		}
	}
	return ""
}

// A read-only output: run as an unprivileged user when the tests run as
// root (root writes through file modes), else with the modes removed.
func TestCLI_ReadOnlyOutput(t *testing.T) {
	bin := builtCLI(t)
	template, _ := hostingRepo(t)
	repo, err := os.MkdirTemp("", "cht-gen-readonly-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(repo, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(repo)
	})
	if err := os.CopyFS(repo, os.DirFS(template)); err != nil {
		t.Fatal(err)
	}
	edit("environments/cluster.cue", `version: "4.21.1"`, `version: "4.22.0"`)(t, repo)
	cmd := exec.Command(bin, "render")
	cmd.Dir = repo
	cmd.Env = []string{"HOME=" + os.TempDir(), "PATH=" + os.Getenv("PATH")}
	if os.Geteuid() == 0 {
		filepath.WalkDir(repo, func(p string, d os.DirEntry, err error) error {
			if err == nil {
				mode := os.FileMode(0o644)
				if d.IsDir() {
					mode = 0o755
				}
				os.Chmod(p, mode)
			}
			return nil
		})
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	} else {
		os.Chmod(filepath.Join(repo, "deploy"), 0o555)
		os.Chmod(repo, 0o555)
	}
	before := snapshot(t, repo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit %d (%v), want 1:\n%s", code, err, stderr.String())
	}
	for _, w := range []string{"permission denied", "needs write access to"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr does not say %q:\n%s", w, stderr.String())
		}
	}
	if after := snapshot(t, repo); after != before {
		t.Errorf("the repository changed:\n%s", firstDifference(before, after))
	}
}
