//go:build unix

package repo_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cht-gen/cht-gen/generator/repo"
)

// The manifest is committed with the output, so a pull request can edit
// it: claim files cht-gen never wrote, or carry a forged journal. Only a
// file still holding what cht-gen recorded is cht-gen's to replace or
// remove; nobody can forge that for a file whose content they do not
// know (a host's .env). Every case: the user's files, an empty folder of
// theirs and a file beside the output are left exactly as they were.
func TestWrite_ForgedManifestTouchesNothingForeign(t *testing.T) {
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	const attacker = "COUCHDB_PASSWORD=attacker\n"
	for _, tc := range []struct {
		name    string
		journal []string // lines put after the manifest's header
		owned   []string // lines added to the owned files
		plant   map[string]string
		wasAll  bool // the journal's "was" lines also list every owned file
		wantErr string
	}{
		{name: "claims a .env without a hash", owned: []string{"-  compose/a/.env"}},
		{name: "claims a user file by bare path", owned: []string{"NOTES.md"}},
		{name: "claims a user file with a wrong hash", owned: []string{sum("other") + "  compose/a/local.txt"}},
		{name: "claims a committed user file with its right hash", owned: []string{sum("ours\n") + "  NOTES.md"}},
		{name: "claims the lock file (empty: its hash is known)", owned: []string{sum("") + "  " + repo.LockName}},
		{
			name:    "committing journal removes a committed user file with its right hash",
			journal: []string{"#! journal committing x", "#! remove " + sum("ours\n") + "  NOTES.md"},
			owned:   []string{sum("ours\n") + "  NOTES.md"},
			wantErr: "NOTES.md is not the file the interrupted write was replacing",
		},
		{name: "claims a folder", owned: []string{"-  compose/a/srv", "compose/a/empty"}},
		{
			name:    "committing journal renames a planted file over the .env",
			journal: []string{"#! journal committing x", "#! write compose/a/.env"},
			owned:   []string{sum(attacker) + "  compose/a/.env"},
			plant:   map[string]string{"compose/a/..env.cht-gen-x.tmp": attacker},
			wantErr: "compose/a/.env is not the file the interrupted write was replacing",
		},
		{
			name:    "committing journal with a forged before-hash",
			journal: []string{"#! journal committing x", "#! write " + sum("guess") + "  compose/a/.env"},
			owned:   []string{sum(attacker) + "  compose/a/.env"},
			plant:   map[string]string{"compose/a/..env.cht-gen-x.tmp": attacker},
			wantErr: "compose/a/.env is not the file the interrupted write was replacing",
		},
		{
			name:    "committing journal renames a temporary file the manifest does not list",
			journal: []string{"#! journal committing x", "#! write -  compose/a/new.yml"},
			plant:   map[string]string{"compose/a/.new.yml.cht-gen-x.tmp": attacker},
			wantErr: "is not the new content of",
		},
		{
			name:    "committing journal removes user files",
			journal: []string{"#! journal committing x", "#! remove NOTES.md", "#! remove -  compose/a/local.txt"},
			wantErr: "NOTES.md is not the file the interrupted write was replacing",
		},
		{
			name:    "committing journal removes a missing file in an empty user folder",
			journal: []string{"#! journal committing x", "#! remove compose/a/empty/gone.yml", "#! remove compose/a/srv/couchdb/data/x"},
		},
		{
			name:    "pending journal restores forged owners and removes a user folder",
			journal: []string{"#! journal pending x", "#! was -  NOTES.md", "#! was -  compose/a/.env", "#! mkdir compose/a/empty", "#! write compose/a/empty/x.yml"},
			wasAll:  true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deploy")
			mustWrite(t, dir, oldSet)
			watched := foreign(t, dir)
			os.WriteFile(filepath.Join(dir, "compose/a/.env"), []byte("COUCHDB_PASSWORD=s3cr3t\n"), 0o600)
			os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("ours\n"), 0o644)
			outside := filepath.Join(filepath.Dir(dir), "outside.txt")
			os.WriteFile(outside, []byte("outside\n"), 0o644)
			watched = append(watched, "compose/a/.env", "NOTES.md", repo.LockName)
			for p, c := range tc.plant {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
				os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644)
				watched = append(watched, p)
			}
			mf := filepath.Join(dir, repo.ManifestName)
			b, _ := os.ReadFile(mf)
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			forged := append(append([]string{}, lines[:2]...), tc.journal...)
			for _, l := range lines[2:] {
				if tc.wasAll {
					forged = append(forged, "#! was "+l)
				}
			}
			forged = append(forged, lines[2:]...)
			forged = append(forged, tc.owned...)
			os.WriteFile(mf, []byte(strings.Join(forged, "\n")+"\n"), 0o644)
			before := tree(t, dir)

			_, err := repo.Write(dir, newSet, repo.Options{Log: func(m string) { t.Log(m) }})
			after := tree(t, dir)
			sameNodes(t, before, after, watched)
			if b, _ := os.ReadFile(outside); string(b) != "outside\n" {
				t.Errorf("the file beside the output was changed: %q", b)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				exactly(t, dir, newSet)
				if m, _ := os.ReadFile(mf); strings.Contains(string(m), "NOTES.md") || strings.Contains(string(m), ".env\n") {
					t.Errorf("the manifest still claims a file cht-gen did not write:\n%s", m)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("got %v, want an error saying %q and that nothing was changed", err, tc.wantErr)
			}
			for p, n := range before {
				if after[p] != n {
					t.Errorf("%s changed although the write was refused", p)
				}
			}
		})
	}
}

// A manifest that is not a regular file (a named pipe would block the
// read for ever, holding the lock; a link would make some other file the
// list of owned files) is refused by Write and Diff, changing nothing.
func TestWrite_ManifestThatIsNotARegularFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(mf, dir string) error
		want string
	}{
		{"named pipe", func(mf, _ string) error { return syscall.Mkfifo(mf, 0o644) }, "is a named pipe"},
		{"link to a user file", func(mf, dir string) error { return os.Symlink("NOTES.md", mf) }, "is a symbolic link (to NOTES.md)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deploy")
			mustWrite(t, dir, oldSet)
			mf := filepath.Join(dir, repo.ManifestName)
			os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("-  compose/a/local.txt\n"), 0o644)
			os.Remove(mf)
			if err := tc.make(mf, dir); err != nil {
				t.Skip(err)
			}
			before := tree(t, dir)
			for _, run := range []func() error{
				func() error { _, err := repo.Write(dir, newSet, repo.Options{}); return err },
				func() error { _, err := repo.Diff(dir, newSet); return err },
			} {
				done := make(chan error, 1)
				go func() { done <- run() }()
				select {
				case err := <-done:
					if err == nil || !strings.Contains(err.Error(), mf+" "+tc.want) {
						t.Errorf("got %v, want it to say %q", err, mf+" "+tc.want)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("blocked on the manifest")
				}
			}
			after := tree(t, dir)
			for p, n := range before {
				if after[p] != n {
					t.Errorf("%s changed", p)
				}
			}
		})
	}
}

// Medic's upgrade service rewrites the owned compose files (without
// cht-gen's header) on an in-app upgrade; render restores them, and a
// crash in the middle of that is still finished by the next run.
func TestWrite_CrashWhileRestoringAFileTheUpgradeServiceRewrote(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustWrite(t, dir, oldSet)
	os.WriteFile(filepath.Join(dir, "compose/a/y.yml"), []byte("y: Medic's, from the upgrade service\n"), 0o644)
	_, err := repo.Write(dir, oldSet, repo.Options{Hook: func(_ int, what string) error {
		if what == "replace compose/a/y.yml" {
			return errCrash
		}
		return nil
	}})
	if !errors.Is(err, errCrash) {
		t.Fatalf("not stopped before the replace: %v", err)
	}
	mustWrite(t, dir, oldSet)
	exactly(t, dir, oldSet)
}
