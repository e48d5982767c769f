package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cht-gen/cht-gen/internal/atomicfile"
)

// Source is what an import read: Helm values or Compose folders.
type Source string

const (
	FromHelmValues    Source = "helm"
	FromComposeFolder Source = "compose"
)

// Result is what an import plans: the environment files it would write
// (validated with the rest of the environments directory), the keys it
// could not express (Notes), and every error, all at once. It writes
// nothing until Write, and Write writes nothing when Errors is not empty.
type Result struct {
	Source Source
	Dir    string              // the environments directory
	Files  map[string]*EnvFile // by file name inside Dir
	Notes  []Note              // keys listed with what import did about them
	Errors Errors              // nothing is written when there are any
	Force  bool                // replace existing files
	// Written: the files Write writes, with the environments they
	// replace; set when Errors is empty.
	Written []*Written

	srcs map[string][]byte // formatted Files, by name
}

// PlanHelm maps each values file (one environment each) into
// <dir>/<cluster>.cue and validates it with the rest of dir. An error is
// returned only for what is not about the inputs; the inputs' problems
// are in Result.Errors.
func PlanHelm(dir string, paths []string, opts HelmOptions, force bool) (*Result, error) {
	file := &EnvFile{Header: []string{
		"Environments of cluster " + opts.Cluster + ", imported from Helm values by `cht-gen import helm`.",
		"Edit freely: cht-gen never rewrites this file except `cht-gen bump` (the version).",
	}}
	r := &Result{Source: FromHelmValues, Dir: dir, Force: force, Files: map[string]*EnvFile{opts.Cluster + ".cue": file}}
	seen := map[string]string{}
	for _, path := range paths {
		data, err := ReadValues(path)
		if err != nil { // reported with the others: every error at once
			r.Errors = append(r.Errors, valuesNote(path, err))
			continue
		}
		env, notes, err := FromHelm(path, data, opts)
		r.Notes = append(r.Notes, notes...)
		if !r.took(err, path) {
			continue
		}
		if other, dup := seen[env.Name]; dup {
			r.Errors = append(r.Errors, Note{Pos: Pos{File: path}, Key: "name",
				Message: fmt.Sprintf("environment %s comes from %s too: give each release its own project_name or namespace", env.Name, other)})
			continue
		}
		seen[env.Name] = path
		file.Envs = append(file.Envs, env)
	}
	return r, r.validate()
}

// PlanCompose maps each Compose folder of dirs (with the options of the
// same index) into <dir>/<name>.cue and validates them with the rest of
// dir. An error that is not about the inputs ends it at once; the Result
// then holds the notes so far.
func PlanCompose(dir string, dirs []string, opts []ComposeOptions, force bool) (*Result, error) {
	r := &Result{Source: FromComposeFolder, Dir: dir, Force: force, Files: map[string]*EnvFile{}}
	from := map[string]string{}
	for i, folder := range dirs {
		env, notes, err := FromCompose(folder, opts[i])
		r.Notes = append(r.Notes, notes...)
		var errs Errors
		if err != nil && !errors.As(err, &errs) {
			return r, err
		}
		if !r.took(err, folder) {
			continue
		}
		name := env.Name + ".cue"
		if r.Files[name] != nil {
			r.Errors = append(r.Errors, Note{Pos: Pos{File: folder}, Key: "name",
				Message: fmt.Sprintf("environment %s comes from %s too (VMs built from Medic's guide share the project cht): name each folder, --name NAME=%s", env.Name, from[name], folder)})
			continue
		}
		from[name] = folder
		r.Files[name] = &EnvFile{Envs: []*Env{env}, Header: []string{
			"Imported from a Compose folder by `cht-gen import compose`. Edit freely.",
		}}
	}
	return r, r.validate()
}

// took records err (from mapping input) with the other errors and says
// whether the input mapped.
func (r *Result) took(err error, input string) bool {
	var errs Errors
	switch {
	case errors.As(err, &errs):
		r.Errors = append(r.Errors, errs...)
	case err != nil:
		r.Errors = append(r.Errors, valuesNote(input, err))
	default:
		return true
	}
	return false
}

// validate checks the files that mapped with the rest of the directory:
// after other errors, to report these with them; otherwise to plan the
// write. A problem that is not about the files when nothing else failed
// is returned (it is not one of the import's errors).
func (r *Result) validate() error {
	mapped := r.mapped()
	if len(r.Errors) > 0 {
		if len(mapped) == 0 {
			return nil
		}
		var more Errors
		if err := Check(r.Dir, mapped, r.Force); errors.As(err, &more) {
			r.Errors = append(r.Errors, more...)
		} else if err != nil {
			r.Errors = append(r.Errors, Note{Pos: Pos{File: r.Dir}, Key: "environments", Message: err.Error()})
		}
		return nil
	}
	written, srcs, err := check(r.Dir, r.Files, r.Force)
	var more Errors
	if errors.As(err, &more) {
		r.Errors = append(r.Errors, more...)
		return nil
	}
	if err != nil {
		return err
	}
	r.Written, r.srcs = written, srcs
	for _, w := range written {
		for _, e := range r.Files[filepath.Base(w.Path)].Envs {
			w.Envs = append(w.Envs, e.Name)
		}
	}
	return nil
}

// mapped is Files without those that hold no environment (every input
// for them failed).
func (r *Result) mapped() map[string]*EnvFile {
	out := map[string]*EnvFile{}
	for n, f := range r.Files {
		if len(f.Envs) > 0 {
			out[n] = f
		}
	}
	return out
}

// Write writes the planned files, each atomically. It refuses when the
// plan has errors: nothing is written then.
func (r *Result) Write() error {
	if len(r.Errors) > 0 {
		return r.Errors
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	for _, w := range r.Written {
		if err := atomicfile.WriteFile(w.Path, r.srcs[filepath.Base(w.Path)], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// valuesNote is an input that could not be read or parsed, as one of the
// errors import reports together.
func valuesNote(path string, err error) Note {
	return Note{Pos: Pos{File: path}, Key: "values file", Message: strings.TrimPrefix(err.Error(), path+": ")}
}
