package secrets_test

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/uuid"
	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/generator/secrets"
)

// loadEnv loads one environment of src through the schema, so defaults
// (user, namespace, Secret name) are the ones users get.
func loadEnv(t *testing.T, name, src string) *model.Environment {
	t.Helper()
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte("package environments\ngitops: repoURL: \"https://github.com/x/y\"\n" + src)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := res.Lookup(name)
	if !ok {
		t.Fatalf("no environment %q", name)
	}
	return e
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Fresh, strong and URL-safe: CHT puts the password verbatim into COUCH_URL.
func TestNew_FreshURLSafeCredentials(t *testing.T) {
	a, err := secrets.New("medic")
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New("medic")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []secrets.Credentials{a, b} {
		if c.User != "medic" || !hex64.MatchString(c.Password) || !hex64.MatchString(c.Secret) {
			t.Errorf("credentials %+v: want the user, 64 hex digits of password and secret", c)
		}
		if _, err := uuid.Parse(c.UUID); err != nil {
			t.Errorf("UUID %q: %v", c.UUID, err)
		}
		if url.PathEscape(c.Password) != c.Password {
			t.Errorf("password %q needs escaping in a URL", c.Password)
		}
	}
	if a.Password == b.Password || a.Secret == b.Secret || a.UUID == b.UUID || a.Password == a.Secret {
		t.Errorf("two runs share a value:\n%+v\n%+v", a, b)
	}
}

// Any password, even one with the characters that broke hosts' COUCH_URL
// (@ : / % #), comes back whole from the URL; the URL carries no other
// user, host or path.
func TestCouchURL_EncodesThePassword(t *testing.T) {
	for _, pw := range []string{"plain", "p@ss:w/rd", "100%#?&=", "with space", "ünï"} {
		u := secrets.CouchURL(secrets.Credentials{User: "medic", Password: pw}, "cht-prod")
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatalf("%q: %v", u, err)
		}
		got, _ := parsed.User.Password()
		if parsed.User.Username() != "medic" || got != pw || parsed.Host != "haproxy.cht-prod.svc.cluster.local:5984" || parsed.Path != "/medic" || parsed.Scheme != "http" {
			t.Errorf("%q: user %q password %q host %q path %q", u, parsed.User.Username(), got, parsed.Host, parsed.Path)
		}
	}
	if got := secrets.CouchURL(secrets.Credentials{User: "medic", Password: "abc"}, "ns"); got != "http://medic:abc@haproxy.ns.svc.cluster.local:5984/medic" {
		t.Errorf("a URL-safe password is changed: %s", got)
	}
}

// Compose: a .env body with the credential keys Medic's compose files
// read (COUCH_URL is built inside them), each once, nothing else.
func TestGenerate_ComposeEnvFile(t *testing.T) {
	e := loadEnv(t, "vm", `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org"}`)
	out, err := secrets.Generate(e, secrets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	var keys []string
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("line %q is not KEY=value", line)
		}
		keys = append(keys, k)
		values[k] = v
	}
	want := slices.DeleteFunc(slices.Clone(model.CredentialKeys), func(k string) bool { return k == "COUCH_URL" })
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v (model.CredentialKeys without COUCH_URL)", keys, want)
	}
	if values["COUCHDB_USER"] != e.CouchDB.User || !hex64.MatchString(values["COUCHDB_PASSWORD"]) || !hex64.MatchString(values["COUCHDB_SECRET"]) {
		t.Errorf("values %v", values)
	}
	if !strings.HasPrefix(string(out), "# CouchDB credentials for vm, made by cht-gen secrets. Keep on the VM only.\n") {
		t.Errorf("header:\n%s", out)
	}
}

// Kubernetes: the Namespace, then the Secret the overlay expects, with
// every model.CredentialKeys key and COUCH_URL built from the same
// password; --secret-only leaves the Namespace out.
func TestGenerate_KubernetesSecret(t *testing.T) {
	e := loadEnv(t, "prod", `environments: prod: {target: "kubernetes", version: "5.2.0", host: "cht.example.org", cluster: "c", gitops: "flux", ingress: provider: "nginx"}`)
	for _, tc := range []struct {
		opts  secrets.Options
		kinds []string
	}{
		{secrets.Options{}, []string{"Namespace", "Secret"}},
		{secrets.Options{SecretOnly: true}, []string{"Secret"}},
	} {
		out, err := secrets.Generate(e, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		var secret struct {
			Kind     string
			Metadata struct {
				Name, Namespace string
				Labels          map[string]string
			}
			StringData map[string]string `json:"stringData"`
		}
		for _, doc := range strings.Split(string(out), "\n---\n") {
			var obj struct{ Kind string }
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatalf("%v:\n%s", err, doc)
			}
			kinds = append(kinds, obj.Kind)
			if obj.Kind == "Secret" {
				if err := yaml.Unmarshal([]byte(doc), &secret); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !slices.Equal(kinds, tc.kinds) {
			t.Errorf("SecretOnly %v: kinds %v, want %v", tc.opts.SecretOnly, kinds, tc.kinds)
		}
		if secret.Metadata.Name != e.Credentials.SecretName || secret.Metadata.Namespace != e.Namespace || secret.Metadata.Labels["app.kubernetes.io/instance"] != "prod" {
			t.Errorf("Secret metadata %+v, want %s in %s labelled as the overlay", secret.Metadata, e.Credentials.SecretName, e.Namespace)
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range secret.StringData {
				if !yield(k) {
					return
				}
			}
		})
		if want := slices.Sorted(slices.Values(model.CredentialKeys)); !slices.Equal(keys, want) {
			t.Errorf("Secret keys %v, want model.CredentialKeys %v", keys, want)
		}
		c := secrets.Credentials{User: secret.StringData["COUCHDB_USER"], Password: secret.StringData["COUCHDB_PASSWORD"]}
		if got, want := secret.StringData["COUCH_URL"], secrets.CouchURL(c, e.Namespace); got != want {
			t.Errorf("COUCH_URL %s, want %s", got, want)
		}
	}
}

// An instance that runs already keeps its credentials: Generate refuses
// new ones for it, on both targets, with an error that says what to keep,
// unless told that they replace a running CouchDB's.
func TestGenerate_RefusesARunningInstance(t *testing.T) {
	for _, tc := range []struct{ name, src, keep string }{
		{"k8s", `environments: k8s: {target: "kubernetes", version: "4.22.0", host: "k.example.org", cluster: "c", existing: true}`, "keep that Secret as it is"},
		{"vm", `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", existing: true}`, "keep that file as it is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := loadEnv(t, tc.name, tc.src)
			if !e.Existing {
				t.Fatal("existing: true not loaded")
			}
			_, err := secrets.Generate(e, secrets.Options{})
			var running *secrets.RunningError
			if !errors.As(err, &running) || !strings.Contains(err.Error(), tc.keep) || !strings.Contains(err.Error(), "--replace-running-credentials") {
				t.Fatalf("want a RunningError saying %q and naming the flag, got %v", tc.keep, err)
			}
			out, err := secrets.Generate(e, secrets.Options{ReplaceRunning: true})
			if err != nil || !strings.Contains(string(out), "COUCHDB_PASSWORD") {
				t.Fatalf("with ReplaceRunning: %v\n%s", err, out)
			}
		})
	}
}
