// Package reference locates Medic's files that tests compare cht-gen's
// output with (chart templates, Compose files, docs pages, CRDs), pinned by
// SHA-256 in manifest.yaml. None of them is in the repository: `make
// reference` fetches them into a cache (package fetch), or a mirror folder
// (CHT_REFERENCE_DIR) holds them. Tests call Dir or Path, which verify every
// pinned file once per process and skip when the files are absent, or fail
// when CHT_REFERENCE_REQUIRED=1 (CI).
package reference

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ManifestFile is where the manifest lives, for messages.
const ManifestFile = "internal/reference/manifest.yaml"

//go:embed manifest.yaml
var manifestYAML []byte

// Manifest is manifest.yaml: where each of Medic's files comes from and its
// SHA-256.
type Manifest struct {
	Sources []Source `yaml:"sources"`
}

// Source is a group of files from one place. Exactly one of URL, Archive
// and Derive is set.
type Source struct {
	Name string `yaml:"name"`
	// Dir is the folder under the reference root the files land in
	// (slash-separated, ending in "/").
	Dir string `yaml:"dir"`
	// URL is a base: a file is URL + its From (default: its name).
	URL     string   `yaml:"url"`
	Archive *Archive `yaml:"archive"`
	Derive  *Derive  `yaml:"derive"`
	// Files are keyed by their name under Dir.
	Files map[string]File `yaml:"files"`
}

// File is one pinned file.
type File struct {
	SHA256 string `yaml:"sha256"`
	// From is, for a URL source, the path under URL when it is not the
	// name; for a Derive source, the template's path under the reference
	// root (a file of this manifest).
	From string `yaml:"from"`
}

// Archive is a published .tgz whose members are the files.
type Archive struct {
	URLs   []string `yaml:"urls"`
	SHA256 string   `yaml:"sha256"`
	// Strip is the members' prefix: file name N is member Strip+N.
	Strip string `yaml:"strip"`
}

// Derive makes each file from its template by replacing each key of Vars,
// verbatim, with its value, as Medic's release build fills its mustache
// templates.
type Derive struct {
	Vars map[string]string `yaml:"vars"`
}

// Entry is one file of the manifest, with where it lands.
type Entry struct {
	Path   string // slash-separated, under the reference root
	SHA256 string
	Source *Source
	File   File
}

// Template is, for a derived entry, the path of its template.
func (e Entry) Template() string { return e.File.From }

// Remote is, for an entry of a URL source, the URL it is downloaded from.
func (e Entry) Remote() string {
	from := e.File.From
	if from == "" {
		from = e.Path[len(e.Source.Dir):]
	}
	return e.Source.URL + from
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Load parses the embedded manifest.
func Load() (*Manifest, error) { return Parse(manifestYAML) }

// Parse parses and checks a manifest: known fields only, hashes in hex,
// local paths, one kind per source, templates that are in the manifest and
// come before what they derive.
func Parse(b []byte) (*Manifest, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	var errs []error
	seen := map[string]bool{}
	srcLine, fileLine := lines(b)
	for i := range m.Sources {
		s := &m.Sources[i]
		where := fmt.Sprintf("%s:%d: source %q", ManifestFile, srcLine[i], s.Name)
		kinds := 0
		for _, set := range []bool{s.URL != "", s.Archive != nil, s.Derive != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			errs = append(errs, fmt.Errorf("%s: set exactly one of url, archive and derive", where))
		}
		if !strings.HasSuffix(s.Dir, "/") || !local(strings.TrimSuffix(s.Dir, "/")) {
			errs = append(errs, fmt.Errorf("%s: dir %q is not a relative folder ending in /", where, s.Dir))
		}
		if s.Archive != nil && (!hexSHA256.MatchString(s.Archive.SHA256) || len(s.Archive.URLs) == 0) {
			errs = append(errs, fmt.Errorf("%s: the archive needs urls and a sha256 (64 lowercase hex digits)", where))
		}
		if len(s.Files) == 0 {
			errs = append(errs, fmt.Errorf("%s: no files", where))
		}
		for _, name := range sortedNames(s.Files) {
			f := s.Files[name]
			p := s.Dir + name
			where := fmt.Sprintf("%s:%d: source %q", ManifestFile, fileLine[[2]any{i, name}], s.Name)
			switch {
			case !local(name) || !local(p):
				errs = append(errs, fmt.Errorf("%s: file %q is not a relative path inside the reference", where, name))
			case !hexSHA256.MatchString(f.SHA256):
				errs = append(errs, fmt.Errorf("%s: file %q: sha256 %q is not 64 lowercase hex digits", where, name, f.SHA256))
			case seen[p]:
				errs = append(errs, fmt.Errorf("%s: file %q is pinned twice", where, p))
			case s.Derive != nil && !seen[f.From]:
				errs = append(errs, fmt.Errorf("%s: file %q: template %q is not pinned by an earlier source", where, name, f.From))
			case s.Archive != nil && f.From != "":
				errs = append(errs, fmt.Errorf("%s: file %q: from is not used in an archive (the member is strip+name)", where, name))
			}
			seen[p] = true
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &m, nil
}

// lines finds where each source, and each file of a source, is written,
// for messages.
func lines(b []byte) (sources map[int]int, files map[[2]any]int) {
	sources, files = map[int]int{}, map[[2]any]int{}
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return
	}
	seq := value(doc.Content[0], "sources")
	if seq == nil {
		return
	}
	for i, src := range seq.Content {
		sources[i] = src.Line
		if fm := value(src, "files"); fm != nil {
			for j := 0; j+1 < len(fm.Content); j += 2 {
				files[[2]any{i, fm.Content[j].Value}] = fm.Content[j].Line
			}
		}
	}
	return
}

// value is the node of key in a mapping node, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			return m.Content[j+1]
		}
	}
	return nil
}

// local reports whether p is a clean, relative, slash-separated path that
// stays inside its root.
func local(p string) bool {
	return p != "" && path.Clean(p) == p && filepath.IsLocal(filepath.FromSlash(p)) && !strings.Contains(p, "\\")
}

func sortedNames(files map[string]File) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Entries are every file of the manifest, in source order (templates before
// what is derived from them), names sorted within a source.
func (m *Manifest) Entries() []Entry {
	var out []Entry
	for i := range m.Sources {
		s := &m.Sources[i]
		for _, n := range sortedNames(s.Files) {
			out = append(out, Entry{Path: s.Dir + n, SHA256: s.Files[n].SHA256, Source: s, File: s.Files[n]})
		}
	}
	return out
}

// Covers reports whether rel (slash-separated) is a pinned file or a folder
// holding one.
func (m *Manifest) Covers(rel string) bool {
	rel = strings.TrimSuffix(rel, "/")
	for _, e := range m.Entries() {
		if e.Path == rel || strings.HasPrefix(e.Path, rel+"/") {
			return true
		}
	}
	return false
}

// Version names the manifest's content: the cache keeps each version's
// files in their own folder, so a changed manifest never reads files
// fetched for another.
func Version(manifest []byte) string {
	sum := sha256.Sum256(manifest)
	return hex.EncodeToString(sum[:8])
}

// EmbeddedVersion is the Version of the embedded manifest.
func EmbeddedVersion() string { return Version(manifestYAML) }
