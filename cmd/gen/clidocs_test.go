package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra/doc"
)

// cliDocs is where the CLI reference lives, generated from the commands.
const cliDocs = "../../docs/cli"

// TestCLIReference_UpToDate: docs/cli/ is what cobra generates from the
// command tree, so the reference cannot drift from --help. CHT_UPDATE=1
// (make update) rewrites it; review with git diff.
func TestCLIReference_UpToDate(t *testing.T) {
	root := newRootCmd(&shared{stdout: io.Discard, stderr: io.Discard, stdin: strings.NewReader("")})
	root.DisableAutoGenTag = true // no date: the files must be reproducible
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	gen := t.TempDir()
	if err := doc.GenMarkdownTree(root, gen); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("CHT_UPDATE") != "" {
		if err := os.RemoveAll(cliDocs); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(cliDocs, os.DirFS(gen)); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, got := readDocsDir(t, gen), readDocsDir(t, cliDocs)
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("docs/cli/%s is stale or missing: run make update (CHT_UPDATE=1) and commit it", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("docs/cli/%s documents no command: run make update (CHT_UPDATE=1)", name)
		}
	}
	if !slices.Contains(docNames(want), "cht-gen_render.md") {
		t.Errorf("no page for render in %v", docNames(want))
	}
}

func readDocsDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func docNames(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
