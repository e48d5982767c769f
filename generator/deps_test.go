package generator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The package map of cht-gen, in the spirit of golang/go's
// src/go/build/deps_test.go. This table is a statement of policy: data flows
// one way (load -> model -> render -> files -> write -> bump/PR), and each
// package may import only what its job needs.
//
// DO NOT CHANGE THIS DATA TO FIX BUILDS. A failing edge means a package
// reaches past its job: move the code, or put the dependency behind a small
// interface wired in cmd/gen. Change the table only when the map itself
// changes, and say why in the commit.
//
// Packages are named relative to the module. own lists the cht-gen packages
// a package may import directly (exactly; nothing else of ours). ext lists
// the prefixes of third-party imports it may use directly; the standard
// library is always allowed. never lists prefixes that must not appear even
// among its transitive dependencies (go list -deps), so that CUE, Git or
// GitHub code cannot come in through a third package.
type rule struct {
	own   []string
	ext   []string
	never []string
}

var (
	cueMod       = "cuelang.org/go"
	goGit        = "github.com/go-git/go-git"
	goGitHub     = "github.com/google/go-github"
	composeGo    = "github.com/compose-spec/compose-go"
	kustomizeAPI = "sigs.k8s.io/kustomize"
)

// renderer is what every renderer, and what Render itself, must never pull
// in, directly or not.
var renderer = []string{cueMod, goGit, goGitHub}

var policy = map[string]rule{
	// The CUE module users import; embeds the *.cue files.
	"cue": {},

	// Typed environments: plain structs, defaults filled, cross-env checks.
	// Value checks use the libraries that define the formats.
	"generator/model": {
		ext: []string{
			"github.com/Masterminds/semver",
			"github.com/distribution/reference",
			"k8s.io/apimachinery/pkg/api/resource", // quantities: a request above its limit, a zero volume
			"k8s.io/apimachinery/pkg/api/validation",
			"k8s.io/apimachinery/pkg/util/validation",
		},
		never: []string{cueMod, goGit, goGitHub, composeGo, kustomizeAPI, "k8s.io/api/"},
	},
	// CUE -> model, with user positions.
	"generator/load": {
		own: []string{"cue", "generator/model"},
		ext: []string{cueMod},
	},
	// CUE source edits (bump's version change), keeping comments and layout.
	"generator/cueedit": {
		ext: []string{cueMod},
	},
	// Set of relative paths -> bytes; the generated header; YAML output.
	"generator/files": {
		ext:   []string{"sigs.k8s.io/kustomize/kyaml/yaml"},
		never: renderer,
	},

	// Renderers: model -> files, each checked in memory.
	"generator/compose": {
		own:   []string{"generator/files", "generator/model"},
		ext:   []string{composeGo, "github.com/sirupsen/logrus", "go.yaml.in/yaml/v3"}, // yaml: the raw files, read for defaults
		never: renderer,
	},
	"generator/kustomize": {
		own:   []string{"generator/files", "generator/model"},
		ext:   []string{"k8s.io/api/", "k8s.io/apimachinery/", kustomizeAPI, "sigs.k8s.io/yaml"},
		never: renderer,
	},
	"generator/gitops": {
		own: []string{"generator/files", "generator/kustomize", "generator/model"},
		ext: []string{
			"github.com/fluxcd/kustomize-controller/api",
			"github.com/fluxcd/source-controller/api",
			"github.com/fluxcd/pkg/apis/",
			"k8s.io/apimachinery/", "sigs.k8s.io/kustomize/kyaml/yaml", "sigs.k8s.io/yaml",
		},
		never: renderer,
	},
	// Credentials Secrets (plain for sops, sealed): built like an overlay.
	"generator/secrets": {
		own:   []string{"generator/files", "generator/kustomize", "generator/model"},
		ext:   []string{"github.com/google/uuid", "k8s.io/apimachinery/", "sigs.k8s.io/yaml"},
		never: renderer,
	},
	// Render: renderers per environment -> one Result; Diff of a render
	// with a committed Set. Takes model environments, so rendering never
	// depends on CUE.
	"generator": {
		own: []string{
			"generator/compose", "generator/diff", "generator/files", "generator/gitops",
			"generator/handover", "generator/kustomize", "generator/model",
			"generator/secrets", "generator/verified",
		},
		never: renderer,
	},
	// The steps that move a running instance under the reconciler in
	// place, as a sh script or data; renders nothing, reads no CUE.
	"generator/handover": {
		own:   []string{"generator/model"},
		ext:   []string{"k8s.io/apimachinery/pkg/api/resource", "k8s.io/apimachinery/pkg/util/validation", "mvdan.cc/sh/v3/syntax"},
		never: []string{cueMod, goGit, goGitHub, composeGo, kustomizeAPI},
	},
	// The record of inputs already checked (user cache, HMAC'd entries):
	// the standard library only.
	"generator/verified": {never: renderer},
	// Reviewable diff of two Sets, grouped by what the files hold.
	"generator/diff": {
		own:   []string{"generator/compose", "generator/files", "generator/gitops", "generator/kustomize"},
		ext:   []string{"github.com/pmezard/go-difflib", "sigs.k8s.io/yaml"},
		never: renderer,
	},

	// Writing and publishing.
	"generator/repo": {
		own:   []string{"generator/files", "internal/atomicfile", "internal/redact"},
		ext:   []string{goGit, "github.com/rogpeppe/go-internal/lockedfile", "golang.org/x/sync/"},
		never: []string{cueMod, goGitHub, composeGo, kustomizeAPI + "/api"},
	},
	"generator/github": {
		own:   []string{"generator/model", "internal/redact"},
		ext:   []string{goGitHub, "github.com/hashicorp/go-retryablehttp"},
		never: []string{cueMod, goGit, composeGo, kustomizeAPI},
	},
	// Version policy -> source edit -> Render -> commit -> PR. Git and
	// GitHub are interfaces here; cmd/gen wires repo and github in.
	"generator/bump": {
		own: []string{
			"generator", "generator/cueedit", "generator/diff", "generator/files",
			"generator/load", "generator/model", "internal/atomicfile",
		},
		ext:   []string{"github.com/Masterminds/semver"},
		never: []string{goGit, goGitHub},
	},

	// Users' existing deployments -> environment CUE files.
	"generator/importer": {
		own: []string{"generator/load", "generator/model", "internal/atomicfile"},
		ext: []string{
			cueMod, "github.com/Masterminds/semver", composeGo,
			"github.com/distribution/reference", "github.com/sirupsen/logrus", "go.yaml.in/yaml/",
		},
		never: []string{goGit, goGitHub, kustomizeAPI},
	},
	// A new environments repository (cht-gen init).
	"generator/scaffold": {
		own:   []string{"generator/cueedit", "generator/repo", "internal/atomicfile"},
		ext:   []string{cueMod, goGit, "github.com/hashicorp/go-retryablehttp"},
		never: []string{goGitHub},
	},

	// The CLI: flags, wiring, printing, exit codes.
	"cmd/gen": {
		own: []string{
			"cue", "generator", "generator/bump", "generator/diff", "generator/files", "generator/github",
			"generator/handover", "generator/importer", "generator/load", "generator/model", "generator/repo",
			"generator/scaffold", "generator/secrets", "generator/verified", "internal/redact",
		},
		ext: []string{"github.com/spf13/cobra"},
	},

	// Secrets (tokens) masked in error messages, keeping the error chain.
	"internal/redact": {never: renderer},

	// Test support.
	"internal/atomicfile": {},
	"internal/composecompare": {
		ext:   []string{"github.com/compose-spec/compose-go/v2/"},
		never: []string{cueMod, goGit, goGitHub},
	},
	"internal/dockertest": {never: renderer},
	"internal/fakegithub": {never: renderer},
	"internal/helmcompare": {
		own:   []string{"internal/reference"},
		ext:   []string{"github.com/google/go-cmp", "k8s.io/api/", "k8s.io/apimachinery/"},
		never: []string{cueMod, goGit, goGitHub},
	},
	// Medic's reference files, pinned (manifest.yaml), located and
	// verified for tests; fetch fills the cache (make reference).
	"internal/reference":       {ext: []string{"go.yaml.in/yaml/v3"}, never: renderer},
	"internal/reference/fetch": {own: []string{"internal/reference"}, ext: []string{"github.com/hashicorp/go-retryablehttp", "golang.org/x/sync/"}, never: renderer},
	"internal/reference/cmd/reference": {
		own:   []string{"internal/reference", "internal/reference/fetch"},
		never: renderer,
	},
	"internal/release": {},
	"internal/synth":   {own: []string{"generator/model"}, never: []string{cueMod}},
	"internal/synth/cmd/synth-envs": {
		own: []string{"generator/load", "generator/model", "internal/synth"},
		ext: []string{"sigs.k8s.io/yaml"},
	},
}

type listedPackage struct {
	ImportPath string
	Module     *struct{ Path string }
	Standard   bool
	Imports    []string
	Deps       []string
}

// listModule runs go list -deps over the module and returns its own
// packages, and the standard library's import paths.
func listModule(t *testing.T) (mod string, own []listedPackage, std map[string]bool) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	modPath, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	mod = strings.TrimSpace(string(modPath))
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Module,Standard,Imports,Deps", mod+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	std = map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		switch {
		case p.Standard:
			std[p.ImportPath] = true
		case p.Module != nil && p.Module.Path == mod:
			own = append(own, p)
		}
	}
	return mod, own, std
}

func hasPrefix(path string, prefixes []string) (string, bool) {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p) && (strings.HasSuffix(p, "/") || path[len(p)] == '/') {
			return p, true
		}
	}
	return "", false
}

func TestDependencies(t *testing.T) {
	mod, pkgs, std := listModule(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
		if name == "" {
			name = "."
		}
		seen[name] = true
		r, ok := policy[name]
		if !ok {
			t.Errorf("package %s is not in the policy table of deps_test.go: add it with the imports its job needs", name)
			continue
		}
		for _, imp := range p.Imports {
			if std[imp] || imp == "C" {
				continue
			}
			if rel, ok := strings.CutPrefix(imp, mod+"/"); ok {
				if !slices.Contains(r.own, rel) {
					t.Errorf("disallowed import: %s -> %s", name, rel)
				}
				continue
			}
			if _, ok := hasPrefix(imp, r.ext); !ok {
				t.Errorf("disallowed import: %s -> %s", name, imp)
			}
		}
		for _, bad := range r.never {
			// One line per forbidden prefix: the first package it brings.
			if i := slices.IndexFunc(p.Deps, func(dep string) bool {
				_, ok := hasPrefix(dep, []string{bad})
				return ok
			}); i >= 0 {
				t.Errorf("disallowed dependency: %s -> ... -> %s (nothing of %s may be in its -deps)", name, p.Deps[i], bad)
			}
		}
	}
	var stale []string
	for name := range policy {
		if !seen[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	for _, name := range stale {
		// A row for a package that is gone would silently allow it back.
		t.Errorf("policy lists %s, which is not a package of the module: remove the row", name)
	}
}

// The checker must be able to fail: an edge outside the table is reported.
func TestHasPrefix(t *testing.T) {
	for _, tc := range []struct {
		path     string
		prefixes []string
		want     bool
	}{
		{"cuelang.org/go/cue", []string{"cuelang.org/go"}, true},
		{"cuelang.org/go", []string{"cuelang.org/go"}, true},
		{"cuelang.org/gox", []string{"cuelang.org/go"}, false},
		{"k8s.io/api/core/v1", []string{"k8s.io/api/"}, true},
		{"k8s.io/apimachinery/pkg", []string{"k8s.io/api/"}, false},
		{"github.com/go-git/go-git/v5", []string{"github.com/go-git/go-git"}, true},
	} {
		if _, got := hasPrefix(tc.path, tc.prefixes); got != tc.want {
			t.Errorf("hasPrefix(%q, %q) = %v, want %v", tc.path, tc.prefixes, got, tc.want)
		}
	}
}
