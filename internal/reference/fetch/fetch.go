// Package fetch fills a reference folder with the files
// internal/reference/manifest.yaml pins: downloaded from where Medic
// publishes them (with retries), or copied from a mirror folder, each
// checked against its SHA-256, and put in place whole or not at all.
package fetch

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/sync/errgroup"

	"github.com/cht-gen/cht-gen/internal/reference"
)

// Fixed budgets: Medic's largest pinned file (Argo CD's ApplicationSet
// CRD) is 1.4 MB, the chart archive 20 kB.
const (
	maxFile      = 16 << 20 // one file or archive, as downloaded
	maxUnpacked  = 64 << 20 // every member of one archive, read
	maxMembers   = 10000    // headers of one archive
	parallelGets = 4
)

// Options say what to fill and from where.
type Options struct {
	Manifest *reference.Manifest
	// Dest is the folder to fill; it is replaced whole, only once every
	// file is there and verified.
	Dest string
	// Mirror, when set, is a folder with the reference layout to copy
	// from instead of downloading.
	Mirror string
	// Client downloads; nil is NewClient().
	Client *retryablehttp.Client
}

// Result says what Fill did.
type Result struct {
	Dir      string
	Files    int
	UpToDate bool // Dest already held every file: nothing was fetched
}

// HTTPError is a download answered with a status other than 200 (after
// retries, for the statuses worth retrying).
type HTTPError struct {
	URL    string
	Status string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

// NewClient is the default client: up to 4 retries, with backoff, of
// connection errors, 429 and 5xx (go-retryablehttp's default policy).
func NewClient() *retryablehttp.Client {
	c := retryablehttp.NewClient()
	c.RetryMax = 4
	c.Logger = nil
	return c
}

// Fill makes opts.Dest hold exactly the verified files of the manifest.
// Every error is reported at once (errors.Join); typed errors:
// *reference.MismatchError (a file or archive is not the pinned one),
// *reference.MissingError (absent from the mirror or the archive),
// *HTTPError.
func Fill(ctx context.Context, opts Options) (Result, error) {
	m := opts.Manifest
	res := Result{Dir: opts.Dest, Files: len(m.Entries())}
	if reference.Verify(opts.Dest, m) == nil {
		res.UpToDate = true
		return res, nil
	}
	got := &store{files: map[string][]byte{}}
	var err error
	if opts.Mirror != "" {
		err = fromMirror(opts.Mirror, m, got)
	} else {
		client := opts.Client
		if client == nil {
			client = NewClient()
		}
		err = download(ctx, client, m, got)
	}
	if err != nil {
		return res, err
	}
	return res, install(opts.Dest, m, got.files)
}

// store collects verified files by path.
type store struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (s *store) put(p string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[p] = b
}

func (s *store) get(p string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[p]
	return b, ok
}

// check returns a mismatch when b is not the pinned content of e.
func check(e reference.Entry, b []byte, dir string) error {
	if sum := reference.Sum(b); sum != e.SHA256 {
		return &reference.MismatchError{Dir: dir, Files: []reference.Mismatch{{Path: e.Path, Want: e.SHA256, Got: sum}}}
	}
	return nil
}

// fromMirror copies every pinned file from a folder with the reference
// layout, through an os.Root so a link cannot lead outside it.
func fromMirror(dir string, m *reference.Manifest, got *store) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("%s %s: %w", reference.EnvDir, dir, err)
	}
	defer root.Close()
	missing := &reference.MissingError{Dir: dir}
	var errs []error
	for _, e := range m.Entries() {
		b, err := root.ReadFile(filepath.FromSlash(e.Path))
		if errors.Is(err, os.ErrNotExist) {
			missing.Paths = append(missing.Paths, e.Path)
			continue
		}
		if err == nil {
			err = check(e, b, dir)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got.put(e.Path, b)
	}
	if len(missing.Paths) > 0 {
		errs = append(errs, missing)
	}
	return errors.Join(errs...)
}

// download fetches the URL sources' files and archives in parallel, then
// derives the rest from the templates fetched.
func download(ctx context.Context, client *retryablehttp.Client, m *reference.Manifest, got *store) error {
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelGets)
	entries := m.Entries()
	for i := range m.Sources {
		s := &m.Sources[i]
		switch {
		case s.URL != "":
			for _, e := range entries {
				if e.Source != s {
					continue
				}
				g.Go(func() error {
					b, err := get(gctx, client, e.Remote())
					if unreachable(gctx, err) {
						return err // no point asking for the other files
					}
					if err == nil {
						err = check(e, b, e.Remote())
					}
					if err != nil {
						fail(err)
						return nil
					}
					got.put(e.Path, b)
					return nil
				})
			}
		case s.Archive != nil:
			g.Go(func() error {
				if err := fetchArchive(gctx, client, m, s, got); err != nil {
					fail(err)
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		// Offline, or the host is down: one error, not one per file.
		return fmt.Errorf("%w (offline? set %s to a mirror folder)", err, reference.EnvDir)
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted: not one "context canceled" per file
	}
	for _, e := range entries {
		if e.Source.Derive == nil {
			continue
		}
		tmpl, ok := got.get(e.Template())
		if !ok {
			fail(fmt.Errorf("%s: not derived: its template %s was not fetched", e.Path, e.Template()))
			continue
		}
		b := derive(tmpl, e.Source.Derive.Vars)
		if err := check(e, b, "derived from "+e.Template()); err != nil {
			fail(err)
			continue
		}
		got.put(e.Path, b)
	}
	return errors.Join(errs...)
}

// unreachable reports whether a download failed without an answer (after
// the client's retries), as opposed to an answer that was refused.
func unreachable(ctx context.Context, err error) bool {
	var status *HTTPError
	return err != nil && ctx.Err() == nil && !errors.As(err, &status)
}

// derive replaces each var's key, verbatim, with its value: the mustache
// variables of Medic's Compose templates, none of which is a section.
func derive(tmpl []byte, vars map[string]string) []byte {
	var pairs []string
	for k, v := range vars {
		pairs = append(pairs, k, v)
	}
	return []byte(strings.NewReplacer(pairs...).Replace(string(tmpl)))
}

// get downloads url whole, up to maxFile bytes.
func get(ctx context.Context, client *retryablehttp.Client, url string) ([]byte, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &HTTPError{URL: url, Status: resp.Status}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", url, maxFile)
	}
	return b, nil
}

// fetchArchive downloads an archive from the first of its URLs that
// answers with the pinned archive, and unpacks the pinned members.
func fetchArchive(ctx context.Context, client *retryablehttp.Client, m *reference.Manifest, s *reference.Source, got *store) error {
	var tries []error
	for _, url := range s.Archive.URLs {
		b, err := get(ctx, client, url)
		if err == nil {
			if sum := reference.Sum(b); sum != s.Archive.SHA256 {
				err = &reference.MismatchError{Dir: url, Files: []reference.Mismatch{{Path: "(archive of " + s.Name + ")", Want: s.Archive.SHA256, Got: sum}}}
			}
		}
		if err != nil {
			tries = append(tries, err)
			continue
		}
		return unpack(b, url, m, s, got)
	}
	return fmt.Errorf("source %q: no URL gave the pinned archive: %w", s.Name, errors.Join(tries...))
}

// unpack reads the pinned members of a .tgz; others (Medic's packaging
// script) are left out.
func unpack(archive []byte, url string, m *reference.Manifest, s *reference.Source, got *store) error {
	want := map[string]reference.Entry{}
	for _, e := range m.Entries() {
		if e.Source == s {
			want[s.Archive.Strip+strings.TrimPrefix(e.Path, s.Dir)] = e
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	tr := tar.NewReader(zr)
	var errs []error
	read, members := int64(0), 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", url, err)
		}
		if members++; members > maxMembers {
			return fmt.Errorf("%s: more than %d members", url, maxMembers)
		}
		e, ok := want[h.Name]
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		if read += h.Size; h.Size > maxFile || read > maxUnpacked {
			return fmt.Errorf("%s: members larger than %d bytes", url, maxUnpacked)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", url, h.Name, err)
		}
		if err := check(e, b, url); err != nil {
			errs = append(errs, err)
		} else {
			got.put(e.Path, b)
		}
		delete(want, h.Name)
	}
	if len(want) > 0 {
		missing := &reference.MissingError{Dir: url}
		for member := range want {
			missing.Paths = append(missing.Paths, member)
		}
		errs = append(errs, missing)
	}
	return errors.Join(errs...)
}

// install writes the files into a new folder beside dest, verifies it, and
// renames it into place: dest holds the old files or all the new ones,
// never a mix. A dest that held other files (an interrupted or tampered
// cache) is moved aside and removed.
func install(dest string, m *reference.Manifest, files map[string][]byte) error {
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".fill-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, e := range m.Entries() {
		p := filepath.FromSlash(e.Path)
		if err := root.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := root.WriteFile(p, files[e.Path], 0o644); err != nil {
			return err
		}
	}
	if err := reference.Verify(tmp, m); err != nil {
		return err
	}
	if _, err := os.Stat(dest); err == nil {
		if reference.Verify(dest, m) == nil {
			return nil // a concurrent fill got there first
		}
		old, err := os.MkdirTemp(parent, ".old-*")
		if err != nil {
			return err
		}
		if err := os.Rename(dest, filepath.Join(old, "dir")); err != nil {
			return err
		}
		defer os.RemoveAll(old)
	}
	return os.Rename(tmp, dest)
}
