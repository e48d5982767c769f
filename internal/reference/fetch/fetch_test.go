package fetch_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/cht-gen/cht-gen/internal/reference"
	"github.com/cht-gen/cht-gen/internal/reference/fetch"
)

// site is an httptest server serving files by path, counting requests,
// failing the first fail[path] requests of a path with 503.
type site struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	fail  map[string]int
	hits  map[string]int
}

func newSite(t *testing.T, files map[string][]byte) *site {
	s := &site{files: files, fail: map[string]int{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.hits[r.URL.Path]++
		if r.Method != http.MethodGet {
			t.Errorf("%s %s: want GET", r.Method, r.URL.Path)
		}
		if s.fail[r.URL.Path] > 0 {
			s.fail[r.URL.Path]--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		b, ok := s.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += h
	}
	return n
}

func tgz(t *testing.T, members map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, data := range members {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(data))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

const (
	template = "image: {{{ repo }}}/cht-api:{{ tag }}\nservers: {{ couchdb_servers }}\n"
	derived  = "image: public.ecr.aws/medic/cht-api:5.2.0\nservers: couchdb\n"
)

// fixture is a manifest of each kind of source, served by a site.
func fixture(t *testing.T) (*reference.Manifest, *site, map[string]string) {
	t.Helper()
	archive := tgz(t, map[string]string{"chart/Chart.yaml": "name: c\n", "chart/templates/a.yaml": "kind: A\n", "chart/package.sh": "not pinned"})
	s := newSite(t, map[string][]byte{
		"/repo/c1/a.txt":        []byte("a"),
		"/repo/c1/deep/b.txt":   []byte("b"),
		"/repo/c1/build/x.tmpl": []byte(template),
		"/releases/chart-1.tgz": archive,
		"/mirror2/chart-1.tgz":  archive,
		"/docs/pages/guide.md":  []byte("# Guide\n"),
	})
	want := map[string]string{
		"cht/r/a.txt": "a", "cht/r/deep/b.txt": "b", "cht/r/build/x.tmpl": template,
		"cht/chart/Chart.yaml": "name: c\n", "cht/chart/templates/a.yaml": "kind: A\n",
		"cht/r/compose/x.yml": derived, "cht/docs/pages-guide.md": "# Guide\n",
	}
	sum := func(p string) string { return reference.Sum([]byte(want[p])) }
	y := fmt.Sprintf(`sources:
- name: repo
  dir: cht/r/
  url: %[1]s/repo/c1/
  files:
    a.txt: {sha256: %[2]s}
    deep/b.txt: {sha256: %[3]s}
    build/x.tmpl: {sha256: %[4]s}
- name: chart
  dir: cht/chart/
  archive:
    sha256: %[5]s
    strip: chart/
    urls: [%[1]s/releases/chart-1.tgz, %[1]s/mirror2/chart-1.tgz]
  files:
    Chart.yaml: {sha256: %[6]s}
    templates/a.yaml: {sha256: %[7]s}
- name: derived
  dir: cht/r/compose/
  derive:
    vars: {'{{{ repo }}}': public.ecr.aws/medic, '{{ tag }}': 5.2.0, '{{ couchdb_servers }}': couchdb}
  files:
    x.yml: {sha256: %[8]s, from: cht/r/build/x.tmpl}
- name: docs
  dir: cht/docs/
  url: %[1]s/docs/
  files:
    pages-guide.md: {sha256: %[9]s, from: pages/guide.md}
`, s.URL, sum("cht/r/a.txt"), sum("cht/r/deep/b.txt"), sum("cht/r/build/x.tmpl"), reference.Sum(archive),
		sum("cht/chart/Chart.yaml"), sum("cht/chart/templates/a.yaml"), sum("cht/r/compose/x.yml"), sum("cht/docs/pages-guide.md"))
	m, err := reference.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return m, s, want
}

func fastClient() *retryablehttp.Client {
	c := fetch.NewClient()
	c.RetryWaitMin, c.RetryWaitMax = 1, 1 // nanoseconds: retries are counted, not timed
	return c
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalTrees(t *testing.T, got, want map[string]string) {
	t.Helper()
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: got %q, want %q", p, got[p], w)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: not pinned, written anyway", p)
		}
	}
}

func TestFill_DownloadsChecksUnpacksAndDerives(t *testing.T) {
	m, s, want := fixture(t)
	dest := filepath.Join(t.TempDir(), "cache", "v1")
	res, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest, Client: fastClient()})
	if err != nil {
		t.Fatal(err)
	}
	if res.UpToDate || res.Files != len(want) {
		t.Errorf("result %+v", res)
	}
	equalTrees(t, readTree(t, dest), want)
	if s.hits["/mirror2/chart-1.tgz"] != 0 {
		t.Error("the second archive URL was fetched though the first answered")
	}
	// Filled: a second run fetches nothing.
	before := s.requests()
	res, err = fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest, Client: fastClient()})
	if err != nil || !res.UpToDate || s.requests() != before {
		t.Fatalf("second run: %+v, %v, %d requests", res, err, s.requests()-before)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*")); len(leftovers) != 0 {
		t.Errorf("temporary folders left: %v", leftovers)
	}
}

func TestFill_RetriesA503(t *testing.T) {
	m, s, want := fixture(t)
	s.fail["/repo/c1/a.txt"] = 2
	dest := filepath.Join(t.TempDir(), "v1")
	if _, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest, Client: fastClient()}); err != nil {
		t.Fatal(err)
	}
	if s.hits["/repo/c1/a.txt"] != 3 {
		t.Errorf("a.txt fetched %d times, want 3 (two 503s, then 200)", s.hits["/repo/c1/a.txt"])
	}
	equalTrees(t, readTree(t, dest), want)
}

func TestFill_GivesUpAfterRetries(t *testing.T) {
	m, s, _ := fixture(t)
	s.fail["/repo/c1/a.txt"] = 100
	dest := filepath.Join(t.TempDir(), "v1")
	c := fastClient()
	c.RetryMax = 2
	_, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest, Client: c})
	if err == nil || !strings.Contains(err.Error(), "a.txt") {
		t.Fatalf("got %v, want an error naming a.txt", err)
	}
	if s.hits["/repo/c1/a.txt"] != 3 {
		t.Errorf("a.txt fetched %d times, want 1 + RetryMax 2", s.hits["/repo/c1/a.txt"])
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("the cache was written though a file failed: %v", err)
	}
}

func TestFill_RefusesWhatIsNotPinned(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		data       []byte
		want       string // in the error
		mismatch   bool
	}{
		{"a changed file", "/repo/c1/deep/b.txt", []byte("B"), "cht/r/deep/b.txt", true},
		{"a changed template (the derived file too)", "/repo/c1/build/x.tmpl", []byte("x"), "cht/r/build/x.tmpl", true},
		{"a changed archive", "/releases/chart-1.tgz", []byte("not the archive"), "no URL gave the pinned archive", true},
		{"a missing file", "/docs/pages/guide.md", nil, "404", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, s, _ := fixture(t)
			if tc.data == nil {
				delete(s.files, tc.path)
			} else {
				s.files[tc.path] = tc.data
			}
			if tc.path == "/releases/chart-1.tgz" {
				s.files["/mirror2/chart-1.tgz"] = tc.data
			}
			dest := filepath.Join(t.TempDir(), "v1")
			_, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest, Client: fastClient()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			var bad *reference.MismatchError
			if errors.As(err, &bad) != tc.mismatch {
				t.Errorf("MismatchError %v, want %v: %v", !tc.mismatch, tc.mismatch, err)
			}
			var httpErr *fetch.HTTPError
			if !tc.mismatch && !errors.As(err, &httpErr) {
				t.Errorf("no HTTPError: %v", err)
			}
			if _, err := os.Stat(dest); !os.IsNotExist(err) {
				t.Errorf("the cache was written: %v", err)
			}
		})
	}
}

func TestFill_ArchiveFallsBackAndNeedsEveryMember(t *testing.T) {
	m, s, want := fixture(t)
	delete(s.files, "/releases/chart-1.tgz")
	dest := filepath.Join(t.TempDir(), "v1")
	if _, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest, Client: fastClient()}); err != nil {
		t.Fatal(err)
	}
	equalTrees(t, readTree(t, dest), want)

	m, s, _ = fixture(t)
	short := tgz(t, map[string]string{"chart/Chart.yaml": "name: c\n"})
	for _, p := range []string{"/releases/chart-1.tgz", "/mirror2/chart-1.tgz"} {
		s.files[p] = short
	}
	m.Sources[1].Archive.SHA256 = reference.Sum(short)
	_, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: filepath.Join(t.TempDir(), "v1"), Client: fastClient()})
	var miss *reference.MissingError
	if !errors.As(err, &miss) || len(miss.Paths) != 1 || miss.Paths[0] != "chart/templates/a.yaml" {
		t.Fatalf("got %v, want a MissingError naming chart/templates/a.yaml", err)
	}
}

func TestFill_FromAMirrorFolder(t *testing.T) {
	m, s, want := fixture(t)
	mirror := t.TempDir()
	for p, data := range want {
		full := filepath.Join(mirror, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(data), 0o644)
	}
	os.WriteFile(filepath.Join(mirror, "cht", "SOURCES.md"), []byte("notes"), 0o644)
	dest := filepath.Join(t.TempDir(), "v1")
	if _, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest, Mirror: mirror, Client: fastClient()}); err != nil {
		t.Fatal(err)
	}
	equalTrees(t, readTree(t, dest), want)
	if n := s.requests(); n != 0 {
		t.Errorf("%d requests in mirror mode", n)
	}

	// A changed file and a missing one: both reported, nothing written.
	os.WriteFile(filepath.Join(mirror, "cht", "r", "a.txt"), []byte("changed"), 0o644)
	os.Remove(filepath.Join(mirror, "cht", "chart", "Chart.yaml"))
	dest2 := filepath.Join(t.TempDir(), "v1")
	_, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest2, Mirror: mirror})
	var bad *reference.MismatchError
	var miss *reference.MissingError
	if !errors.As(err, &bad) || !errors.As(err, &miss) || bad.Files[0].Path != "cht/r/a.txt" || miss.Paths[0] != "cht/chart/Chart.yaml" {
		t.Fatalf("got %v, want a mismatch for a.txt and Chart.yaml missing", err)
	}
	if _, err := os.Stat(dest2); !os.IsNotExist(err) {
		t.Errorf("the cache was written: %v", err)
	}
	// An empty mirror: every file missing.
	_, err = fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest2, Mirror: t.TempDir()})
	if !errors.As(err, &miss) || len(miss.Paths) != len(want) {
		t.Fatalf("empty mirror: got %v", err)
	}
}

func TestFill_ReplacesAStaleFolderWhole(t *testing.T) {
	m, _, want := fixture(t)
	dest := filepath.Join(t.TempDir(), "v1")
	os.MkdirAll(filepath.Join(dest, "cht", "r"), 0o755)
	os.WriteFile(filepath.Join(dest, "cht", "r", "a.txt"), []byte("stale"), 0o644)
	os.WriteFile(filepath.Join(dest, "stray"), []byte("x"), 0o644)
	if _, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest, Client: fastClient()}); err != nil {
		t.Fatal(err)
	}
	equalTrees(t, readTree(t, dest), want)
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*")); len(leftovers) != 0 {
		t.Errorf("temporary folders left: %v", leftovers)
	}
}

// With the host unreachable, Fill stops at the first file that gets no
// answer after retries and says so once, not once per file.
func TestFill_StopsWhenTheHostIsUnreachable(t *testing.T) {
	m, s, _ := fixture(t)
	s.Close() // connection refused from now on
	c := fastClient()
	c.RetryMax = 1
	dest := filepath.Join(t.TempDir(), "v1")
	_, err := fetch.Fill(context.Background(), fetch.Options{Manifest: m, Dest: dest, Client: c})
	if err == nil || !strings.Contains(err.Error(), "offline?") || strings.Count(err.Error(), "giving up") != 1 {
		t.Fatalf("got %v, want one unreachable error", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("the cache was written: %v", err)
	}
}
