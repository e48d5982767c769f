package load_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/load"
)

// Values are checked for the context they land in (a compose file, a
// container's arguments, a Kubernetes object, a host path, a URL in Git),
// each reported as file:line:col: path: message.
func TestLoad_HostileValues(t *testing.T) {
	cases := []struct {
		name, file string
		want       string
	}{
		{"e-mail that runs a command", env("\tnginx: tls: {mode: \"AUTO_GENERATE\", acmeEmail: \"x@y.org;>FILE;true\"}\n"),
			`envs/a.cue:6:38: environments.dev.nginx.tls.acmeEmail: "x@y.org;>FILE;true" is not a plain e-mail address`},
		{"subject e-mail with a dollar", env("\tnginx: tls: email: \"a$(id)@y.org\"\n"),
			`envs/a.cue:6:14: environments.dev.nginx.tls.email: "a$(id)@y.org" is not a plain e-mail address`},
		{"marketURL reading a secret", env("\tbuilds: marketURL: \"https://m.example.org/x}${COUCHDB_PASSWORD}\"\n"),
			`envs/a.cue:6:10: environments.dev.builds.marketURL: holds a space, quote, backslash, brace or control character`},
		{"marketURL with a token", env("\tbuilds: marketURL: \"https://user:token@m.example.org\"\n"),
			`envs/a.cue:6:10: environments.dev.builds.marketURL: carries credentials`},
		{"repoURL with a token", head + "gitops: repoURL: \"https://x-access-token:ghp_abc@github.com/moh/deploy\"\n" + k8s("prod", ""),
			`envs/a.cue:2:9: gitops.repoURL: carries credentials`},
		{"repoURL scp-like with a password", head + "gitops: repoURL: \"ssh://git:pw@github.com/moh/deploy\"\n" + k8s("prod", ""),
			`envs/a.cue:2:9: gitops.repoURL: carries credentials (ssh://<user info>@...)`},
		{"composePath is root", env("\tcomposePath: \"/\"\n"),
			`envs/a.cue:6:2: environments.dev.composePath: is the root folder`},
		{"composePath with ..", env("\tcomposePath: \"/srv/../etc\"\n"),
			`environments.dev.composePath: "/srv/../etc" contains ".."`},
		{"composePath not clean", env("\tcomposePath: \"/srv/cht//dev/\"\n"),
			`environments.dev.composePath: "/srv/cht//dev/" is not clean: write it as "/srv/cht/dev"`},
		{"dataPaths in /etc", env("\tcouchdb: dataPaths: [\"/etc/couchdb\"]\n"),
			`envs/a.cue:6:23: environments.dev.couchdb.dataPaths.0: "/etc/couchdb" is inside the system folder /etc`},
		{"dataPaths relative", env("\tcouchdb: dataPaths: [\"./srv\"]\n"),
			`environments.dev.couchdb.dataPaths.0: "./srv" is relative`},
		{"dataPaths in docker's state", env("\tcouchdb: dataPaths: [\"/var/lib/docker/volumes/x\"]\n"),
			`is inside the system folder /var/lib/docker`},
		{"certDir relative", env("\tnginx: tls: {mode: \"OWN_CERT\", certDir: \"./certs\"}\n"),
			`environments.dev.nginx.tls.certDir: "./certs" is relative`},
		{"certDir a whole top folder", env("\tnginx: tls: {mode: \"OWN_CERT\", certDir: \"/srv\"}\n"),
			`environments.dev.nginx.tls.certDir: "/srv" is a whole system folder`},
		{"hostPaths in /proc", head + gitops + k8s("prod", "\tcouchdb: {storage: existing: hostPaths: [\"/proc/1\"], placement: nodes: [\"n1\"]}\n"),
			`environments.prod.couchdb.storage.existing.hostPaths.0: "/proc/1" is inside the system folder /proc`},
		{"annotation key", head + gitops + k8s("prod", "\tingress: annotations: \"bad key!\": \"x\"\n"),
			`envs/a.cue:7:24: environments.prod.ingress.annotations."bad key!": "bad key!" is not an annotation key`},
		{"annotations too large", head + gitops + k8s("prod", "\tingress: annotations: \"a\": \""+strings.Repeat("x", 256<<10)+"\"\n"),
			`environments.prod.ingress.annotations: annotations total more than 262144 bytes`},
		{"placement node not a label value", head + gitops + k8s("prod", "\tcouchdb: placement: nodes: [\""+strings.Repeat("abcdefghi.", 7)+"org\"]\n"),
			`environments.prod.couchdb.placement.nodes.0: "` + strings.Repeat("abcdefghi.", 7) + `org" cannot be a kubernetes.io/hostname label value: must be no more than 63 bytes`},
		{"host over 253 characters", head + "environments: dev: {target: \"compose\", version: \"4.22.0\", host: \"" + strings.Repeat("a.", 130) + "org\"}\n",
			`environments.dev.host: "` + strings.Repeat("a.", 130) + `org" is not a host name: must be no more than 253 characters`},
		{"ingress class name", head + gitops + k8s("prod", "\tingress: className: \"Nginx Public\"\n"),
			`envs/a.cue:7:11: environments.prod.ingress.className: "Nginx Public" is not a Kubernetes object name`},
		{"storage class name", head + gitops + k8s("prod", "\tcouchdb: storage: class: \""+strings.Repeat("a", 254)+"\"\n"),
			`environments.prod.couchdb.storage.class: "` + strings.Repeat("a", 254) + `" is not a Kubernetes object name: must be no more than 253 characters`},
		{"upgrade service tag", env("\tupgradeService: tag: \"-latest\"\n"),
			`envs/a.cue:6:18: environments.dev.upgradeService.tag: "-latest" is not an image tag`},
		{"registry without a domain", env("\tregistry: \"medic\"\n"),
			`envs/a.cue:6:2: environments.dev.registry: "medic" is not an image registry with a repository prefix`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(tc.file)}}, "envs")
			if err == nil {
				t.Fatal("loaded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("errors do not contain %q:\n%s", tc.want, err)
			}
		})
	}
}

// What the checks must keep accepting: Medic's defaults and real values.
func TestLoad_GoodValues(t *testing.T) {
	files := map[string]string{
		"acme e-mail and mirror": env("\tregistry: \"mirror.example.org:5000/medic\"\n\tnginx: tls: {mode: \"AUTO_GENERATE\", acmeEmail: \"ops+cht@district.example.org\"}\n"),
		"own cert default":       env("\tcomposePath: \"/srv/cht/dev\"\n\tnginx: tls: mode: \"OWN_CERT\"\n"),
		"dollar in marketURL":    env("\tbuilds: marketURL: \"https://m.example.org/a$b\"\n"),
		"ssh and scp repoURLs": head + "gitops: repoURL: \"git@github.com:moh/deploy.git\"\n" + k8s("a", "") +
			"environments: b: repoURL: \"ssh://git@github.com/moh/deploy\"\n" + k8s("b", "\tingress: {className: \"nginx\", annotations: \"nginx.ingress.kubernetes.io/proxy-body-size\": \"32m\"}\n"),
		"hostPaths below /var/lib": head + gitops + k8s("prod", "\tcouchdb: {storage: existing: hostPaths: [\"/var/lib/cht/couchdb\"], placement: nodes: [\"ip-10-0-0-1.ec2.internal\"]}\n"),
	}
	for name, f := range files {
		t.Run(name, func(t *testing.T) {
			if _, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(f)}}, "envs"); err != nil {
				t.Fatal(err)
			}
		})
	}
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(files["own cert default"])}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Environments[0].Nginx.TLS.CertDir; got != "/srv/cht/dev/certs" {
		t.Errorf("certDir default %q, want <composePath>/certs", got)
	}
}

// One schema error must not hide the semantic ones: a Kubernetes
// environment without repoURL still gets its version error, and so does an
// unrelated environment.
func TestLoad_SchemaAndSemanticErrorsTogether(t *testing.T) {
	src := head +
		"environments: prod: {\n\ttarget: \"kubernetes\"\n\thost: \"prod.example.org\"\n\tversion: \"3.17.0\"\n}\n" +
		"environments: dev: {\n\ttarget: \"compose\"\n\thost: \"dev.example.org\"\n\tversion: \"6.1.0\"\n\tcouchdb: nodes: 40\n}\n"
	_, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(src)}}, "envs")
	if err == nil {
		t.Fatal("loaded, want errors")
	}
	for _, w := range []string{
		"envs/a.cue:2:15: environments.prod.repoURL: required field is missing",
		"envs/a.cue:5:2: environments.prod.version: CHT 3.17.0 is a 3.x release",
		"envs/a.cue:10:2: environments.dev.version: CHT 6.1.0 is a 6.x release",
		"envs/a.cue:11:18: environments.dev.couchdb.nodes: invalid value 40 (out of bound <=16)",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("errors do not contain %q:\n%s", w, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 4 {
		t.Errorf("%d errors, want 4 (nothing invented for the fields the schema refused):\n%s", n, err)
	}
}

// A file name goes into the header comment of every rendered file.
func TestLoad_FileNameWithControlCharacters(t *testing.T) {
	for _, name := range []string{"a\nb: x.cue", "tab\t.cue", "nel\u0085.cue", "ls\u2028.cue", "del\x7f.cue"} {
		_, err := load.Load(fstest.MapFS{name: {Data: []byte(env(""))}}, "envs")
		if err == nil || !strings.Contains(err.Error(), "envs: file name ") || !strings.Contains(err.Error(), "control character") {
			t.Errorf("%q: %v", name, err)
		}
	}
}
