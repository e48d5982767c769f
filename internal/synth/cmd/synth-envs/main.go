// Command synth-envs writes a synthetic environment set to disk for the
// CLI benchmark (scripts/bench-cli.sh), and with -helm-values one values
// file per Kubernetes environment for Medic's chart.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/internal/synth"
)

func main() {
	n := flag.Int("n", 100, "number of environments")
	out := flag.String("out", "environments", "directory to write the .cue files into")
	helmValues := flag.String("helm-values", "", "if set, write <env>.yaml Helm values for each Kubernetes environment here")
	flag.Parse()
	if err := run(*n, *out, *helmValues); err != nil {
		fmt.Fprintln(os.Stderr, "synth-envs:", err)
		os.Exit(1)
	}
}

func run(n int, out, helmValues string) error {
	fsys := synth.Environments(n)
	if err := os.CopyFS(out, fsys); err != nil {
		return err
	}
	if helmValues == "" {
		return nil
	}
	res, err := load.Load(fsys, ".")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(helmValues, 0o755); err != nil {
		return err
	}
	for i := range res.Environments {
		e := &res.Environments[i]
		if e.Target != model.Kubernetes {
			continue
		}
		b, err := yaml.Marshal(synth.HelmValues(e))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(helmValues, e.Name+".yaml"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
