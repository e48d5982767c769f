// Package verified remembers which rendered inputs this cht-gen binary has
// already checked (an overlay built with krusty, a Compose folder loaded
// with compose-go), so that a render checks each distinct input once.
//
// The record lives in the user's cache directory, never in the output
// tree: a pull request can change anything in the repository, so a record
// kept there could be forged to skip checks. Each entry is a file named by
// its key, a SHA-256 of cht-gen's identity and every input byte, holding an
// HMAC of that key under a random per-user secret (0600, beside the
// entries). An entry edited, truncated, copied from another key or another
// machine, or written by another binary does not verify. Anything wrong
// with the cache (missing, unreadable, corrupt, full disk) means "check
// again", never an error.
package verified

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// DisableEnv, set to anything but "" or "0", makes Open return nil: every
// input is checked on every render.
const DisableEnv = "CHT_GEN_NO_VERIFY_CACHE"

const (
	secretName = "secret"
	secretSize = 32
	entryDir   = "verified-v1"
	prunedName = "pruned"
	// An entry unused this long is removed (checked at most once a day):
	// each new build of cht-gen leaves its predecessor's entries unused.
	keepUnused = 30 * 24 * time.Hour
	pruneEvery = 24 * time.Hour
	// entryMagic starts every entry, so another file format never parses.
	entryMagic = "cht-gen verified v1\n"
)

// Record is a set of verified keys. A nil *Record holds nothing and
// remembers nothing.
type Record struct {
	dir    string
	secret []byte
	// identity of the binary; a record whose identity cannot be read
	// holds nothing.
	identity func() ([]byte, error)
}

// Open returns the record of this binary in os.UserCacheDir()/cht-gen, or
// nil when DisableEnv is set or the cache cannot be used. The binary's
// identity may take tens of milliseconds to compute; Open starts that in
// the background, so call it early.
func Open() *Record {
	if v := os.Getenv(DisableEnv); v != "" && v != "0" {
		return nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	go Identity()
	r, err := openDir(filepath.Join(base, "cht-gen"), Identity)
	if err != nil {
		return nil
	}
	r.prune(time.Now())
	return r
}

// OpenDir opens (creating if needed) the record in dir for a binary whose
// identity is id. Tests use it with a temporary dir.
func OpenDir(dir string, id []byte) (*Record, error) {
	id = append([]byte(nil), id...)
	return openDir(dir, func() ([]byte, error) { return id, nil })
}

func openDir(dir string, id func() ([]byte, error)) (*Record, error) {
	if err := os.MkdirAll(filepath.Join(dir, entryDir), 0o700); err != nil {
		return nil, err
	}
	if err := private(dir); err != nil {
		return nil, err
	}
	secret, err := readSecret(dir)
	if errors.Is(err, fs.ErrNotExist) {
		secret, err = createSecret(dir)
	}
	if err != nil {
		return nil, err
	}
	return &Record{dir: dir, secret: secret, identity: id}, nil
}

// private refuses a cache directory others may write to: they could
// replace the secret with one they know.
func private(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return errors.New("verify cache is not a directory")
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o022 != 0 {
		return errors.New("verify cache directory is writable by others")
	}
	return nil
}

// readSecret reads the per-user HMAC secret, refusing one that others
// could read or write (then anyone could forge entries).
func readSecret(dir string) ([]byte, error) {
	p := filepath.Join(dir, secretName)
	info, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || (runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0) || info.Size() != secretSize {
		return nil, errors.New("verify cache secret is not a private 32-byte file")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if len(b) != secretSize {
		return nil, errors.New("verify cache secret changed size")
	}
	return b, nil
}

// createSecret writes a new secret without replacing one a concurrent
// cht-gen created first (link fails if the name exists), then reads back
// whichever won.
func createSecret(dir string) ([]byte, error) {
	secret := make([]byte, secretSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	tmp, err := writeTemp(dir, secret)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, filepath.Join(dir, secretName)); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return readSecret(dir)
}

// writeTemp writes b to a new 0600 file in dir and returns its path.
func writeTemp(dir string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Key names one checked input: which check, and every byte it read.
type Key [sha256.Size]byte

// Hasher accumulates the parts of a Key. Parts are length-prefixed, so
// ("ab", "c") and ("a", "bc") differ.
type Hasher struct{ h hash.Hash }

// NewKey starts the key of a check of the given kind ("kustomize overlay",
// with a version when what the check reads changes) for this record's
// binary. It works on a nil record too (the key is then never found).
func (r *Record) NewKey(kind string) *Hasher {
	k := &Hasher{h: sha256.New()}
	if r.usable() {
		id, _ := r.identity()
		k.Add(id)
	}
	k.Add([]byte(kind))
	return k
}

// Add adds one part.
func (k *Hasher) Add(b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	k.h.Write(n[:])
	k.h.Write(b)
}

// AddString adds one part.
func (k *Hasher) AddString(s string) { k.Add([]byte(s)) }

// Sum returns the key.
func (k *Hasher) Sum() Key {
	var out Key
	k.h.Sum(out[:0])
	return out
}

func (r *Record) usable() bool {
	if r == nil {
		return false
	}
	_, err := r.identity()
	return err == nil
}

func (r *Record) path(k Key) string {
	h := hex.EncodeToString(k[:])
	return filepath.Join(r.dir, entryDir, h[:2], h)
}

func (r *Record) entry(k Key) []byte {
	m := hmac.New(sha256.New, r.secret)
	m.Write(k[:])
	return append([]byte(entryMagic), hex.EncodeToString(m.Sum(nil))+"\n"...)
}

// Has reports whether k was recorded by Add with this record's secret.
func (r *Record) Has(k Key) bool {
	if !r.usable() {
		return false
	}
	p := r.path(k)
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	want := r.entry(k)
	got, err := io.ReadAll(io.LimitReader(f, int64(len(want))+1))
	if err != nil || !hmac.Equal(got, want) {
		return false
	}
	// Mark it used, so prune keeps it.
	if info, err := f.Stat(); err == nil && time.Since(info.ModTime()) > pruneEvery {
		now := time.Now()
		os.Chtimes(p, now, now)
	}
	return true
}

// prune removes the entries unused for keepUnused, at most once every
// pruneEvery. A render that meanwhile looks for a removed entry checks its
// input again.
func (r *Record) prune(now time.Time) {
	stamp := filepath.Join(r.dir, prunedName)
	if info, err := os.Stat(stamp); err == nil && now.Sub(info.ModTime()) < pruneEvery {
		return
	}
	if os.WriteFile(stamp, nil, 0o600) != nil || os.Chtimes(stamp, now, now) != nil {
		return
	}
	filepath.WalkDir(filepath.Join(r.dir, entryDir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err == nil && now.Sub(info.ModTime()) > keepUnused {
			os.Remove(p)
		}
		return nil
	})
}

// Add records k as verified. Failures are ignored: the input is checked
// again next time. The entry appears whole or not at all (rename).
func (r *Record) Add(k Key) {
	if !r.usable() {
		return
	}
	p := r.path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return
	}
	tmp, err := writeTemp(filepath.Dir(p), r.entry(k))
	if err != nil {
		return
	}
	if os.Rename(tmp, p) != nil {
		os.Remove(tmp)
	}
}
