package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoSecretReachesOutput sets sentinel secrets where an operator keeps
// them (process environment, .env files beside the environments and in the
// output) and greps everything cht-gen wrote or printed.
func TestNoSecretReachesOutput(t *testing.T) {
	const pw, sec, tok = "SENTINELpw-7f3a", "SENTINELsecret-91c2", "SENTINELtoken-55d0"
	t.Setenv("COUCHDB_PASSWORD", pw)
	t.Setenv("COUCHDB_SECRET", sec)
	t.Setenv("GITHUB_TOKEN", tok)
	dir, _ := hostingRepo(t)
	envs, out := filepath.Join(dir, "environments"), filepath.Join(dir, "deploy")
	dotenv := "COUCHDB_PASSWORD=" + pw + "\nCOUCHDB_SECRET=" + sec + "\n"
	os.WriteFile(filepath.Join(envs, ".env"), []byte(dotenv), 0o600)
	os.WriteFile(filepath.Join(out, "compose", "dev", ".env"), []byte(dotenv), 0o600)

	var printed strings.Builder
	for _, args := range [][]string{
		{"validate"}, {"render"}, {"render", "--check"}, {"diff"}, {"bump", "prod", "--to", "4.22.0"}, {"diff"}, {"bump", "prod", "--to", "4.1"},
	} {
		args = append(args, "-e", envs)
		if args[0] != "validate" {
			args = append(args, "--out", out)
		}
		code, o, e := runCLI(t, args...)
		if code == 2 {
			t.Errorf("%v: usage error, the command did not run:\n%s", args, e)
		}
		printed.WriteString(o + e)
	}
	for _, s := range []string{pw, sec, tok} {
		if strings.Contains(printed.String(), s) {
			t.Errorf("printed output holds %s", s)
		}
	}
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) == ".env" {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, s := range []string{pw, sec, tok} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds %s", p, s)
			}
		}
		return nil
	})
	if b, _ := os.ReadFile(filepath.Join(out, "compose", "dev", ".env")); string(b) != dotenv {
		t.Error("render touched the operator's .env")
	}
}
