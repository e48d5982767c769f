package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/importer"
	"github.com/cht-gen/cht-gen/generator/load"
)

// import compose --gitops doco-cd: the agent deploys the VM under the
// project its containers run as (no second set), the upgrade service is
// left out, and the notes say to stop it on the VM first.
func TestImportCompose_DocoCD(t *testing.T) {
	dir := vm(t, "4.22.0", "cht-couchdb.yml", "CHT_COMPOSE_PATH=/srv/cht/district\nCHT_COMPOSE_PROJECT_NAME=moh\nCOUCHDB_DATA=/srv/cht/district/srv\n")
	env, notes, err := importer.FromCompose(dir, importer.ComposeOptions{Name: "district", GitOps: "doco-cd"})
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	for _, n := range notes {
		said = append(said, n.String())
	}
	if !strings.Contains(strings.Join(said, "\n"), "docker compose -f upgrade-service/docker-compose.yml down (never -v)") {
		t.Errorf("notes do not say to stop the upgrade service:\n%s", strings.Join(said, "\n"))
	}
	envs := t.TempDir()
	os.WriteFile(filepath.Join(envs, "gitops.cue"), []byte("package environments\ngitops: repoURL: \"https://github.com/moh/hosting\"\n"), 0o644)
	if _, err := importer.Write(envs, "district.cue", &importer.EnvFile{Envs: []*importer.Env{env}}, false); err != nil {
		t.Fatal(err)
	}
	res, err := load.Load(os.DirFS(envs), "environments")
	if err != nil {
		t.Fatal(err)
	}
	e := &res.Environments[0]
	if !e.UsesDocoCD() || e.UpgradeService.Enabled {
		t.Fatalf("gitops %q, upgrade service %v", e.GitOps, e.UpgradeService.Enabled)
	}
	set, err := renderedFiles(generator.Render(context.Background(), res.Environments, generator.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	var d compose.DocoCDDeploy
	if err := yaml.Unmarshal(set[compose.Dir(e)+"/"+compose.DocoCDConfig], &d); err != nil {
		t.Fatal(err)
	}
	if d.Name != "moh" {
		t.Errorf("deploys project %q, want the running project moh", d.Name)
	}
	if _, ok := set[compose.Dir(e)+"/"+compose.UpgradeFile]; ok {
		t.Errorf("the upgrade service is rendered under doco-cd")
	}
	if _, _, err := importer.FromCompose(dir, importer.ComposeOptions{Name: "district", GitOps: "flux"}); err == nil {
		t.Errorf("--gitops flux accepted for a Compose VM")
	}
}
