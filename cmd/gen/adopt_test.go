package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
)

// TestAdoption_EndToEnd is the "done when": in an empty
// directory, git init, cht-gen init, cht-gen import helm of three values
// files, cht-gen render: the workflows pass actionlint, render --check
// passes, and each built overlay matches helm template of its values up to
// the reviewed differences.
func TestAdoption_EndToEnd(t *testing.T) {
	chart := hc.Reference(t, "helm-charts", "charts", "cht-chart-4x")
	hc.Helm(t)
	dir := gitRepo(t, "https://github.com/moh/cht-hosting")
	if code, out, errs := runCLI(t, "init", dir, "--release-version", "1.4.0", "--release-sha256", testSum); code != 0 {
		t.Fatalf("init: %s%s", out, errs)
	}
	vals, err := os.MkdirTemp("", "values") // helm -f splits paths on commas
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(vals) })
	releases := map[string]string{
		"prod": `project_name: prod
namespace: cht-prod
cht_image_tag: 4.22.0
couchdb:
  password: S3NTINEL-1
  secret: S3NTINEL-2
  uuid: S3NTINEL-3
  clusteredCouch_enabled: true
  couchdb_node_storage_size: 500Gi
clusteredCouch:
  noOfCouchDBNodes: 3
nodes:
  node-1: ip-10-0-1-20
  node-2: ip-10-0-2-20
  node-3: ip-10-0-3-20
ingress:
  host: cht.moh.example.org
  annotations:
    groupname: moh
    tags: Environment=prod
    certificate: arn:aws:acm:eu-west-1:111122223333:certificate/prod
`,
		"staging": `project_name: staging
namespace: cht-staging
cht_image_tag: 4.21.1
couchdb:
  password: S3NTINEL-1
  couchdb_node_storage_size: 100Gi
couchdb_data:
  preExistingDataAvailable: true
  dataPathOnDiskForCouchDB: storage/medic-core/couchdb/data
ebs:
  preExistingEBSVolumeID-1: vol-0abc123
  preExistingEBSVolumeSize: 100Gi
ingress:
  host: staging.moh.example.org
  annotations:
    groupname: moh
`,
		"uat": `project_name: uat
namespace: cht-uat
cht_image_tag: 4.22.0
cache_images: false
couchdb:
  password: S3NTINEL-1
ingress:
  host: uat.moh.example.org
  annotations:
    groupname: moh
`,
	}
	var paths []string
	for _, name := range []string{"prod", "staging", "uat"} {
		p := filepath.Join(vals, name+".yaml")
		os.WriteFile(p, []byte(releases[name]), 0o644)
		paths = append(paths, p)
	}
	envs, deploy := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	code, out, errs := runCLI(t, append([]string{"import", "helm", "-e", envs, "--cluster", "moh-eks"}, paths...)...)
	if code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errs)
	}
	if !strings.Contains(errs, "prod.yaml:5:3: couchdb.password: credential: not imported") {
		t.Errorf("credentials not reported:\n%s", errs)
	}
	if code, _, errs := runCLI(t, "render", "-e", envs, "--out", deploy); code != 0 {
		t.Fatalf("render: %s", errs)
	}
	if code, out, errs := runCLI(t, "render", "--check", "-e", envs, "--out", deploy); code != 0 {
		t.Fatalf("render --check: %s%s", out, errs)
	}
	if bin, err := exec.LookPath("actionlint"); err == nil {
		cmd := exec.Command(bin)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("actionlint: %v\n%s", err, out)
		}
	}
	set := files.Set{}
	filepath.WalkDir(deploy, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(deploy, p)
			b, _ := os.ReadFile(p)
			set[filepath.ToSlash(rel)] = b
		}
		return nil
	})
	for i, env := range []string{"prod", "staging", "uat"} {
		t.Run(env, func(t *testing.T) {
			built, err := kustomize.Build(set, kustomize.OverlaysDir+"/"+env)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(built), "S3NTINEL") {
				t.Fatal("a credential from the values reached the built overlay")
			}
			medic := hc.Template(t, chart, "cht-"+env, "-f", paths[i])
			diffs := append(append([]hc.Difference{hc.ExplicitRollingDefaults}, hc.Common...), hc.UpgradeServiceOff, hc.UpgradeServiceURLOff)
			if env != "prod" {
				diffs = append(diffs, hc.MedicDevALB)
			}
			if env == "staging" {
				diffs = append(diffs, hc.ClaimRef)
			}
			hc.Compare(t, hc.Decode(t, built), hc.Decode(t, medic), diffs)
		})
	}
	for _, p := range []string{".env"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s written", p)
		}
	}
}
