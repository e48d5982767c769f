package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/handover"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	hc "github.com/cht-gen/cht-gen/internal/helmcompare"
)

// TestHandover_RemovesOnlyWhatTheOverlayDoesNotRender: for each release of
// the e2e (Medic's charts, `helm template` of the same values), what the
// handover would remove, Helm's objects minus those it keeps, is exactly
// the Helm-only objects: the upgrade service on 4.x, nothing on 5.x. Every
// claim, volume, Deployment and Service Helm made is kept for the
// reconciler to adopt.
func TestHandover_RemovesOnlyWhatTheOverlayDoesNotRender(t *testing.T) {
	hc.Helm(t)
	for _, tc := range handoverCases {
		t.Run(tc.name, func(t *testing.T) {
			chart := hc.Reference(t, tc.chart...)
			dir := t.TempDir()
			release, ns := valueOf(tc.values, "project_name"), valueOf(tc.values, "namespace")
			writeFile(t, filepath.Join(dir, release+".yaml"), tc.values)
			manifest := hc.Template(t, chart, ns, "-f", filepath.Join(dir, release+".yaml"), "--no-hooks")
			docs, err := kustomize.SplitYAML(manifest)
			if err != nil {
				t.Fatal(err)
			}
			envs := filepath.Join(dir, "environments")
			writeFile(t, filepath.Join(envs, "gitops.cue"), "package environments\n\ngitops: repoURL: \"https://github.com/moh/cht-hosting\"\n")
			if code, o, errs := runCLI(t, "import", "helm", "--cluster", "moh", "-e", envs, filepath.Join(dir, release+".yaml")); code != 0 {
				t.Fatalf("import helm: %s%s", o, errs)
			}
			code, out, errs := runCLI(t, "handover", release, "-e", envs, "-o", "json")
			if code != 0 {
				t.Fatalf("handover: %s", errs)
			}
			var plan handover.Plan
			if err := json.Unmarshal([]byte(out), &plan); err != nil {
				t.Fatal(err)
			}
			keep := map[string]bool{}
			for _, s := range plan.Steps {
				if s.Name == "helm-only-objects" {
					for _, m := range regexp.MustCompile(` -e (\S+)`).FindAllStringSubmatch(s.Script, -1) {
						keep[m[1]] = true
					}
				}
			}
			if len(keep) == 0 {
				t.Fatalf("no kept objects in the helm-only-objects step:\n%s", out)
			}
			var removed []string
			for _, d := range docs {
				var o handover.Object
				var meta struct {
					Metadata struct{ Name string } `json:"metadata"`
				}
				if yaml.Unmarshal(d, &o) != nil || yaml.Unmarshal(d, &meta) != nil || o.Kind == "" {
					continue
				}
				o.Name = meta.Metadata.Name
				if !keep[o.KubectlName()] {
					kind, name, _ := strings.Cut(o.KubectlName(), "/")
					kind, _, _ = strings.Cut(kind, ".")
					removed = append(removed, kind+"/"+name)
				}
			}
			sort.Strings(removed)
			want := append([]string(nil), tc.gone...)
			sort.Strings(want)
			if strings.Join(removed, " ") != strings.Join(want, " ") {
				t.Errorf("the handover would remove %v, want %v", removed, want)
			}
		})
	}
}
