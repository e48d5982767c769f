package gitops_test

import (
	"strings"
	"testing"
	"testing/fstest"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/gitops"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/load"
)

// fluxObjects builds clusters/<cluster>, checks it with VerifyFlux and
// decodes each object strictly into Flux's own types.
func fluxObjects(t *testing.T, src, cluster string) (map[string]*kustomizev1.Kustomization, []*sourcev1.GitRepository, string) {
	t.Helper()
	envs := loadEnvs(t, src)
	set := render(t, envs)
	dir := gitops.FluxDir + "/" + cluster
	built, err := kustomize.Build(set, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := gitops.VerifyFlux(built, gitops.ExternalSources(envs)); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	split, err := kustomize.SplitYAML(built)
	if err != nil {
		t.Fatal(err)
	}
	ks := map[string]*kustomizev1.Kustomization{}
	var repos []*sourcev1.GitRepository
	for _, doc := range split {
		var meta struct{ Kind string }
		if yaml.Unmarshal(doc, &meta) != nil || meta.Kind == "" {
			continue
		}
		switch meta.Kind {
		case kustomizev1.KustomizationKind:
			k := &kustomizev1.Kustomization{}
			if err := yaml.UnmarshalStrict(doc, k); err != nil {
				t.Fatal(err)
			}
			ks[k.Name] = k
		case sourcev1.GitRepositoryKind:
			r := &sourcev1.GitRepository{}
			if err := yaml.UnmarshalStrict(doc, r); err != nil {
				t.Fatal(err)
			}
			repos = append(repos, r)
		default:
			t.Fatalf("unexpected %s", meta.Kind)
		}
	}
	return ks, repos, string(set[dir+"/README.md"])
}

const bootstrapEnvs = `
gitops: {repoURL: "https://github.com/moh/fleet", flux: sourceRef: {kind: "GitRepository", name: "flux-system"}}
environments: uat: {target: "kubernetes", version: "4.22.0", host: "uat.example.org", cluster: "eks"}
environments: prod: {target: "kubernetes", version: "4.22.0", host: "prod.example.org", cluster: "eks"}
`

func TestFlux_SourceRefReusesTheBootstrapSource(t *testing.T) {
	ks, repos, readme := fluxObjects(t, bootstrapEnvs, "eks")
	if len(repos) != 0 {
		t.Errorf("rendered %d GitRepositories for the bootstrap repository: want none (one source, fetched once)", len(repos))
	}
	if len(ks) != 2 {
		t.Fatalf("want 2 Kustomizations, got %d", len(ks))
	}
	for name, k := range ks {
		r := k.Spec.SourceRef
		if r.Kind != sourcev1.GitRepositoryKind || r.Name != "flux-system" || r.Namespace != "flux-system" {
			t.Errorf("%s reads %+v, want GitRepository flux-system/flux-system", name, r)
		}
	}
	set := render(t, loadEnvs(t, bootstrapEnvs))
	if _, ok := set[gitops.FluxDir+"/eks/git-repository.yaml"]; ok {
		t.Error("git-repository.yaml rendered")
	}
	if k := string(set[gitops.FluxDir+"/eks/kustomization.yaml"]); strings.Contains(k, "git-repository") {
		t.Errorf("kustomization.yaml lists a GitRepository:\n%s", k)
	}
	for _, want := range []string{"flux create kustomization cht --source=GitRepository/flux-system --path=./deploy/clusters/eks", "renders no GitRepository"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q:\n%s", want, readme)
		}
	}
	if strings.Contains(readme, "kubectl apply -f") {
		t.Errorf("README tells to apply a second source:\n%s", readme)
	}

	t.Run("a source that is neither rendered nor declared is refused", func(t *testing.T) {
		built, err := kustomize.Build(set, gitops.FluxDir+"/eks")
		if err != nil {
			t.Fatal(err)
		}
		if err := gitops.VerifyFlux(built, nil); err == nil || !strings.Contains(err.Error(), "not in the folder") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("another namespace", func(t *testing.T) {
		ks, _, readme := fluxObjects(t, strings.Replace(bootstrapEnvs, `name: "flux-system"}`, `name: "fleet", namespace: "git"}`, 1), "eks")
		if r := ks["cht-uat"].Spec.SourceRef; r.Namespace != "git" || r.Name != "fleet" {
			t.Errorf("sourceRef %+v", r)
		}
		if !strings.Contains(readme, "--source=GitRepository/fleet.git ") {
			t.Errorf("README:\n%s", readme)
		}
	})
}

func TestFlux_HostingRepositoryKeepsItsOwnSource(t *testing.T) {
	ks, repos, readme := fluxObjects(t, fluxEnvs, "eks")
	if len(repos) != 1 || repos[0].Name != "cht-hosting" || repos[0].Spec.URL != "ssh://git@github.com/moh/cht-hosting.git" {
		t.Fatalf("GitRepositories %v", repos)
	}
	for name, k := range ks {
		if k.Spec.SourceRef.Name != "cht-hosting" || k.Spec.SourceRef.Namespace != "" {
			t.Errorf("%s reads %+v", name, k.Spec.SourceRef)
		}
	}
	// The root reads the rendered source: still one source per repository.
	for _, want := range []string{"kubectl apply -f deploy/clusters/eks/git-repository.yaml", "--source=GitRepository/cht-hosting --path=./deploy/clusters/eks", "gitops.flux.sourceRef"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q:\n%s", want, readme)
		}
	}
}

func TestFlux_RemovalAndSuspensionAreSpelledOut(t *testing.T) {
	src := strings.Replace(fluxEnvs, `host: "uat.example.org", cluster: "eks"`, `host: "uat.example.org", cluster: "eks", suspended: true`, 1)
	ks, _, readme := fluxObjects(t, src, "eks")
	if !ks["cht-uat"].Spec.Suspend {
		t.Error("suspended uat: Kustomization not suspended")
	}
	if ks["cht-prod"].Spec.Suspend {
		t.Error("prod suspended too")
	}
	// Parked, not removed: the Kustomization and its path stay.
	if ks["cht-uat"].Spec.Path != "./deploy/kubernetes/overlays/uat" || !ks["cht-uat"].Spec.Prune {
		t.Errorf("suspended uat: %+v", ks["cht-uat"].Spec)
	}
	for _, want := range []string{"uat | cht-uat (**suspended**)", "deletes every\nobject it applied: the Deployments, Services, ConfigMaps, Ingress", "Only the namespace and the PersistentVolumeClaims", "`suspended: true`", "`spec.suspend: true`"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q:\n%s", want, readme)
		}
	}
	envs := loadEnvs(t, src)
	for i := range envs {
		note := envs[i].SuspendedNote()
		if (note != "") != (envs[i].Name == "uat") {
			t.Errorf("%s: SuspendedNote %q", envs[i].Name, note)
		}
		if envs[i].Name == "uat" && !strings.Contains(note, "spec.suspend: true") {
			t.Errorf("note %q", note)
		}
	}
}

func TestFlux_DecryptionOnlyWithAFileToDecrypt(t *testing.T) {
	ks, _, _ := fluxObjects(t, fluxEnvs, "eks")
	d := ks["cht-prod"].Spec.Decryption
	if d == nil || d.Provider != "sops" || d.SecretRef == nil || d.SecretRef.Name != "sops-age" {
		t.Errorf("prod (credentials.sopsFile) decryption %+v, want sops with sops-age", d)
	}
	if ks["cht-uat"].Spec.Decryption != nil {
		t.Error("uat has a decryption block and no file to decrypt")
	}
	for _, tc := range []struct{ name, env, want string }{
		{"sopsSecret alone", `flux: sopsSecret: "sops-age"`, `a.cue:3:`},
		{"sopsSecret alone says why", `flux: sopsSecret: "sops-age"`, `environments.p.flux.sopsSecret: makes Flux wait for Secret sops-age and then decrypts nothing: set credentials.sopsFile`},
		{"Argo CD", `gitops: "argocd", credentials: sopsFile: "s/p.enc.yaml"`, `environments.p.credentials.sopsFile: Argo CD does not decrypt SOPS files`},
		{"with an ExternalSecret", `credentials: {sopsFile: "s/p.enc.yaml", externalSecret: {storeName: "vault", remoteKey: "cht"}}`, `both make Secret cht-couchdb-credentials`},
		{"outside the overlay", `credentials: sopsFile: "../p.enc.yaml"`, `environments.p.credentials.sopsFile`},
		{"not YAML", `credentials: sopsFile: "p.enc.json"`, `environments.p.credentials.sopsFile`},
		{"a kustomization", `credentials: sopsFile: "s/kustomization.yaml"`, `environments.p.credentials.sopsFile`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte(`package environments
gitops: repoURL: "https://github.com/moh/fleet"
environments: p: {target: "kubernetes", version: "4.22.0", host: "p.example.org", ` + tc.env + `}
`)}}, "envs")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestArgoCD_SuspendedApplicationHasNoAutomatedSync(t *testing.T) {
	v := crdSchema(t, "argocd-application.yaml")
	src := strings.Replace(argoEnvs, `host: "a.example.org", cluster: "k3s", gitops: "argocd"`, `host: "a.example.org", cluster: "k3s", gitops: "argocd", suspended: true`, 1)
	set := render(t, loadEnvs(t, src))
	built, err := kustomize.Build(set, gitops.ArgoCDDir+"/k3s")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range docs(t, built) {
		name := get(o, "metadata", "name")
		automated := get(o, "spec", "syncPolicy", "automated")
		if (automated == nil) != (name == "cht-a") {
			t.Errorf("%s: automated %v", name, automated)
		}
		if opts, _ := get(o, "spec", "syncPolicy", "syncOptions").([]any); len(opts) != 1 {
			t.Errorf("%s syncOptions %v", name, opts)
		}
		if err := checkArgo(t, v, o); err != nil {
			t.Errorf("%s does not match Argo CD's CRD: %v", name, err)
		}
	}
	if r := string(set[gitops.ArgoCDDir+"/k3s/README.md"]); !strings.Contains(r, "cht-a (**suspended**: no automated sync)") {
		t.Errorf("README:\n%s", r)
	}
	_, err = load.Load(fstest.MapFS{"a.cue": {Data: []byte("package environments\n" + strings.Replace(src, `branch: "release"`, `branch: "release", argocdMode: "applicationset"`, 1))}}, "envs")
	if err == nil || !strings.Contains(err.Error(), "environments.a.suspended: cannot park one environment of an ApplicationSet") {
		t.Errorf("applicationset + suspended: %v", err)
	}
}
