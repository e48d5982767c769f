package repo_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cht-gen/cht-gen/generator/repo"
)

// A credentials file is refused, as a typed error, wherever one git add -A
// would commit it; outside those places it is allowed.
func TestCheckSecretsOut(t *testing.T) {
	root := t.TempDir()
	envs, deploy, outside := filepath.Join(root, "environments"), filepath.Join(root, "deploy"), t.TempDir()
	for _, d := range []string{envs, deploy} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		out, kind string
	}{
		{filepath.Join(envs, "prod.env"), repo.InEnvironments},
		{filepath.Join(deploy, "prod.env"), repo.InRenderOutput},
		{filepath.Join(outside, "prod.env"), ""},
	} {
		err := repo.CheckSecretsOut(tc.out, envs, deploy, "prod")
		var refused *repo.SecretsOutError
		switch {
		case tc.kind == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.out, err)
		case tc.kind != "" && (!errors.As(err, &refused) || refused.Kind != tc.kind):
			t.Errorf("%s: got %v, want a SecretsOutError of kind %q", tc.out, err, tc.kind)
		}
	}
}

// WriteNew never replaces a file: credentials are not overwritten.
func TestWriteNew_NeverOverwrites(t *testing.T) {
	out := filepath.Join(t.TempDir(), "prod.env")
	if err := repo.WriteNew(out, []byte("A=1\n")); err != nil {
		t.Fatal(err)
	}
	if err := repo.WriteNew(out, []byte("A=2\n")); err == nil {
		t.Fatal("a second write replaced the file")
	}
	if b, _ := os.ReadFile(out); string(b) != "A=1\n" {
		t.Errorf("file holds %q", b)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}
