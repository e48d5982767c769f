package scaffold_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/scaffold"
)

// init --compose-gitops doco-cd writes gitops.compose, and the example
// Compose environment then loads under doco-cd, without the upgrade
// service; the default keeps the manual flow.
func TestFiles_ComposeGitOps(t *testing.T) {
	for _, tc := range []struct {
		choice string
		want   bool
	}{{"doco-cd", true}, {"none", false}, {"", false}} {
		fs, err := scaffold.Files(scaffold.Options{Version: "1.4.0", SHA256: strings.Repeat("ab", 32), RepoURL: "https://github.com/moh/x", Branch: "main", ComposeGitOps: tc.choice})
		if err != nil {
			t.Fatal(err)
		}
		envs := fstest.MapFS{}
		for _, f := range fs {
			if name, ok := strings.CutPrefix(f.Path, "environments/"); ok {
				envs[name] = &fstest.MapFile{Data: f.Data}
			}
		}
		res, err := load.Load(envs, "environments")
		if err != nil {
			t.Fatalf("%q: %v", tc.choice, err)
		}
		composeEnvs := 0
		for _, e := range res.Environments {
			if e.Target != "compose" {
				continue
			}
			composeEnvs++
			if e.UsesDocoCD() != tc.want || e.UpgradeService.Enabled == tc.want {
				t.Errorf("%q: %s uses doco-cd %v, upgrade service %v", tc.choice, e.Name, e.UsesDocoCD(), e.UpgradeService.Enabled)
			}
		}
		if composeEnvs == 0 {
			t.Fatalf("no Compose example")
		}
	}
	if _, err := scaffold.Files(scaffold.Options{Version: "1.4.0", SHA256: strings.Repeat("ab", 32), Branch: "main", ComposeGitOps: "flux"}); err == nil {
		t.Errorf("a Compose reconciler flux was accepted")
	}
}
