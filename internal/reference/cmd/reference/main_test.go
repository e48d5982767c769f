package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/internal/reference"
)

// make reference with CHT_REFERENCE_DIR: the mirror's files are verified
// and copied into the cache, which tests then find; an empty mirror fails
// and writes nothing.
func TestRun_FromMirror(t *testing.T) {
	mirror := reference.Dir(t)
	cache := t.TempDir()
	env := map[string]string{reference.EnvCache: cache, reference.EnvDir: mirror}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut, getenv); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	dir := filepath.Join(cache, reference.EmbeddedVersion())
	if !strings.Contains(out.String(), "verified and written to "+dir) {
		t.Errorf("stdout: %s", out.String())
	}
	m, err := reference.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := reference.Verify(dir, m); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(nil, &out, &errOut, getenv); code != 0 || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("second run: exit %d: %s%s", code, out.String(), errOut.String())
	}

	// Without CHT_REFERENCE_DIR, tests find the cache.
	delete(env, reference.EnvDir)
	out.Reset()
	if code := run([]string{"--print-dir"}, &out, &errOut, getenv); code != 0 || strings.TrimSpace(out.String()) != dir {
		t.Fatalf("--print-dir: exit %d: %q, want %s", code, out.String(), dir)
	}

	env[reference.EnvDir] = t.TempDir()
	env[reference.EnvCache] = t.TempDir()
	errOut.Reset()
	if code := run(nil, &out, &errOut, getenv); code != 1 || !strings.Contains(errOut.String(), "lacks") {
		t.Fatalf("empty mirror: exit %d: %s", code, errOut.String())
	}
	if ents, _ := os.ReadDir(env[reference.EnvCache]); len(ents) != 0 {
		t.Errorf("an empty mirror wrote %v into the cache", ents)
	}
}
