package kustomize_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/internal/reference"
)

func loadEnvs(t *testing.T, src string) []model.Environment {
	t.Helper()
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte("package environments\ngitops: repoURL: \"https://github.com/x/y\"\n" + src)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	return res.Environments
}

func render(t *testing.T, envs []model.Environment) files.Set {
	t.Helper()
	set, err := kustomize.RenderShared("0.32", envs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range envs {
		o, err := kustomize.RenderOverlay(&envs[i], "envs/a.cue")
		if err != nil {
			t.Fatal(err)
		}
		if err := set.Merge(o); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

func deployments(t *testing.T, stream []byte) map[string]*appsv1.Deployment {
	out := map[string]*appsv1.Deployment{}
	split, err := kustomize.SplitYAML(stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range split {
		if !bytes.Contains(doc, []byte("kind: Deployment")) {
			continue
		}
		var d appsv1.Deployment
		if err := yaml.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		out[d.Name] = &d
	}
	return out
}

var envName = regexp.MustCompile(`(?m)^\s*- name: ([A-Z][A-Z0-9_]+)\s*$`)

// chartEnv reads the env names a template of Medic's cht-chart-4x sets.
func chartEnv(t *testing.T, template string) []string {
	b, err := os.ReadFile(reference.Path(t, "cht", "helm-charts", "charts", "cht-chart-4x", "templates", template))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range envName.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

func envNames(d *appsv1.Deployment) []string {
	var out []string
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		out = append(out, e.Name)
	}
	sort.Strings(out)
	return out
}

func TestKustomize_MatchesMedicChart(t *testing.T) {
	envs := loadEnvs(t, `
environments: one: {target: "kubernetes", version: "4.22.0", host: "one.example.org", upgradeService: enabled: true}
environments: three: {target: "kubernetes", version: "4.22.0", host: "three.example.org", couchdb: nodes: 3}
`)
	set := render(t, envs)
	for _, tc := range []struct {
		env        string
		deployment string
		container  string
		template   string
	}{
		{"one", "cht-api", "cht-api", "api-deployment.yaml"},
		{"one", "cht-sentinel", "cht-sentinel", "sentinel-deployment.yaml"},
		{"one", "cht-haproxy", "cht-haproxy", "haproxy-deployment.yaml"},
		{"one", "cht-haproxy-healthcheck", "cht-haproxy-healthcheck", "healthcheck-deployment.yaml"},
		{"one", "cht-couchdb", "cht-couchdb", "couchdb-single-deployment.yaml"},
		{"one", "upgrade-service", "upgrade-service", "upgrade-service-deployment.yml"},
		{"three", "cht-couchdb-1", "cht-couchdb-1", "couchdb-n-deployment.yaml"},
	} {
		t.Run(tc.env+"/"+tc.deployment, func(t *testing.T) {
			e := envs[0]
			if tc.env == "three" {
				e = envs[1]
			}
			built, err := kustomize.Build(set, kustomize.OverlayDir(&e))
			if err != nil {
				t.Fatal(err)
			}
			d, ok := deployments(t, built)[tc.deployment]
			if !ok {
				t.Fatalf("no Deployment %s", tc.deployment)
			}
			if c := d.Spec.Template.Spec.Containers[0].Name; c != tc.container {
				t.Errorf("container %s, want %s", c, tc.container)
			}
			want := chartEnv(t, tc.template)
			got := envNames(d)
			if tc.template == "couchdb-n-deployment.yaml" {
				// The template lists node 1's and node 2..N's variables.
				got = append(got, "COUCHDB_SYNC_ADMINS_NODE")
				sort.Strings(got)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("env %v, Medic's chart %v", got, want)
			}
			if d.Namespace != e.Namespace {
				t.Errorf("namespace %s", d.Namespace)
			}
		})
	}
	t.Run("one volume mounted twice, subPaths data and local.d", func(t *testing.T) {
		e := envs[1]
		built, _ := kustomize.Build(set, kustomize.OverlayDir(&e))
		for n, name := range []string{"cht-couchdb-1", "cht-couchdb-2", "cht-couchdb-3"} {
			d := deployments(t, built)[name]
			m := d.Spec.Template.Spec.Containers[0].VolumeMounts
			claim := "couchdb-" + string(rune('1'+n)) + "-claim0"
			if len(m) != 2 || m[0].SubPath != "data" || m[1].SubPath != "local.d" || m[0].Name != claim || m[1].Name != claim {
				t.Errorf("%s mounts %+v", name, m)
			}
		}
	})
	t.Run("images pinned per overlay", func(t *testing.T) {
		e := envs[0]
		built, _ := kustomize.Build(set, kustomize.OverlayDir(&e))
		if !bytes.Contains(built, []byte("image: public.ecr.aws/medic/cht-api:4.22.0")) {
			t.Error("cht-api image not pinned")
		}
	})
}

func TestKustomize_TenantsAreDisjoint(t *testing.T) {
	envs := loadEnvs(t, `
environments: uat: {target: "kubernetes", version: "4.22.0", host: "uat.example.org"}
environments: prod: {target: "kubernetes", version: "4.21.1", host: "prod.example.org", couchdb: nodes: 3}
`)
	set := render(t, envs)
	for i := range envs {
		e := &envs[i]
		built, err := kustomize.Build(set, kustomize.OverlayDir(e))
		if err != nil {
			t.Fatal(err)
		}
		if err := kustomize.Verify(built, "cht-couchdb-credentials", model.CredentialKeys); err != nil {
			t.Fatal(err)
		}
		other := envs[1-i].Namespace
		if bytes.Contains(built, []byte(other)) {
			t.Errorf("%s's objects mention %s", e.Name, other)
		}
	}
}

func TestKustomize_CLIBuildsTheSameOverlay(t *testing.T) {
	bin, err := exec.LookPath("kustomize")
	if err != nil {
		t.Skip("kustomize CLI not on PATH (make test installs it into ./bin)")
	}
	for _, tc := range []struct{ version, couchdb string }{
		{"4.22.0", "nodes: 3"},
		{"5.0.0", "nodes: 3"},
		{"5.2.0", "nodes: 3"},
		{"5.2.0", "nodes: 1"},
	} {
		t.Run(tc.version+"/"+tc.couchdb, func(t *testing.T) {
			envs := loadEnvs(t, `environments: prod: {target: "kubernetes", version: "`+tc.version+`", host: "prod.example.org", couchdb: `+tc.couchdb+`, ingress: provider: "alb"}`)
			set := render(t, envs)
			dir := t.TempDir()
			for p, b := range set {
				os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
				os.WriteFile(filepath.Join(dir, p), b, 0o644)
			}
			out, err := exec.Command(bin, "build", filepath.Join(dir, kustomize.OverlayDir(&envs[0]))).CombinedOutput()
			if err != nil {
				t.Fatalf("kustomize build: %v\n%s", err, out)
			}
			in, _ := kustomize.Build(set, kustomize.OverlayDir(&envs[0]))
			if !bytes.Equal(out, in) {
				t.Errorf("kustomize CLI and krusty disagree:\nCLI:\n%s\nkrusty:\n%s", out, in)
			}
		})
	}
}

func TestKustomize_CredentialsSecretName(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes int
	}{{"single", 1}, {"cluster", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			envs := loadEnvs(t, fmt.Sprintf(`environments: prod: {target: "kubernetes", version: "4.22.0", host: "prod.example.org", couchdb: nodes: %d, credentials: secretName: "prod-couch", upgradeService: enabled: true}`, tc.nodes))
			set := render(t, envs)
			built, err := kustomize.Build(set, kustomize.OverlayDir(&envs[0]))
			if err != nil {
				t.Fatal(err)
			}
			if err := kustomize.Verify(built, "prod-couch", model.CredentialKeys); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(built, []byte("cht-couchdb-credentials")) {
				t.Error("built overlay still names Medic's default Secret")
			}
			if err := kustomize.Verify(built, "cht-couchdb-credentials", model.CredentialKeys); err == nil {
				t.Error("Verify accepted references to a Secret the README does not ask for")
			}
			readme := string(set[kustomize.OverlayDir(&envs[0])+"/README.md"])
			if !strings.Contains(readme, "Secret `prod-couch`") || !strings.Contains(readme, "cht-gen secrets prod") {
				t.Errorf("README does not say how to create the Secret:\n%s", readme)
			}
		})
	}
}

// couchdb.ulimit is DEFAULT_ULIMIT=true on every CouchDB container (not
// nouveau), on both lines, single and clustered, as on Compose: Medic's
// image compares it with "true" (couchdb/docker-entrypoint.sh, 4.20.0+);
// unset, or before 4.20.0, none.
func TestKustomize_UlimitReachesEveryCouchDBContainer(t *testing.T) {
	couchdb := regexp.MustCompile(`^cht-couchdb(-[0-9]+)?$`)
	for _, tc := range []struct {
		version string
		nodes   int
		ulimit  string
		want    string
	}{
		{"4.22.0", 1, ", ulimit: 65536", "true"},
		{"4.22.0", 3, ", ulimit: 65536", "true"},
		{"5.0.0", 1, ", ulimit: 100000", "true"},
		{"5.2.0", 1, ", ulimit: 100000", "true"},
		{"5.2.0", 3, ", ulimit: 100000", "true"},
		{"4.19.0", 1, ", ulimit: 65536", ""},
		{"4.22.0", 3, "", ""},
		{"5.2.0", 1, "", ""},
	} {
		t.Run(fmt.Sprintf("%s/%d%s", tc.version, tc.nodes, tc.ulimit), func(t *testing.T) {
			envs := loadEnvs(t, fmt.Sprintf(`environments: prod: {target: "kubernetes", version: "%s", host: "prod.example.org", couchdb: {nodes: %d%s}}`, tc.version, tc.nodes, tc.ulimit))
			built, err := kustomize.Build(render(t, envs), kustomize.OverlayDir(&envs[0]))
			if err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, d := range deployments(t, built) {
				for _, c := range d.Spec.Template.Spec.Containers {
					got, n := "", 0
					for _, ev := range c.Env {
						if ev.Name == "DEFAULT_ULIMIT" {
							got, n = ev.Value, n+1
						}
					}
					want := ""
					if couchdb.MatchString(c.Name) {
						want, seen = tc.want, seen+1
					}
					if got != want || n > 1 {
						t.Errorf("%s/%s: DEFAULT_ULIMIT %q (%d times), want %q", d.Name, c.Name, got, n, want)
					}
				}
			}
			if seen != tc.nodes {
				t.Errorf("%d CouchDB containers, want %d", seen, tc.nodes)
			}
		})
	}
}

// healthcheck.logLevel is HEALTHCHECK_LOG_LEVEL on the healthcheck, as on
// Compose, on both lines; unset, Medic's env list (none).
func TestKustomize_HealthcheckLogLevel(t *testing.T) {
	for _, tc := range []struct {
		version, couchdb, want string
	}{
		{"4.22.0", "nodes: 1", "DEBUG"},
		{"4.22.0", "nodes: 3", "ERROR"},
		{"5.0.0", "nodes: 3", "WARNING"},
		{"5.2.0", "nodes: 1", "INFO"},
		{"4.22.0", "nodes: 1", ""},
		{"5.2.0", "nodes: 3", ""},
	} {
		t.Run(tc.version+"/"+tc.couchdb+"/"+tc.want, func(t *testing.T) {
			level := ""
			if tc.want != "" {
				level = `, healthcheck: logLevel: "` + tc.want + `"`
			}
			envs := loadEnvs(t, `environments: prod: {target: "kubernetes", version: "`+tc.version+`", host: "prod.example.org", couchdb: `+tc.couchdb+level+`}`)
			built, err := kustomize.Build(render(t, envs), kustomize.OverlayDir(&envs[0]))
			if err != nil {
				t.Fatal(err)
			}
			d := deployments(t, built)["cht-haproxy-healthcheck"]
			if d == nil {
				t.Fatal("no cht-haproxy-healthcheck Deployment")
			}
			got, n := "", 0
			for _, ev := range d.Spec.Template.Spec.Containers[0].Env {
				if ev.Name == "HEALTHCHECK_LOG_LEVEL" {
					got, n = ev.Value, n+1
				}
			}
			if got != tc.want || n > 1 {
				t.Errorf("HEALTHCHECK_LOG_LEVEL %q (%d times), want %q", got, n, tc.want)
			}
			if names := envNames(d); len(names) != 3+n {
				t.Errorf("healthcheck env %v: Medic's three and nothing else", names)
			}
		})
	}
}

// ingress.annotations override the provider's own annotations: the key
// once, with the environment's value (a duplicate key is invalid YAML that
// kubeconform refuses), the provider's other annotations kept.
func TestKustomize_IngressAnnotationsOverrideTheProvidersOnce(t *testing.T) {
	for _, tc := range []struct {
		ingress string
		want    map[string]string
	}{
		{`{provider: "alb", annotations: {"alb.ingress.kubernetes.io/scheme": "internal"}}`,
			map[string]string{"alb.ingress.kubernetes.io/scheme": "internal", "alb.ingress.kubernetes.io/target-type": "ip"}},
		{`{provider: "alb", groupName: "g", annotations: {"alb.ingress.kubernetes.io/group.name": "h", "x.example.org/y": "z"}}`,
			map[string]string{"alb.ingress.kubernetes.io/group.name": "h", "x.example.org/y": "z", "alb.ingress.kubernetes.io/ssl-redirect": "443"}},
		{`{provider: "gke", staticIPName: "ip", annotations: {"kubernetes.io/ingress.class": "gce-internal"}}`,
			map[string]string{"kubernetes.io/ingress.class": "gce-internal", "kubernetes.io/ingress.global-static-ip-name": "ip"}},
		{`{provider: "nginx", annotations: {"nginx.ingress.kubernetes.io/proxy-body-size": "32m"}}`,
			map[string]string{"nginx.ingress.kubernetes.io/proxy-body-size": "32m"}},
	} {
		t.Run(tc.ingress, func(t *testing.T) {
			envs := loadEnvs(t, `environments: prod: {target: "kubernetes", version: "5.2.0", host: "prod.example.org", ingress: `+tc.ingress+`}`)
			raw := render(t, envs)[kustomize.OverlayDir(&envs[0])+"/ingress.yaml"]
			var in struct {
				Metadata struct{ Annotations map[string]string }
			}
			var doc map[string]any // UnmarshalStrict refuses a key written twice
			if err := yaml.UnmarshalStrict(raw, &doc); err != nil {
				t.Fatalf("ingress.yaml: %v\n%s", err, raw)
			}
			if err := yaml.Unmarshal(raw, &in); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if in.Metadata.Annotations[k] != v {
					t.Errorf("annotation %s = %q, want %q\n%s", k, in.Metadata.Annotations[k], v, raw)
				}
			}
		})
	}
}

// Each environment runs the upgrade service tag it asks for, whatever tag
// the shared component carries (the generator gives it the newest any
// environment asks for), with or without alwaysPullImages.
func TestKustomize_UpgradeServiceTagIsPerEnvironment(t *testing.T) {
	for _, tc := range []struct {
		shared, fields, want string
	}{
		{"0.33", `upgradeService: enabled: true`, "medicmobile/upgrade-service:0.32"},
		{"0.32", `upgradeService: {enabled: true, tag: "0.33"}`, "medicmobile/upgrade-service:0.33"},
		{"0.9", `upgradeService: {enabled: true, tag: "0.10"}, alwaysPullImages: true`, "medicmobile/upgrade-service:0.10"},
	} {
		t.Run(tc.shared+"/"+tc.fields, func(t *testing.T) {
			envs := loadEnvs(t, `environments: prod: {target: "kubernetes", version: "4.22.0", host: "prod.example.org", `+tc.fields+`}`)
			set, err := kustomize.RenderShared(tc.shared, envs)
			if err != nil {
				t.Fatal(err)
			}
			o, err := kustomize.RenderOverlay(&envs[0], "envs/a.cue")
			if err != nil {
				t.Fatal(err)
			}
			if err := set.Merge(o); err != nil {
				t.Fatal(err)
			}
			built, err := kustomize.Build(set, kustomize.OverlayDir(&envs[0]))
			if err != nil {
				t.Fatal(err)
			}
			d := deployments(t, built)["upgrade-service"]
			if d == nil {
				t.Fatal("no upgrade-service Deployment")
			}
			if got := d.Spec.Template.Spec.Containers[0].Image; got != tc.want {
				t.Errorf("image %s, want %s", got, tc.want)
			}
		})
	}
}

func TestKustomize_ExternalSecretFillsTheCredentialsSecret(t *testing.T) {
	envs := loadEnvs(t, `environments: prod: {target: "kubernetes", version: "4.22.0", host: "prod.example.org",
	credentials: {secretName: "prod-couch", externalSecret: {storeName: "vault", remoteKey: "cht/prod"}}}`)
	set := render(t, envs)
	built, err := kustomize.Build(set, kustomize.OverlayDir(&envs[0]))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := kustomize.SplitYAML(built)
	if err != nil {
		t.Fatal(err)
	}
	var es struct {
		APIVersion string `json:"apiVersion"`
		Kind       string
		Metadata   struct {
			Name, Namespace string
			Labels          map[string]string
		}
		Spec struct {
			RefreshInterval string                      `json:"refreshInterval"`
			SecretStoreRef  struct{ Name, Kind string } `json:"secretStoreRef"`
			Target          struct{ Name, CreationPolicy string }
			DataFrom        []struct{ Extract struct{ Key string } } `json:"dataFrom"`
		}
	}
	found := false
	for _, d := range docs {
		if bytes.Contains(d, []byte("kind: ExternalSecret")) {
			if err := yaml.UnmarshalStrict(d, &es); err != nil {
				t.Fatal(err)
			}
			found = true
		}
	}
	if !found {
		t.Fatal("no ExternalSecret in the build")
	}
	// v1, not v1beta1: External Secrets stopped serving v1beta1 in v0.17.0.
	if es.APIVersion != "external-secrets.io/v1" || es.Metadata.Namespace != "cht-prod" || es.Spec.Target.Name != "prod-couch" ||
		es.Spec.SecretStoreRef.Name != "vault" || es.Spec.SecretStoreRef.Kind != "ClusterSecretStore" || len(es.Spec.DataFrom) != 1 || es.Spec.DataFrom[0].Extract.Key != "cht/prod" {
		t.Errorf("ExternalSecret %+v", es)
	}
	if err := kustomize.Verify(built, "prod-couch", model.CredentialKeys); err != nil {
		t.Error(err)
	}
	if !strings.Contains(string(set[kustomize.OverlayDir(&envs[0])+"/README.md"]), "ExternalSecret") {
		t.Error("README does not mention the ExternalSecret")
	}
}

// An imported, running instance (existing: true) keeps its Secret: the
// README says so and never tells to run `cht-gen secrets` for it.
func TestKustomize_ExistingKeepsTheSecret(t *testing.T) {
	envs := loadEnvs(t, `environments: prod: {target: "kubernetes", version: "4.22.0", host: "p.example.org", cluster: "c", existing: true}`)
	readme := string(render(t, envs)[kustomize.OverlayDir(&envs[0])+"/README.md"])
	for _, want := range []string{"**Keep the Secret as it is**", "cht-gen handover prod", "kubectl -n cht-prod get secret cht-couchdb-credentials -o yaml"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q:\n%s", want, readme)
		}
	}
	if strings.Contains(readme, "cht-gen secrets prod |") {
		t.Errorf("README tells to make new credentials for a running instance:\n%s", readme)
	}
}
