package generator_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/secrets"
)

const sopsEnvs = `package environments
gitops: repoURL: "https://github.com/moh/fleet"
environments: prod: {target: "kubernetes", version: "4.22.0", host: "prod.example.org", credentials: sopsFile: "secrets/prod.enc.yaml"}
`

const sopsPath = "kubernetes/overlays/prod/secrets/prod.enc.yaml"

var clearValue = regexp.MustCompile(`(?m)^(  [A-Z_]+): (.+)$`)

// sopsEncrypt shapes a `cht-gen secrets --secret-only` manifest the way
// `sops --encrypt --encrypted-regex '^(data|stringData)$'` writes it: every
// stringData value an ENC[...] string, keys and metadata in clear, and the
// sops: block. (A sops binary is not at hand; the shape is what matters to
// cht-gen, which never decrypts.)
func sopsEncrypt(manifest string) string {
	enc := clearValue.ReplaceAllString(manifest, `$1: ENC[AES256_GCM,data:bm90IGEgcmVhbCBjaXBoZXJ0ZXh0,iv:aXY=,tag:dGFn,type:str]`)
	return enc + `sops:
    age:
        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBub3QgYSByZWFsIGtleQo=
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2026-11-25T09:00:00Z"
    mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
    encrypted_regex: ^(data|stringData)$
    version: 3.9.1
`
}

func sopsRender(t *testing.T, output fstest.MapFS) (files.Set, error) {
	t.Helper()
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(sopsEnvs)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	return renderedFiles(generator.Render(context.Background(), res.Environments, generator.Options{Output: output, OutputName: "deploy"}))
}

func secretOnly(t *testing.T) string {
	t.Helper()
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(sopsEnvs)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.Generate(&res.Environments[0], secrets.Options{SecretOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSOPSFile_ListedInTheOverlayBuiltAndNeverRendered(t *testing.T) {
	enc := sopsEncrypt(secretOnly(t))
	set, err := sopsRender(t, fstest.MapFS{sopsPath: {Data: []byte(enc)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set[sopsPath]; ok {
		t.Fatal("the rendered set holds the user's SOPS file: the writer would own (and later prune) it")
	}
	if k := string(set["kubernetes/overlays/prod/kustomization.yaml"]); !strings.Contains(k, "- secrets/prod.enc.yaml\n") {
		t.Errorf("overlay does not list the SOPS file:\n%s", k)
	}
	// What Flux builds: the encrypted Secret, unchanged by the overlay.
	built, err := kustomize.Build(generator.WithUserFiles(set, files.Set{sopsPath: []byte(enc)}), "kubernetes/overlays/prod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(built), "kind: Secret") || !strings.Contains(string(built), "mac: ENC[") {
		t.Errorf("built overlay lacks the encrypted Secret:\n%s", built)
	}
	if r := string(set["kubernetes/overlays/prod/README.md"]); !strings.Contains(r, "sops --encrypt --age") || !strings.Contains(r, "deploy/kubernetes/overlays/prod/secrets/prod.enc.yaml") {
		t.Errorf("overlay README does not say how to make the file:\n%s", r)
	}
}

func TestSOPSFile_RenderSaysWhatIsWrong(t *testing.T) {
	plain := secretOnly(t)
	enc := sopsEncrypt(plain)
	password := clearValue.FindAllStringSubmatch(plain, -1)[1][2]
	for _, tc := range []struct {
		name   string
		output fstest.MapFS
		want   []string
	}{
		{"missing", fstest.MapFS{}, []string{
			"envs/a.cue:3:15: environments.prod.credentials.sopsFile: deploy/" + sopsPath + " does not exist",
			"cht-gen secrets prod --secret-only | sops --encrypt --age",
		}},
		{"in clear", fstest.MapFS{sopsPath: {Data: []byte(plain)}}, []string{
			"is not SOPS-encrypted (no sops: metadata with a mac)",
			"holds key(s) COUCHDB_PASSWORD, COUCHDB_SECRET, COUCHDB_USER, COUCHDB_UUID, COUCH_URL in clear",
		}},
		{"one value left in clear", fstest.MapFS{sopsPath: {Data: []byte(strings.Replace(enc, "COUCHDB_UUID: ENC[AES256_GCM,data:bm90IGEgcmVhbCBjaXBoZXJ0ZXh0,iv:aXY=,tag:dGFn,type:str]", "COUCHDB_UUID: 1234", 1))}}, []string{
			"holds key(s) COUCHDB_UUID in clear",
		}},
		{"a value in clear in data beside its encrypted copy in stringData", fstest.MapFS{sopsPath: {Data: []byte(strings.Replace(enc, "stringData:\n", "data:\n  COUCHDB_PASSWORD: aHVudGVyMg==\nstringData:\n", 1))}}, []string{
			"holds key(s) COUCHDB_PASSWORD in clear",
		}},
		{"a key missing", fstest.MapFS{sopsPath: {Data: []byte(regexp.MustCompile(`(?m)^  COUCH_URL: .*\n`).ReplaceAllString(enc, ""))}}, []string{
			"lacks key(s) COUCH_URL",
		}},
		{"another Secret", fstest.MapFS{sopsPath: {Data: []byte(strings.Replace(enc, "name: cht-couchdb-credentials", "name: other", 1))}}, []string{
			`holds v1 Secret "other", not the v1 Secret "cht-couchdb-credentials"`,
		}},
		{"two documents", fstest.MapFS{sopsPath: {Data: []byte(enc + "---\n" + enc)}}, []string{
			"holds 2 YAML documents",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sopsRender(t, tc.output)
			if err == nil {
				t.Fatal("rendered")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Error("the error shows the password")
			}
		})
	}
	t.Run("no output directory", func(t *testing.T) {
		res, _ := load.Load(fstest.MapFS{"a.cue": {Data: []byte(sopsEnvs)}}, "envs")
		_, err := renderedFiles(generator.Render(context.Background(), res.Environments, generator.Options{}))
		if err == nil || !strings.Contains(err.Error(), "no output directory") {
			t.Errorf("got %v", err)
		}
	})
}

func TestOverlayReadme_GivesTheFirstTimeOrder(t *testing.T) {
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(strings.Replace(sopsEnvs, `, credentials: sopsFile: "secrets/prod.enc.yaml"`, "", 1))}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	set, err := renderedFiles(generator.Render(context.Background(), res.Environments, generator.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	r := string(set["kubernetes/overlays/prod/README.md"])
	for _, want := range []string{"cht-gen secrets prod | kubectl apply -f -", "starts\nwith namespace `cht-prod`", "works on a fresh cluster", "Run it once", "credentials.sopsFile"} {
		if !strings.Contains(r, want) {
			t.Errorf("overlay README lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r, "sops-age") {
		t.Errorf("overlay README names a decryption Secret without a file to decrypt:\n%s", r)
	}
}

// The overlay sets the Secret's namespace and labels; Flux decrypts each
// value on its own (kustomize-controller does not check SOPS's MAC), so a
// file made without them is fine and lands in the environment's namespace.
func TestSOPSFile_OverlaySetsNamespaceAndLabels(t *testing.T) {
	enc := sopsEncrypt(secretOnly(t))
	enc = regexp.MustCompile(`(?s)  labels:\n(    .*?\n)+`).ReplaceAllString(enc, "")
	enc = strings.Replace(enc, "  namespace: cht-prod\n", "", 1)
	if strings.Contains(enc, "labels:") || strings.Contains(enc, "namespace:") {
		t.Fatalf("test file still has labels or namespace:\n%s", enc)
	}
	set, err := sopsRender(t, fstest.MapFS{sopsPath: {Data: []byte(enc)}})
	if err != nil {
		t.Fatal(err)
	}
	built, err := kustomize.Build(generator.WithUserFiles(set, files.Set{sopsPath: []byte(enc)}), "kubernetes/overlays/prod")
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := kustomize.SplitYAML(built)
	for _, d := range docs {
		if strings.Contains(string(d), "kind: Secret") {
			if !strings.Contains(string(d), "namespace: cht-prod") || !strings.Contains(string(d), "app.kubernetes.io/instance: prod") {
				t.Errorf("built Secret:\n%s", d)
			}
			return
		}
	}
	t.Errorf("no Secret built:\n%s", built)
}
