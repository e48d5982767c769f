package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing/fstest"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/internal/atomicfile"
)

// fileNameRE keeps written files directly inside the environments directory.
var fileNameRE = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,30}[a-z0-9])?\.cue$`)

// Written describes a file Write produced.
type Written struct {
	Path     string
	Replaced []string // environments the file declared before (--force)
	Envs     []string // environments it declares (set by a plan)
}

// Write validates f together with the other files of the environments
// directory dir (as `cht-gen validate` would) and only then writes it as
// dir/name. It refuses to replace an existing file unless force, and to
// declare an environment another file declares. Validation errors are
// reported at the input that produced the value when known.
func Write(dir, name string, f *EnvFile, force bool) (*Written, error) {
	w, err := WriteFiles(dir, map[string]*EnvFile{name: f}, force)
	if err != nil {
		return nil, err
	}
	return w[0], nil
}

// WriteFiles is Write for several files at once: all are validated
// together, and none is written unless all can be.
func WriteFiles(dir string, newFiles map[string]*EnvFile, force bool) ([]*Written, error) {
	out, srcs, err := check(dir, newFiles, force)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, w := range out {
		if err := atomicfile.WriteFile(w.Path, srcs[filepath.Base(w.Path)], 0o644); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Check validates newFiles as WriteFiles would and writes nothing, so an
// import that failed elsewhere still reports these files' errors with
// the others.
func Check(dir string, newFiles map[string]*EnvFile, force bool) error {
	_, _, err := check(dir, newFiles, force)
	return err
}

func check(dir string, newFiles map[string]*EnvFile, force bool) ([]*Written, map[string][]byte, error) {
	var names []string
	for n := range newFiles {
		if !fileNameRE.MatchString(n) {
			return nil, nil, fmt.Errorf("%q is not an environment file name (<name>.cue, name a lower-case DNS label)", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	srcs := map[string][]byte{}
	for _, n := range names {
		src, err := newFiles[n].Format()
		if err != nil {
			return nil, nil, err
		}
		srcs[n] = src
	}
	existing, err := declared(dir)
	if err != nil {
		return nil, nil, err
	}
	var problems Errors
	var out []*Written
	for _, name := range names {
		target := filepath.Join(dir, name)
		var replaced []string
		for env, where := range existing {
			if filepath.Base(where.File) == name {
				replaced = append(replaced, env)
			}
		}
		sort.Strings(replaced)
		if _, err := os.Lstat(target); err == nil && !force {
			return nil, nil, fmt.Errorf("%s exists (declaring %s): if that is another instance, name this one with --name; --force replaces it", target, orNone(replaced))
		}
		for _, e := range newFiles[name].Envs {
			if where, ok := existing[e.Name]; ok && srcs[filepath.Base(where.File)] == nil {
				problems = append(problems, Note{Pos: where, Key: "environments." + e.Name,
					Message: "already declared here: choose another name with --name, or remove it from that file"})
			}
		}
		out = append(out, &Written{Path: target, Replaced: replaced})
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	fsys, err := overlay(dir, srcs)
	if err != nil {
		return nil, nil, err
	}
	if _, err := load.Load(fsys, dir); err != nil {
		return nil, nil, locate(err, newFiles, dir)
	}
	return out, srcs, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no environments"
	}
	return strings.Join(names, ", ")
}

// declared maps each environment name in dir's *.cue files to where it is
// declared. A missing directory declares nothing.
func declared(dir string) (map[string]Pos, error) {
	out := map[string]Pos{}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, de := range entries {
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".cue") {
			continue
		}
		p := filepath.Join(dir, de.Name())
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(p, src)
		if err != nil {
			continue // validation reports it with its position
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			if l, _, _ := ast.LabelName(fd.Label); l != "environments" {
				continue
			}
			s, ok := fd.Value.(*ast.StructLit)
			if !ok {
				continue
			}
			for _, el := range s.Elts {
				if ef, ok := el.(*ast.Field); ok {
					if n, _, err := ast.LabelName(ef.Label); err == nil {
						pos := ef.Pos().Position()
						out[n] = Pos{File: p, Line: pos.Line, Col: pos.Column}
					}
				}
			}
		}
	}
	return out, nil
}

// overlay is dir's *.cue files with srcs (by name) added or replaced.
func overlay(dir string, srcs map[string][]byte) (fs.FS, error) {
	m := fstest.MapFS{}
	for name, src := range srcs {
		m[name] = &fstest.MapFile{Data: src, Mode: 0o644}
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, de := range entries {
		if de.IsDir() || srcs[de.Name()] != nil || !strings.HasSuffix(de.Name(), ".cue") {
			continue
		}
		if de.Type()&fs.ModeSymlink != 0 {
			continue // load refuses symlinks; validate reports them
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			return nil, err
		}
		m[de.Name()] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return m, nil
}

// locate turns load's diagnostics about the generated file into notes at
// the input that produced the value, when known.
func locate(err error, newFiles map[string]*EnvFile, dir string) error {
	var diags load.Errors
	if !errors.As(err, &diags) {
		return err
	}
	byName := map[string]*Env{}
	for _, f := range newFiles {
		for _, e := range f.Envs {
			byName[e.Name] = e
		}
	}
	var out Errors
	for _, d := range diags {
		if d.Warning {
			continue
		}
		n := Note{Pos: fromModel(d.Pos), Key: d.Path, Message: d.Message}
		if rest, ok := strings.CutPrefix(d.Path, "environments."); ok {
			name, field, _ := strings.Cut(rest, ".")
			if e := byName[name]; e != nil {
				if p, ok := e.Origin(field); ok {
					n = Note{Pos: p, Key: field, Message: importMessage(e, field, d.Message) + " (environments." + name + "." + field + ")"}
				} else if newFiles[filepath.Base(d.Pos.File)] != nil {
					n.Pos = Pos{File: filepath.Join(dir, filepath.Base(d.Pos.File)) + " (not written)"}
					n.Message = importMessage(e, field, d.Message)
				}
			}
		}
		if strings.HasSuffix(d.Path, ".repoURL") && strings.Contains(d.Message, "missing") {
			n.Message += " (`cht-gen init` writes " + filepath.Join(dir, "gitops.cue") + " from the origin remote)"
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return err
	}
	return out
}

func fromModel(p model.Position) Pos { return Pos{File: p.File, Line: p.Line, Col: p.Col} }

// importMessage is load's message for field of an imported environment,
// or, for a release this cht-gen does not know, what to do about it in an
// import: nothing is written, so the environment cannot opt in
// (allowUnlistedVersion), and importing it as an older release would
// downgrade the running instance on the next render.
func importMessage(e *Env, field, msg string) string {
	if field != "version" || e.version == "" {
		return msg
	}
	v, err := model.ParseVersion(e.version)
	if err != nil || model.IsKnownRelease(v.String()) {
		return msg
	}
	newest, _ := model.NewestKnown(v)
	return fmt.Sprintf("CHT %s is not a release cht-gen knows (the newest of its line it knows is %s; `cht-gen releases` lists them), so nothing is written: upgrade cht-gen to import it; or write the environment by hand with version %q and allowUnlistedVersion: true (docs/versions.md); never import it as an older release (import helm --cht-version): the next render would downgrade the running instance", v, newest, v.String())
}
