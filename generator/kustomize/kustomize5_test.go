package kustomize_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/model"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
)

func build(t *testing.T, set map[string][]byte, e *model.Environment) []byte {
	t.Helper()
	built, err := kustomize.Build(set, kustomize.OverlayDir(e))
	if err != nil {
		t.Fatal(err)
	}
	if err := kustomize.Verify(built, e.Credentials.SecretName, model.CredentialKeys); err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	return built
}

func envNamed(envs []model.Environment, name string) *model.Environment {
	for i := range envs {
		if envs[i].Name == name {
			return &envs[i]
		}
	}
	return nil
}

func container(d *appsv1.Deployment, name string) *corev1.Container {
	for i, c := range d.Spec.Template.Spec.Containers {
		if c.Name == name {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	return nil
}

func hasEnv(c *corev1.Container, name string) bool {
	for _, e := range c.Env {
		if e.Name == name {
			return true
		}
	}
	return false
}

// Tenants of one cluster on different lines: each overlay gets exactly its
// version's objects, and a 4.x overlay builds byte for byte as it does with
// no 5.x neighbour.
func TestKustomize_LinesShareACluster(t *testing.T) {
	src4 := `environments: old: {target: "kubernetes", version: "4.22.0", host: "old.example.org", upgradeService: enabled: true}
environments: old3: {target: "kubernetes", version: "4.22.0", host: "old3.example.org", couchdb: nodes: 3}
`
	src5 := `environments: v50: {target: "kubernetes", version: "5.0.0", host: "v50.example.org", couchdb: nodes: 3}
environments: v51: {target: "kubernetes", version: "5.1.0", host: "v51.example.org"}
environments: v52: {target: "kubernetes", version: "5.2.0", host: "v52.example.org", couchdb: nodes: 3}
environments: v53: {target: "kubernetes", version: "5.3.0", host: "v53.example.org", couchdb: nodes: 3}
environments: v53one: {target: "kubernetes", version: "5.3.1", host: "v53one.example.org"}
`
	alone := loadEnvs(t, src4)
	aloneSet := render(t, alone)
	envs := loadEnvs(t, src4+src5)
	set := render(t, envs)
	for _, name := range []string{"old", "old3"} {
		if got, want := build(t, set, envNamed(envs, name)), build(t, aloneSet, envNamed(alone, name)); !bytes.Equal(got, want) {
			t.Errorf("%s builds differently beside 5.x environments:\n%s", name, cmp.Diff(string(want), string(got)))
		}
	}
	for p, b := range aloneSet {
		if !bytes.Equal(set[p], b) {
			t.Errorf("%s changes when 5.x environments join", p)
		}
		if strings.HasPrefix(p, kustomize.Base5Dir+"/") || strings.HasPrefix(p, kustomize.Single5Dir+"/") || strings.HasPrefix(p, kustomize.RecreateDir+"/") {
			t.Errorf("4.x environments alone render 5.x's %s", p)
		}
	}
	only5 := loadEnvs(t, src5)
	for p := range render(t, only5) {
		if strings.HasPrefix(p, kustomize.BaseDir+"/") || strings.HasPrefix(p, kustomize.SingleDir+"/") || strings.HasPrefix(p, kustomize.UpgradeDir+"/") {
			t.Errorf("5.x environments alone render 4.x's %s", p)
		}
	}
	for _, tc := range []struct {
		env                        string
		nouveauDeployment          bool   // 5.0.x: its own Deployment
		nouveauIn                  string // 5.1+: the CouchDB Deployment holding the container
		nouveauEveryNode           bool   // 5.3+ cluster: every cht-couchdb-N holds one
		nouveauSelects             string
		upgradeService, nodeEnv    bool
		apiStrategy, couchStrategy appsv1.DeploymentStrategyType
	}{
		{env: "old", upgradeService: true, apiStrategy: appsv1.RollingUpdateDeploymentStrategyType, couchStrategy: appsv1.RecreateDeploymentStrategyType},
		// Without the upgrade service API has no UPGRADE_SERVICE_URL to a
		// Service that is not there (issue 22), unlike Medic's chart.
		{env: "old3", apiStrategy: appsv1.RollingUpdateDeploymentStrategyType, couchStrategy: appsv1.RecreateDeploymentStrategyType},
		{env: "v50", nouveauDeployment: true, nouveauSelects: "nouveau", apiStrategy: appsv1.RollingUpdateDeploymentStrategyType, couchStrategy: appsv1.RecreateDeploymentStrategyType},
		{env: "v51", nouveauIn: "cht-couchdb", nouveauSelects: "couchdb", apiStrategy: appsv1.RecreateDeploymentStrategyType, couchStrategy: appsv1.RecreateDeploymentStrategyType},
		{env: "v52", nouveauIn: "cht-couchdb-1", nouveauSelects: "couchdb-1", nodeEnv: true, apiStrategy: appsv1.RecreateDeploymentStrategyType, couchStrategy: appsv1.RecreateDeploymentStrategyType},
		{env: "v53", nouveauEveryNode: true, nodeEnv: true, apiStrategy: appsv1.RecreateDeploymentStrategyType, couchStrategy: appsv1.RecreateDeploymentStrategyType},
		{env: "v53one", nouveauIn: "cht-couchdb", nouveauSelects: "couchdb", nodeEnv: true, apiStrategy: appsv1.RecreateDeploymentStrategyType, couchStrategy: appsv1.RecreateDeploymentStrategyType},
	} {
		t.Run(tc.env, func(t *testing.T) {
			e := envNamed(envs, tc.env)
			built := build(t, set, e)
			objs := hc.Decode(t, built)
			ds := deployments(t, built)
			_, hasNouveauDeployment := ds["cht-couchdb-nouveau"]
			if hasNouveauDeployment != tc.nouveauDeployment {
				t.Errorf("Deployment cht-couchdb-nouveau: %v, want %v", hasNouveauDeployment, tc.nouveauDeployment)
			}
			for name, d := range ds {
				node := strings.TrimPrefix(name, "cht-couchdb-")
				if tc.nouveauEveryNode && node != name {
					checkNouveauOnNode(t, e, objs, d, node)
				} else if c := container(d, "cht-couchdb-nouveau"); c != nil {
					if name != tc.nouveauIn && name != "cht-couchdb-nouveau" {
						t.Errorf("nouveau runs in %s", name)
					}
					if c.Image != e.Image("couchdb-nouveau") {
						t.Errorf("nouveau image %s", c.Image)
					}
				} else if name == tc.nouveauIn {
					t.Errorf("%s has no nouveau container", name)
				}
				if strings.HasPrefix(name, "cht-couchdb") && name != "cht-couchdb-nouveau" && d.Spec.Strategy.Type != tc.couchStrategy {
					t.Errorf("%s strategy %q", name, d.Spec.Strategy.Type)
				}
			}
			svc, _ := objs["Service/nouveau"].(*corev1.Service)
			switch {
			case tc.nouveauSelects == "" && svc != nil:
				t.Error("a 4.x environment or a 5.3 cluster has one nouveau Service")
			case tc.nouveauSelects != "" && (svc == nil || svc.Spec.Selector["cht.service"] != tc.nouveauSelects):
				t.Errorf("nouveau Service %v, want it selecting %s", svc, tc.nouveauSelects)
			}
			for _, k := range []string{"Deployment/upgrade-service", "Service/upgrade-service", "ServiceAccount/cht-upgrade-service-user", "Role/deployment-manager", "RoleBinding/deployment-manager-cht"} {
				if _, ok := objs[k]; ok != tc.upgradeService {
					t.Errorf("%s present: %v", k, ok)
				}
			}
			api := container(ds["cht-api"], "cht-api")
			if hasEnv(api, "UPGRADE_SERVICE_URL") != tc.upgradeService {
				t.Errorf("API's UPGRADE_SERVICE_URL present: %v, want %v", !tc.upgradeService, tc.upgradeService)
			}
			for _, d := range []string{"cht-api", "cht-sentinel"} {
				c := ds[d].Spec.Template.Spec.Containers[0]
				if got := hasEnv(&c, "NODE_ENV") && hasEnv(&c, "LOG_LEVEL"); got != tc.nodeEnv {
					t.Errorf("%s NODE_ENV and LOG_LEVEL: %v, want %v", d, got, tc.nodeEnv)
				}
			}
			if s := ds["cht-api"].Spec.Strategy.Type; s != tc.apiStrategy {
				t.Errorf("cht-api strategy %q, want %q", s, tc.apiStrategy)
			}
		})
	}
}

// Moving an environment from 4.x to 5.x keeps what holds CouchDB's data:
// the same claims and volumes, the same data mounts, and Deployment
// selectors (immutable) unchanged, so the reconciler updates in place.
func TestKustomize_MoveTo5KeepsCouchDBData(t *testing.T) {
	for _, tc := range []struct{ name, couchdb string }{
		{"single node, dynamic claim", `nodes: 1, storage: {size: "50Gi", class: "gp3"}`},
		{"three nodes, existing EBS volumes", `nodes: 3, storage: {size: "50Gi", subPath: "couchdb", existing: ebsVolumeIDs: ["vol-1a", "vol-2b", "vol-3c"]}`},
		{"single node, whole volume", `nodes: 1, storage: {subPath: "", existing: hostPaths: ["/srv/couch"]}, placement: nodes: ["n1"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var builds []hc.Objects
			var deps []map[string]*appsv1.Deployment
			for _, v := range []string{"4.22.0", "5.0.0", "5.2.0", "5.3.0"} {
				envs := loadEnvs(t, `environments: prod: {target: "kubernetes", version: "`+v+`", host: "prod.example.org", couchdb: {`+tc.couchdb+`}}`)
				built := build(t, render(t, envs), &envs[0])
				builds, deps = append(builds, hc.Decode(t, built)), append(deps, deployments(t, built))
			}
			for i, v := range []string{"5.0.0", "5.2.0", "5.3.0"} {
				for k, o := range builds[0] {
					if strings.HasPrefix(k, "PersistentVolume") || strings.HasPrefix(k, "Namespace/") {
						if d := cmp.Diff(o, builds[i+1][k]); d != "" {
							t.Errorf("%s changes moving to %s:\n%s", k, v, d)
						}
					}
				}
				for name, d := range deps[0] {
					d5, ok := deps[i+1][name]
					if name == "upgrade-service" {
						continue
					}
					if !ok {
						t.Errorf("%s: Deployment %s gone", v, name)
						continue
					}
					if !cmp.Equal(d.Spec.Selector, d5.Spec.Selector) {
						t.Errorf("%s: %s selector %v, was %v", v, name, d5.Spec.Selector, d.Spec.Selector)
					}
					if c := d.Spec.Template.Spec.Containers[0]; strings.HasPrefix(name, "cht-couchdb") {
						if got := d5.Spec.Template.Spec.Containers[0].VolumeMounts; !cmp.Equal(c.VolumeMounts, got) {
							t.Errorf("%s: %s mounts %+v, was %+v", v, name, got, c.VolumeMounts)
						}
					}
				}
			}
		})
	}
}

func TestKustomize_Readme5(t *testing.T) {
	envs := loadEnvs(t, `environments: v50: {target: "kubernetes", version: "5.0.0", host: "a.example.org", couchdb: nodes: 3}
environments: v52: {target: "kubernetes", version: "5.2.0", host: "b.example.org", couchdb: storage: subPath: "couch"}
environments: old: {target: "kubernetes", version: "4.22.0", host: "c.example.org"}
environments: v53: {target: "kubernetes", version: "5.3.0", host: "d.example.org", couchdb: nodes: 3}`)
	set := render(t, envs)
	readme := func(name string) string { return string(set[kustomize.OverlayDir(envNamed(envs, name))+"/README.md"]) }
	for _, tc := range []struct {
		env           string
		want, notWant []string
	}{
		{"v50", []string{"no upgrade service on Kubernetes", `"Stage"`, "own Deployment `cht-couchdb-nouveau`", "CouchDB node 1's volume", "which is also CouchDB's data folder", "5 times the disk", "`nouveau.yaml`", "`../../base-5`"}, []string{"patches Deployments"}},
		{"v52", []string{"no upgrade service on Kubernetes", "second container of the CouchDB pod `cht-couchdb`", "beside CouchDB's data (subPath `couch`)"}, nil},
		{"v53", []string{"every CouchDB pod `cht-couchdb-N`", "Service `nouveau-N`", "`NOUVEAU_URL=http://nouveau-N:5987`", "its own volume (`couchdb-N-claim0`)"}, []string{"node 1's volume"}},
		{"old", []string{"`../../base`", "## Moving to CHT 5.x", "runs CHT 4.22.0", "`cht-gen bump old --to 5.3.1` without `--push` prints the items",
			"preparing-for-5", "docs/versions.md"}, []string{"ouveau", "Stage", "4.5 or later first"}},
		{"v52", nil, []string{"Moving to CHT 5.x"}},
	} {
		r := readme(tc.env)
		for _, s := range tc.want {
			if !strings.Contains(r, s) {
				t.Errorf("%s README lacks %q:\n%s", tc.env, s, r)
			}
		}
		for _, s := range tc.notWant {
			if strings.Contains(r, s) {
				t.Errorf("%s README has %q:\n%s", tc.env, s, r)
			}
		}
	}
}

// checkNouveauOnNode: on a 5.3 cluster, CouchDB node N (Deployment d) runs
// its own nouveau on its own claim, reads NOUVEAU_URL=http://nouveau-N:5987,
// and Service nouveau-N selects its pod (Medic's 5.3.0 chart).
func checkNouveauOnNode(t *testing.T, e *model.Environment, objs hc.Objects, d *appsv1.Deployment, node string) {
	t.Helper()
	c := container(d, "cht-couchdb-nouveau")
	if c == nil {
		t.Errorf("%s has no nouveau container", d.Name)
		return
	}
	claim := "couchdb-" + node + "-claim0"
	if c.Image != e.Image("couchdb-nouveau") || len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != claim || c.VolumeMounts[0].SubPath != "data" {
		t.Errorf("%s nouveau: image %s, mounts %+v; want its indexes in %s's data folder", d.Name, c.Image, c.VolumeMounts, claim)
	}
	couch := container(d, d.Name)
	url := ""
	for _, ev := range couch.Env {
		if ev.Name == "NOUVEAU_URL" {
			url = ev.Value
		}
	}
	if want := "http://nouveau-" + node + ":5987"; url != want {
		t.Errorf("%s NOUVEAU_URL = %q, want %q", d.Name, url, want)
	}
	svc, _ := objs["Service/nouveau-"+node].(*corev1.Service)
	if svc == nil || svc.Spec.Selector["cht.service"] != "couchdb-"+node {
		t.Errorf("Service nouveau-%s %v, want it selecting couchdb-%s", node, svc, node)
	}
}
