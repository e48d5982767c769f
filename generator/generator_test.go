package generator_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/load"
)

func TestRender_EveryFileSaysWhereItComesFrom(t *testing.T) {
	res, err := load.Load(os.DirFS("../environments"), "environments")
	if err != nil {
		t.Fatal(err)
	}
	set, err := renderedFiles(generator.Render(context.Background(), res.Environments, generator.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Paths() {
		first, _, _ := strings.Cut(string(set[p]), "\n")
		// files.Marked is how the writer tells a cht-gen file it may restore.
		if !files.Marked(set[p]) || !strings.Contains(first, "do not edit") {
			t.Errorf("%s starts with %q, not the generated-by header", p, first)
		}
		// Files of one environment name its file.
		for _, env := range res.Environments {
			if strings.Contains(p, "/"+env.Name+"/") || strings.HasSuffix(p, "/cht-"+env.Name+".yaml") {
				if !strings.Contains(first, env.Source.File) {
					t.Errorf("%s: header %q does not name %s", p, first, env.Source.File)
				}
			}
		}
	}
	for _, want := range []string{"clusters/moh-eks/kustomization.yaml", "argocd/partner-k3s/kustomization.yaml"} {
		if _, ok := set[want]; !ok {
			t.Errorf("examples render no %s", want)
		}
	}
}

// renderedFiles is the files of a render, for tests that look at them only.
func renderedFiles(r *generator.Result, err error) (files.Set, error) {
	if err != nil {
		return nil, err
	}
	return r.Files, nil
}
