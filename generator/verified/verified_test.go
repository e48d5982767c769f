package verified

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func key(r *Record, parts ...string) Key {
	h := r.NewKey("test v1")
	for _, p := range parts {
		h.AddString(p)
	}
	return h.Sum()
}

func open(t *testing.T, dir, id string) *Record {
	t.Helper()
	r, err := OpenDir(dir, []byte(id))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRecord_RemembersWhatWasAdded(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, "binary A")
	k := key(r, "overlay", "bytes")
	if r.Has(k) {
		t.Fatal("empty record has a key")
	}
	r.Add(k)
	if !r.Has(k) {
		t.Fatal("added key not found")
	}
	// Another process of the same binary reads the same record.
	if !open(t, dir, "binary A").Has(k) {
		t.Fatal("reopened record lost the key")
	}
	if r.Has(key(r, "overlay", "other bytes")) {
		t.Fatal("a key never added is found")
	}
	if info, err := os.Stat(filepath.Join(dir, secretName)); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret: %v, mode %v; want 0600", err, info.Mode())
	}
}

func TestKey_PartsAreDelimited(t *testing.T) {
	r := open(t, t.TempDir(), "A")
	if key(r, "ab", "c") == key(r, "a", "bc") {
		t.Fatal(`("ab","c") and ("a","bc") give one key`)
	}
	var nilRecord *Record
	if key(r, "x") == key(nilRecord, "x") {
		t.Fatal("the binary's identity is not part of the key")
	}
}

// Tampered records: each way an entry can be edited, forged or copied
// must read as "not verified".
func TestRecord_TamperedEntriesDoNotVerify(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, "binary A")
	k := key(r, "broken overlay")
	entry := r.path(k)
	write := func(t *testing.T, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(entry), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(entry, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	legit := func(t *testing.T) []byte {
		t.Helper()
		r.Add(k)
		b, err := os.ReadFile(entry)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sum := sha256.Sum256(k[:])
	otherMachine := open(t, t.TempDir(), "binary A") // same binary, its own secret
	otherBinary := open(t, dir, "binary B")          // same cache, another identity
	cases := map[string]func(t *testing.T){
		"edited": func(t *testing.T) {
			b := legit(t)
			b[len(b)-2] ^= 1
			write(t, b)
		},
		"truncated": func(t *testing.T) {
			b := legit(t)
			write(t, b[:len(b)-5])
		},
		"extended": func(t *testing.T) {
			write(t, append(legit(t), "x"...))
		},
		"empty":       func(t *testing.T) { write(t, nil) },
		"forged hash": func(t *testing.T) { write(t, []byte(entryMagic+hex.EncodeToString(sum[:])+"\n")) },
		"copied from another key": func(t *testing.T) {
			good := key(r, "good overlay")
			r.Add(good)
			b, _ := os.ReadFile(r.path(good))
			write(t, b)
		},
		"copied from another machine": func(t *testing.T) {
			otherMachine.Add(k)
			b, _ := os.ReadFile(otherMachine.path(k))
			write(t, b)
		},
		"written by another binary": func(t *testing.T) {
			theirs := key(otherBinary, "broken overlay")
			otherBinary.Add(theirs)
			if theirs == k {
				t.Fatal("two identities give one key")
			}
			b, _ := os.ReadFile(otherBinary.path(theirs))
			write(t, b)
		},
		"a directory": func(t *testing.T) {
			os.Remove(entry)
			if err := os.MkdirAll(entry, 0o700); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(entry) })
		},
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			os.RemoveAll(entry)
			tamper(t)
			if r.Has(k) {
				t.Fatal("tampered entry verifies")
			}
		})
	}
}

func TestOpenDir_RefusesASecretOthersCanReadOrWrite(t *testing.T) {
	for name, breakIt := range map[string]func(dir string) error{
		"group-readable secret": func(dir string) error { return os.Chmod(filepath.Join(dir, secretName), 0o640) },
		"short secret":          func(dir string) error { return os.WriteFile(filepath.Join(dir, secretName), []byte("short"), 0o600) },
		"secret is a directory": func(dir string) error {
			os.Remove(filepath.Join(dir, secretName))
			return os.Mkdir(filepath.Join(dir, secretName), 0o700)
		},
		"secret is a symlink": func(dir string) error {
			other := filepath.Join(dir, "elsewhere")
			os.Rename(filepath.Join(dir, secretName), other)
			return os.Symlink(other, filepath.Join(dir, secretName))
		},
		"cache writable by others": func(dir string) error { return os.Chmod(dir, 0o777) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cht-gen")
			r := open(t, dir, "A")
			k := key(r, "x")
			r.Add(k)
			if err := breakIt(dir); err != nil {
				t.Fatal(err)
			}
			if r2, err := OpenDir(dir, []byte("A")); err == nil {
				t.Fatalf("opened (has key: %v)", r2.Has(k))
			}
		})
	}
}

// A cache that cannot be used is not an error: nothing is remembered.
func TestRecord_BrokenCacheMeansCheckAgain(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, "A")
	if err := os.RemoveAll(filepath.Join(dir, entryDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, entryDir), []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	k := key(r, "x")
	r.Add(k) // must not panic or report anything
	if r.Has(k) {
		t.Fatal("key found in a cache that cannot hold it")
	}
	var none *Record
	none.Add(k)
	if none.Has(k) {
		t.Fatal("nil record has a key")
	}
	t.Setenv(DisableEnv, "1")
	if Open() != nil {
		t.Fatalf("%s=1 but Open returned a record", DisableEnv)
	}
	t.Setenv(DisableEnv, "")
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "no", "such"))
	t.Setenv("HOME", filepath.Join(dir, "no", "such"))
	if r := Open(); r != nil {
		r.Add(k) // a fresh cache directory is created and used
		if !r.Has(k) {
			t.Fatal("fresh cache lost a key")
		}
	}
}

// Renders running at once share one secret and never see half an entry.
func TestRecord_ConcurrentOpensAndAdds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cht-gen")
	var wg sync.WaitGroup
	records := make([]*Record, 8)
	for i := range records {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := OpenDir(dir, []byte("A"))
			if err != nil {
				t.Error(err)
				return
			}
			records[i] = r
			for j := range 50 {
				k := key(r, "shared", string(rune('a'+j)))
				r.Add(k)
				if !r.Has(k) {
					t.Errorf("record %d lost key %d", i, j)
				}
			}
		}()
	}
	wg.Wait()
	for _, r := range records[1:] {
		if r != nil && !bytes.Equal(r.secret, records[0].secret) {
			t.Fatal("concurrent opens made two secrets")
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, entryDir, "*", ".tmp-*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

func TestIdentity_IsStableAndNamesThisBinary(t *testing.T) {
	a, err := Identity()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Identity()
	if len(a) != sha256.Size || !bytes.Equal(a, b) {
		t.Fatalf("identity %x then %x", a, b)
	}
}

// A binary that cannot name itself remembers nothing.
func TestRecord_NoIdentityNoRecord(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, "A")
	k := key(r, "x")
	r.Add(k)
	blind, err := openDir(dir, func() ([]byte, error) { return nil, os.ErrNotExist })
	if err != nil {
		t.Fatal(err)
	}
	if blind.Has(k) || blind.Has(key(blind, "x")) {
		t.Fatal("a record without identity has keys")
	}
	blind.Add(key(blind, "y"))
	if r.Has(key(r, "y")) {
		t.Fatal("a record without identity added a key")
	}
}

func TestPrune_RemovesOnlyLongUnusedEntries(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, "A")
	old, fresh, usedLately := key(r, "old"), key(r, "fresh"), key(r, "used lately")
	for _, k := range []Key{old, fresh, usedLately} {
		r.Add(k)
	}
	now := time.Now()
	long := now.Add(-keepUnused - time.Hour)
	for _, k := range []Key{old, usedLately} {
		if err := os.Chtimes(r.path(k), long, long); err != nil {
			t.Fatal(err)
		}
	}
	if !r.Has(usedLately) { // a hit marks it used
		t.Fatal("entry lost before pruning")
	}
	r.prune(now)
	if r.Has(old) {
		t.Error("an entry unused for longer than keepUnused survived")
	}
	if !r.Has(fresh) || !r.Has(usedLately) {
		t.Error("pruning removed an entry in use")
	}
	// Not again within a day, even if entries aged meanwhile.
	r.Add(old)
	if err := os.Chtimes(r.path(old), long, long); err != nil {
		t.Fatal(err)
	}
	r.prune(now.Add(time.Hour))
	if _, err := os.Stat(r.path(old)); err != nil {
		t.Error("pruned twice within a day")
	}
	r.prune(now.Add(pruneEvery + time.Hour))
	if _, err := os.Stat(r.path(old)); err == nil {
		t.Error("not pruned a day later")
	}
}

// The build ID read from the executable is the one the go command reports.
func TestGoBuildID_IsWhatGoToolBuildIDReads(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF only")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	want := strings.TrimSpace(string(out))
	if got := goBuildID(exe); got != want || strings.Count(got, "/") != 3 {
		t.Errorf("goBuildID = %q, go tool buildid says %q", got, want)
	}
	// Not an executable, or no build ID: none.
	plain := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o755)
	if id := goBuildID(plain); id != "" {
		t.Errorf("goBuildID of a script = %q", id)
	}
}
