package importer_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/importer"
	"github.com/cht-gen/cht-gen/generator/load"
)

func helmValues(name string) string {
	return "project_name: " + name + "\ncht_image_tag: 4.21.1\ningress: {host: " + name + ".example.org}\n"
}

// TestPlanHelm plans imports of values files into a directory holding
// gitops.cue (and, for some, another file), then writes the plan: the
// environments written are those planned, and a plan with errors writes
// nothing.
func TestPlanHelm(t *testing.T) {
	for _, tc := range []struct {
		name      string
		values    map[string]string // file name -> values; "" is not written (missing)
		existing  string            // other.cue's content, if any
		force     bool
		wantEnvs  []string // environments written into c1.cue
		wantErrs  []string // keys of Result.Errors
		wantFatal string   // an error from PlanHelm itself
	}{{
		name:     "two releases, one file",
		values:   map[string]string{"a.yaml": helmValues("prod"), "b.yaml": helmValues("staging")},
		wantEnvs: []string{"prod", "staging"},
	}, {
		name:     "the same name twice",
		values:   map[string]string{"a.yaml": helmValues("prod"), "b.yaml": helmValues("prod")},
		wantErrs: []string{"name"},
	}, {
		name:     "a missing file is reported with the others",
		values:   map[string]string{"a.yaml": helmValues("prod"), "b.yaml": ""},
		wantErrs: []string{"values file"},
	}, {
		name:     "an environment another file declares",
		values:   map[string]string{"a.yaml": helmValues("prod")},
		existing: "package environments\n\nenvironments: prod: {target: \"compose\", version: \"4.21.1\", host: \"p.example.org\"}\n",
		wantErrs: []string{"environments.prod"},
	}, {
		name:      "an existing c1.cue without force",
		values:    map[string]string{"a.yaml": helmValues("prod")},
		existing:  "c1",
		wantFatal: "exists",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "environments")
			write(t, filepath.Join(dir, "gitops.cue"), gitops)
			switch tc.existing {
			case "":
			case "c1":
				write(t, filepath.Join(dir, "c1.cue"), "package environments\n")
			default:
				write(t, filepath.Join(dir, "other.cue"), tc.existing)
			}
			var paths []string
			for _, n := range slices.Sorted(maps.Keys(tc.values)) {
				p := filepath.Join(root, n)
				if tc.values[n] != "" {
					write(t, p, tc.values[n])
				}
				paths = append(paths, p)
			}
			r, err := importer.PlanHelm(dir, paths, importer.HelmOptions{Cluster: "c1"}, tc.force)
			if tc.wantFatal != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantFatal) {
					t.Fatalf("PlanHelm: %v, want an error with %q", err, tc.wantFatal)
				}
				return
			}
			if err != nil {
				t.Fatalf("PlanHelm: %v", err)
			}
			var keys []string
			for _, e := range r.Errors {
				keys = append(keys, e.Key)
			}
			if !slices.Equal(keys, tc.wantErrs) {
				t.Fatalf("errors %v (%v), want keys %v", keys, r.Errors, tc.wantErrs)
			}
			werr := r.Write()
			target := filepath.Join(dir, "c1.cue")
			if len(tc.wantErrs) > 0 {
				var errs importer.Errors
				if !errors.As(werr, &errs) {
					t.Errorf("Write with errors: %v, want importer.Errors", werr)
				}
				if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s written by a plan with errors (%v)", target, err)
				}
				return
			}
			if werr != nil {
				t.Fatalf("Write: %v", werr)
			}
			if len(r.Written) != 1 || r.Written[0].Path != target || !slices.Equal(r.Written[0].Envs, tc.wantEnvs) {
				t.Fatalf("written %+v, want %s with %v", r.Written, target, tc.wantEnvs)
			}
			res, err := load.Load(os.DirFS(dir), "environments")
			if err != nil {
				t.Fatalf("load what was written: %v", err)
			}
			for _, name := range tc.wantEnvs {
				if e, ok := res.Lookup(name); !ok || filepath.Base(e.Source.File) != "c1.cue" {
					t.Errorf("environment %s not loaded from c1.cue", name)
				}
			}
		})
	}
}

// TestPlanCompose_MissingFolder: a folder that is not there is one of
// the import's errors, and nothing is planned for writing.
func TestPlanCompose_MissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "environments")
	r, err := importer.PlanCompose(dir, []string{filepath.Join(dir, "no-such-vm")}, []importer.ComposeOptions{{}}, false)
	if err != nil {
		t.Fatalf("PlanCompose: %v", err)
	}
	if len(r.Errors) == 0 || len(r.Written) != 0 {
		t.Fatalf("errors %v, written %v: want errors and nothing to write", r.Errors, r.Written)
	}
	if err := r.Write(); err == nil {
		t.Fatal("Write of a plan with errors succeeded")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s created by a plan with errors", dir)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
