package generator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/kustomize"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/generator/verified"
	"github.com/cht-gen/cht-gen/internal/synth"
)

// checks renders fsys with record r and returns the checks that ran.
func checks(t *testing.T, fsys fstest.MapFS, r *verified.Record) (files.Set, []string) {
	t.Helper()
	res, err := load.Load(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ran []string
	set, err := renderedFiles(Render(context.Background(), res.Environments, Options{Verified: r, Checked: func(what string) {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, what)
	}}))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ran)
	return set, ran
}

func record(t *testing.T, dir, id string) *verified.Record {
	t.Helper()
	r, err := verified.OpenDir(dir, []byte(id))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// edit replaces old with new (once) in the environment file holding it.
func edit(t *testing.T, fsys fstest.MapFS, old, new string) {
	t.Helper()
	for name, f := range fsys {
		if s := string(f.Data); strings.Contains(s, old) {
			fsys[name] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
			return
		}
	}
	t.Fatalf("no environment file holds %q", old)
}

// changedUnder reports whether any file under dir differs between a and b.
func changedUnder(a, b files.Set, dir string) bool {
	for _, s := range []files.Set{a, b} {
		for p := range s {
			if strings.HasPrefix(p, dir+"/") && string(a[p]) != string(b[p]) {
				return true
			}
		}
	}
	return false
}

// buildInputsChanged reports whether a build of dir reads other bytes in a
// than in b.
func buildInputsChanged(a, b files.Set, dir string) bool {
	pa, pb := kustomize.Inputs(a, dir), kustomize.Inputs(b, dir)
	if !slices.Equal(pa, pb) {
		return true
	}
	for _, p := range pa {
		if string(a[p]) != string(b[p]) {
			return true
		}
	}
	return false
}

func TestRender_ChecksEachDistinctInputOnce(t *testing.T) {
	fsys := synth.Environments(20) // 16 tenants on 4 clusters, 4 Compose VMs
	cache := t.TempDir()
	r := record(t, cache, "this cht-gen")
	first, ran := checks(t, fsys, r)
	if len(ran) != 16+4+4 {
		t.Fatalf("first render ran %d checks, want 24 (16 overlays, 4 reconciler folders, 4 Compose folders): %v", len(ran), ran)
	}

	again, ran := checks(t, fsys, r)
	if len(ran) != 0 {
		t.Fatalf("second render of the same input ran %v, want no check", ran)
	}
	if !slices.Equal(first.Paths(), again.Paths()) || changedUnder(first, again, "") {
		t.Fatal("second render differs from the first")
	}

	// One tenant moves to another version: its overlay is built again,
	// and its cluster's folder only if what that build reads changed (its
	// README names the version, but is not built).
	edit(t, fsys, `d0000: {target: "kubernetes", version: "4.20.0"`, `d0000: {target: "kubernetes", version: "4.22.0"`)
	tenant, ran := checks(t, fsys, r)
	want := []string{"kustomize kubernetes/overlays/d0000"}
	if !changedUnder(again, tenant, "clusters/c0") {
		t.Fatal("test assumes the change shows in the cluster's folder")
	}
	if buildInputsChanged(again, tenant, "clusters/c0") {
		want = append([]string{"kustomize clusters/c0"}, want...)
	}
	if !slices.Equal(ran, want) {
		t.Fatalf("one tenant changed: ran %v, want %v", ran, want)
	}

	// One Compose VM changes: its folder is loaded again, nothing else.
	edit(t, fsys, `d0004: {target: "compose", version: "4.21.1"`, `d0004: {target: "compose", version: "4.22.0"`)
	if _, ran = checks(t, fsys, r); !slices.Equal(ran, []string{"compose compose/d0004"}) {
		t.Fatalf("one Compose VM changed: ran %v, want only its folder", ran)
	}

	// Another build of cht-gen trusts nothing this one recorded.
	if _, ran = checks(t, fsys, record(t, cache, "another cht-gen")); len(ran) != 24 {
		t.Fatalf("another binary ran %d checks, want all 24", len(ran))
	}
	// Without a record everything is checked, every time.
	if _, ran = checks(t, fsys, nil); len(ran) != 24 {
		t.Fatalf("no record: ran %d checks, want 24", len(ran))
	}
}

// A broken overlay fails its check whatever the record says about it: an
// entry edited, truncated, forged or copied from elsewhere does not skip
// the build.
func TestRender_TamperedRecordCannotPassABrokenOverlay(t *testing.T) {
	dir := t.TempDir()
	id := []byte("this cht-gen")
	r := record(t, dir, string(id))
	res, err := load.Load(synth.Environments(4), ".")
	if err != nil {
		t.Fatal(err)
	}
	out, err := renderedFiles(Render(context.Background(), res.Environments, Options{Verified: r}))
	if err != nil {
		t.Fatal(err)
	}
	e := &res.Environments[0]
	if e.Target != model.Kubernetes {
		t.Fatalf("%s is not a tenant", e.Name)
	}
	good := mustKey(t, r, out, e)
	if !r.Has(good) {
		t.Fatal("render did not record the overlay it built")
	}
	// The overlay builds, but its names are no longer DNS labels.
	k := kustomize.OverlayDir(e) + "/kustomization.yaml"
	out[k] = append(out[k], "nameSuffix: -Not_A_Label\n"...)
	broken := mustKey(t, r, out, e)
	entry := entryPath(dir, broken)

	write := func(t *testing.T, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(entry), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(entry, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read := func(t *testing.T, p string) []byte {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string]func(t *testing.T){
		"no entry": func(t *testing.T) {},
		"entry of the good overlay copied": func(t *testing.T) {
			write(t, read(t, entryPath(dir, good)))
		},
		"forged hash": func(t *testing.T) {
			sum := sha256.Sum256(broken[:])
			write(t, []byte("cht-gen verified v1\n"+hex.EncodeToString(sum[:])+"\n"))
		},
		"entry from another machine's secret": func(t *testing.T) {
			elsewhereDir := t.TempDir()
			elsewhere := record(t, elsewhereDir, string(id))
			theirs := mustKey(t, elsewhere, out, e)
			elsewhere.Add(theirs)
			write(t, read(t, entryPath(elsewhereDir, theirs)))
		},
		"entry from another cht-gen": func(t *testing.T) {
			older := record(t, dir, "older cht-gen")
			theirs := mustKey(t, older, out, e)
			older.Add(theirs)
			write(t, read(t, entryPath(dir, theirs)))
		},
		"edited entry": func(t *testing.T) {
			r.Add(broken) // as if a bug had recorded it, then edited
			b := read(t, entry)
			b[len(b)-3] ^= 1
			write(t, b)
		},
		"truncated entry": func(t *testing.T) {
			r.Add(broken)
			b := read(t, entry)
			write(t, b[:len(b)/2])
		},
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			os.Remove(entry)
			tamper(t)
			built := 0
			opts := Options{Verified: r, Checked: func(string) { built++ }}
			err := checkBuilds(out, nil, nil, res.Environments[:1], &opts)
			if err == nil || !strings.Contains(err.Error(), "not a DNS label") {
				t.Fatalf("broken overlay: err = %v, want the DNS-label check to fail", err)
			}
			if built != 1 {
				t.Fatalf("%d builds, want 1", built)
			}
			if r.Has(broken) {
				t.Fatal("a failed check was recorded")
			}
		})
	}
}

func mustKey(t *testing.T, r *verified.Record, out files.Set, e *model.Environment) verified.Key {
	t.Helper()
	k, err := overlayKey(r, kustomize.NewIndex(out), e)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// entryPath is where the record in dir keeps k (verified-v1/xx/<hex>).
func entryPath(dir string, k verified.Key) string {
	h := hex.EncodeToString(k[:])
	return filepath.Join(dir, "verified-v1", h[:2], h)
}

// Every failing item is reported, in index order, however the goroutines
// ran; one error comes back as it is.
func TestEachParallel_ReportsEveryErrorInOrder(t *testing.T) {
	err := eachParallel(50, func(i int) error {
		if i%20 == 7 {
			return fmt.Errorf("item %d", i)
		}
		return nil
	})
	if err == nil || err.Error() != "item 7\nitem 27\nitem 47" {
		t.Errorf("got %v, want items 7, 27 and 47 in order", err)
	}
	one := errors.New("only")
	if err := eachParallel(5, func(i int) error {
		if i == 3 {
			return one
		}
		return nil
	}); err != one {
		t.Errorf("one error came back as %#v", err)
	}
	if err := eachParallel(5, func(int) error { return nil }); err != nil {
		t.Errorf("no error came back as %v", err)
	}
}

// renderedFiles is the files of a render, for tests that look at them only.
func renderedFiles(r *Result, err error) (files.Set, error) {
	if err != nil {
		return nil, err
	}
	return r.Files, nil
}
