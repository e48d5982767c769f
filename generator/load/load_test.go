package load_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
)

const head = "package environments\n"

// env wraps fields in a compose environment called dev (lines 2..).
func env(fields string) string {
	return head + "environments: dev: {\n\ttarget: \"compose\"\n\tversion: \"4.22.0\"\n\thost: \"localhost\"\n" + fields + "}\n"
}

func k8s(name, fields string) string {
	return "environments: " + name + ": {\n\ttarget: \"kubernetes\"\n\tversion: \"4.22.0\"\n\thost: \"" + name + ".example.org\"\n" + fields + "}\n"
}

const gitops = "gitops: repoURL: \"https://github.com/x/y\"\n"

func TestLoad_BadInputs(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string // each must appear in one diagnostic line
	}{
		{"unknown field typo", map[string]string{"a.cue": env("\tcouchdb: node: 3\n")},
			[]string{"envs/a.cue:6:11: environments.dev.couchdb.node: field not allowed (did you mean \"nodes\"?)"}},
		{"misspelt block", map[string]string{"a.cue": env("\tcouchdbb: nodes: 3\n")},
			[]string{"environments.dev.couchdbb: field not allowed (did you mean \"couchdb\"?)"}},
		{"misspelt field, case", map[string]string{"a.cue": env("\tcouchdb: loglevel: \"debug\"\n")},
			[]string{"environments.dev.couchdb.loglevel: field not allowed (did you mean \"logLevel\"?)"}},
		{"unknown field beside a conflict in the same environment", map[string]string{"a.cue": env("\tcouchdb: nodes: \"three\"\n\treplicas: 3\n\tcouchdb: logLevl: \"debug\"\n")},
			[]string{"environments.dev.couchdb.nodes", "envs/a.cue:7:2: environments.dev.replicas: field not allowed", "envs/a.cue:8:11: environments.dev.couchdb.logLevl: field not allowed"}},
		{"unknown top-level field", map[string]string{"a.cue": head + "enviroments: dev: {}\n"},
			[]string{"envs/a.cue:2:1: enviroments: field not allowed (did you mean \"environments\"?)"}},
		{"version without a patch number", map[string]string{"a.cue": head + "environments: dev: {target: \"compose\", version: \"5.2\", host: \"localhost\"}\n"},
			[]string{"environments.dev.version: \"5.2\" is not a CHT version (did you mean \"5.2.0\"?): want MAJOR.MINOR.PATCH"}},
		{"wrong type", map[string]string{"a.cue": env("\tcouchdb: nodes: \"3\"\n")},
			[]string{"envs/a.cue:6:18: environments.dev.couchdb.nodes: got \"3\""}},
		{"nodes out of range high", map[string]string{"a.cue": env("\tcouchdb: nodes: 40\n")},
			[]string{"envs/a.cue:6:18: environments.dev.couchdb.nodes: invalid value 40 (out of bound <=16)"}},
		{"nodes zero", map[string]string{"a.cue": env("\tcouchdb: nodes: 0\n")},
			[]string{"environments.dev.couchdb.nodes: invalid value 0 (out of bound >=1)"}},
		{"bad enum", map[string]string{"a.cue": env("\tnginx: tls: mode: \"LETSENCRYPT\"\n")},
			[]string{"envs/a.cue:6:20: environments.dev.nginx.tls.mode: got \"LETSENCRYPT\", want one of: \"AUTO_GENERATE\", \"OWN_CERT\", \"SELF_SIGNED\""}},
		{"bad target", map[string]string{"a.cue": head + "environments: dev: {target: \"docker\", version: \"4.22.0\", host: \"x\"}\n"},
			[]string{"environments.dev.target: got \"docker\", want one of: \"compose\", \"kubernetes\""}},
		{"missing host", map[string]string{"a.cue": head + "environments: dev: {\n\ttarget: \"compose\"\n\tversion: \"4.22.0\"\n}\n"},
			[]string{"envs/a.cue:2:15: environments.dev.host: required field is missing"}},
		{"missing version", map[string]string{"a.cue": head + "environments: dev: {\n\ttarget: \"compose\"\n\thost: \"x\"\n}\n"},
			[]string{"envs/a.cue:2:15: environments.dev.version: required field is missing"}},
		{"missing target", map[string]string{"a.cue": head + "environments: dev: {\n\tversion: \"4.22.0\"\n\thost: \"x\"\n}\n"},
			[]string{"envs/a.cue:2:15: environments.dev.target: required field is missing"}},
		{"version 6.x", map[string]string{"a.cue": head + "environments: dev: {target: \"compose\", version: \"6.0.0\", host: \"x\"}\n"},
			[]string{"envs/a.cue:2:40: environments.dev.version: CHT 6.0.0 is a 6.x release: cht-gen renders CHT 4.x and 5.x"}},
		{"version 3.x", map[string]string{"a.cue": head + "environments: dev: {target: \"compose\", version: \"3.17.2\", host: \"x\"}\n"},
			[]string{"environments.dev.version: CHT 3.17.2 is a 3.x release", "end of life"}},
		{"version not semver", map[string]string{"a.cue": head + "environments: dev: {target: \"compose\", version: \"4.22\", host: \"x\"}\n"},
			[]string{"environments.dev.version: \"4.22\" is not a CHT version (did you mean \"4.22.0\"?)"}},
		{"version 5.x with a leading v", map[string]string{"a.cue": head + "environments: dev: {target: \"compose\", version: \"v5.3.0\", host: \"x\"}\n"},
			[]string{"is not a CHT version: want MAJOR.MINOR.PATCH, three numbers", `e.g. "5.3.1"`, "no leading v"}},
		{"version with build metadata", map[string]string{"a.cue": head + "environments: dev: {target: \"compose\", version: \"5.3.0+build\", host: \"x\"}\n"},
			[]string{"is not a CHT version: want MAJOR.MINOR.PATCH, three numbers", "no leading v"}},
		{"version number not string", map[string]string{"a.cue": head + "environments: dev: {target: \"compose\", version: 4.22, host: \"x\"}\n"},
			[]string{"environments.dev.version:"}},
		{"pre-release on stable channel", map[string]string{"a.cue": head + "environments: dev: {target: \"compose\", version: \"4.19.0-beta.1\", host: \"x\"}\n"},
			[]string{"environments.dev.version: 4.19.0-beta.1 is a pre-release: set channel: \"beta\""}},
		{"version outside constraint", map[string]string{"a.cue": env("\tversionConstraint: \"~4.21\"\n")},
			[]string{"environments.dev.version: 4.22.0 does not satisfy versionConstraint \"~4.21\""}},
		{"bad constraint", map[string]string{"a.cue": env("\tversionConstraint: \"around four\"\n")},
			[]string{"envs/a.cue:6:2: environments.dev.versionConstraint: \"around four\" is not a semver range"}},
		{"upper-case name", map[string]string{"a.cue": head + "environments: Prod: {target: \"compose\", version: \"4.22.0\", host: \"x\"}\n"},
			[]string{"envs/a.cue:2:15: environments.Prod.name: invalid environment name \"Prod\""}},
		{"name escaping the output dir", map[string]string{"a.cue": head + "environments: \"../etc\": {target: \"compose\", version: \"4.22.0\", host: \"x\"}\n"},
			[]string{"environments.\"../etc\".name: invalid environment name \"../etc\""}},
		{"name too long", map[string]string{"a.cue": head + "environments: \"a23456789012345678901234567890123\": {target: \"compose\", version: \"4.22.0\", host: \"x\"}\n"},
			[]string{"invalid environment name"}},
		{"host with scheme", map[string]string{"a.cue": head + "environments: dev: {target: \"compose\", version: \"4.22.0\", host: \"https://x.org\"}\n"},
			[]string{"environments.dev.host: not a host name"}},
		{"kubernetes field on compose", map[string]string{"a.cue": env("\tnamespace: \"cht-dev\"\n")},
			[]string{"envs/a.cue:6:2: environments.dev.namespace: field not allowed"}},
		{"compose field on kubernetes", map[string]string{"a.cue": head + gitops + k8s("prod", "\tnginx: httpPort: 80\n")},
			[]string{"environments.prod.nginx: field not allowed"}},
		{"secret value in file", map[string]string{"a.cue": env("\tcouchdb: password: \"hunter2\"\n")},
			[]string{"environments.dev.couchdb.password: field not allowed: secrets never live in environment files"}},
		{"secret value in file, other name", map[string]string{"a.cue": env("\tcouchdb: adminPassword: \"hunter2\"\n")},
			[]string{"environments.dev.couchdb.adminPassword: field not allowed: secrets never live in environment files", "cht-gen secrets ENV"}},
		{"namespace clash on one cluster", map[string]string{"a.cue": head + gitops + k8s("uat", "") + k8s("prod", "\tnamespace: \"cht-uat\"\n")},
			[]string{"envs/a.cue:3:15: environments.uat.namespace: namespace \"cht-uat\" on cluster \"default\" is already used by environment \"prod\""}},
		{"host of another environment", map[string]string{"a.cue": head + "environments: a: {target: \"compose\", version: \"4.22.0\", host: \"cht.example.org\"}\nenvironments: b: {target: \"compose\", version: \"4.22.0\", host: \"cht.example.org\"}\n"},
			[]string{"envs/a.cue:3:57: environments.b.host: \"cht.example.org\" is already the host of environment \"a\""}},
		{"missing repoURL", map[string]string{"a.cue": head + k8s("prod", "")},
			[]string{"envs/a.cue:2:15: environments.prod.repoURL: required field is missing: Kubernetes environments and Compose VMs under doco-cd are deployed from Git"}},
		{"port out of range", map[string]string{"a.cue": env("\tnginx: httpPort: 70000\n")},
			[]string{"environments.dev.nginx.httpPort: invalid value 70000 (out of bound <=65535)"}},
		{"same http and https port", map[string]string{"a.cue": env("\tnginx: {httpPort: 8443, httpsPort: 8443}\n")},
			[]string{"environments.dev.nginx.httpsPort: is the same port as nginx.httpPort (8443)"}},
		{"subPath over local.d", map[string]string{"a.cue": head + gitops + k8s("prod", "\tcouchdb: storage: subPath: \"local.d\"\n")},
			[]string{"environments.prod.couchdb.storage.subPath: \"local.d\" overlaps the local.d subPath"}},
		{"subPath escaping volume", map[string]string{"a.cue": head + gitops + k8s("prod", "\tcouchdb: storage: subPath: \"../data\"\n")},
			[]string{"environments.prod.couchdb.storage.subPath"}},
		{"placement count mismatch", map[string]string{"a.cue": head + gitops + k8s("prod", "\tcouchdb: {nodes: 3, placement: nodes: [\"a\", \"b\"]}\n")},
			[]string{"environments.prod.couchdb.placement.nodes: has 2 entries for 3 CouchDB node(s)"}},
		{"dataPaths count mismatch", map[string]string{"a.cue": env("\tcouchdb: {nodes: 3, dataPaths: [\"/srv/a\"]}\n")},
			[]string{"environments.dev.couchdb.dataPaths: has 1 entries for 3 CouchDB node(s)"}},
		{"ulimit too low", map[string]string{"a.cue": env("\tcouchdb: ulimit: 10\n")},
			[]string{"environments.dev.couchdb.ulimit: invalid value 10 (out of bound >=1024)"}},
		{"syntax error", map[string]string{"a.cue": head + "environments: dev: {\n\ttarget: \"compose\"\n"},
			[]string{"envs/a.cue:3:20: expected '}', found 'EOF'"}},
		{"yaml-ish junk", map[string]string{"a.cue": head + "- name: dev\n  target: compose\n"},
			[]string{"envs/a.cue:2:"}},
		{"wrong package", map[string]string{"a.cue": "package prod\nenvironments: {}\n"},
			[]string{"envs/a.cue:1:1: declares package \"prod\": environment files must be `package environments`"}},
		{"no package clause", map[string]string{"a.cue": "environments: {}\n"},
			[]string{"envs/a.cue:1:1: has no package clause"}},
		{"empty directory", map[string]string{"README.md": "hi"},
			[]string{"envs: no *.cue files"}},
		{"no environments", map[string]string{"a.cue": head + gitops},
			[]string{"envs/a.cue:1:1: environments: no environments declared"}},
		{"not utf-8", map[string]string{"a.cue": head + "environments: dev: {host: \"\xff\"}\n"},
			[]string{"envs/a.cue:2:28: is not valid UTF-8 text"}},
		{"conflict between two files", map[string]string{
			"a.cue": env(""),
			"b.cue": head + "environments: dev: version: \"4.21.0\"\n"},
			[]string{"environments.dev.version: conflicting values"}},
		{"imports", map[string]string{"a.cue": head + "import \"strings\"\nenvironments: dev: host: strings.ToLower(\"X\")\n"},
			[]string{"envs/a.cue:2:8: imports are not supported"}},
		{"huge file", map[string]string{"a.cue": head + "// " + strings.Repeat("x", load.MaxFileSize) + "\n"},
			[]string{"envs/a.cue:1:1: is 1048601 bytes: environment files are limited"}},
		{"existing volumes count", map[string]string{"a.cue": head + gitops + k8s("prod", "\tcouchdb: {nodes: 3, storage: existing: ebsVolumeIDs: [\"vol-0abc\"]}\n")},
			[]string{"environments.prod.couchdb.storage.existing: lists 1 volume(s) for 3 CouchDB node(s)"}},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d bad inputs", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, c := range tc.files {
				fsys[n] = &fstest.MapFile{Data: []byte(c)}
			}
			res, err := load.Load(fsys, "envs")
			if err == nil {
				t.Fatalf("loaded %d environments, want an error", len(res.Environments))
			}
			var le load.Errors
			if !errors.As(err, &le) {
				t.Fatalf("error %T %v is not load.Errors", err, err)
			}
			text := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("errors do not contain %q:\n%s", w, text)
				}
			}
			for _, d := range le {
				if d.Pos.File == "" || (d.Pos.Line == 0 && d.Pos.File != "envs") {
					t.Errorf("diagnostic without a user position: %s", d)
				}
			}
		})
	}
}

func TestLoad_Defaults(t *testing.T) {
	fsys := fstest.MapFS{
		"a.cue": {Data: []byte(head + gitops + k8s("prod", "\tcouchdb: nodes: 3\n") + "environments: dev: {target: \"compose\", version: \"4.22.0\", host: \"localhost\"}\n")},
	}
	res, err := load.Load(fsys, "envs")
	if err != nil {
		t.Fatal(err)
	}
	prod, _ := res.Lookup("prod")
	dev, _ := res.Lookup("dev")
	tests := []struct {
		name      string
		got, want any
	}{
		{"k8s namespace", prod.Namespace, "cht-prod"},
		{"k8s cluster", prod.Cluster, "default"},
		{"k8s reconciler", prod.GitOps, "flux"},
		{"k8s repo from gitops block", prod.RepoURL, "https://github.com/x/y"},
		{"k8s branch", prod.Branch, "main"},
		{"k8s path prefix", prod.PathPrefix, "deploy"},
		{"k8s upgrade service off", prod.UpgradeService.Enabled, false},
		{"k8s couchdb user (chart default)", prod.CouchDB.User, "medic"},
		{"k8s secret name", prod.Credentials.SecretName, "cht-couchdb-credentials"},
		{"k8s storage subPath", prod.CouchDB.Storage.SubPath, "data"},
		{"k8s ingress provider", prod.Ingress.Provider, "nginx"},
		{"k8s nodes", prod.CouchDB.Nodes, 3},
		{"compose nodes", dev.CouchDB.Nodes, 1},
		{"compose couchdb user (compose default)", dev.CouchDB.User, "admin"},
		{"compose upgrade service on", dev.UpgradeService.Enabled, true},
		{"compose TLS", dev.Nginx.TLS.Mode, model.TLSSelfSigned},
		{"compose ports", [2]int{dev.Nginx.HTTPPort, dev.Nginx.HTTPSPort}, [2]int{80, 443}},
		{"compose project", dev.Project, "dev"},
		{"compose network", dev.Network, "cht-net"},
		{"compose log size", dev.Logging.MaxSize, "50m"},
		{"compose log files", dev.Logging.MaxFiles, 20},
		{"couchdb log level", dev.CouchDB.LogLevel, "info"},
		{"channel", dev.Channel, "stable"},
		{"builds URL", dev.Builds.URL(), "https://staging.dev.medicmobile.org/_couch/builds_4"},
		{"source position", dev.Source.String(), "envs/a.cue:9:15"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if len(res.Warnings) != 0 {
		t.Errorf("unexpected warnings %v", res.Warnings)
	}
}

func TestLoad_UpgradeServiceUnderGitOpsWarns(t *testing.T) {
	fsys := fstest.MapFS{"a.cue": {Data: []byte(head + gitops + k8s("prod", "\tupgradeService: enabled: true\n"))}}
	res, err := load.Load(fsys, "envs")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].String(), "envs/a.cue:7:18: warning: environments.prod.upgradeService.enabled: the upgrade service patches Deployment images") {
		t.Fatalf("warnings = %v", res.Warnings)
	}
}

// haproxy.port is HAPROXY_PORT on Compose; on Kubernetes Medic's charts fix
// 5984 (Service, healthcheck, COUCH_URL), so another port warns, naming the
// line, instead of being dropped silently.
func TestLoad_HAProxyPortOnKubernetesWarns(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"kubernetes 6984", gitops + k8s("prod", "\thaproxy: port: 6984\n"), "envs/a.cue:7:11: warning: environments.prod.haproxy.port: has no effect on Kubernetes"},
		{"kubernetes 5984", gitops + k8s("prod", "\thaproxy: port: 5984\n"), ""},
		{"kubernetes default", gitops + k8s("prod", ""), ""},
		{"compose 6984", env("\thaproxy: port: 6984\n")[len(head):], ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(head + tc.src)}}, "envs")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && len(res.Warnings) != 0:
				t.Errorf("unexpected warnings %v", res.Warnings)
			case tc.want != "" && (len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].String(), tc.want)):
				t.Errorf("warnings = %v, want one containing %q", res.Warnings, tc.want)
			}
		})
	}
}
