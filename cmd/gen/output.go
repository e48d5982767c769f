package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"

	"github.com/cht-gen/cht-gen/generator"
	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/github"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/internal/redact"
)

// jsonError is one problem: where (when known), the field path and what.
type jsonError struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	Warning bool   `json:"warning,omitempty"`
}

func diagnosticJSON(d load.Diagnostic) jsonError {
	d = masked(d)
	return jsonError{File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Col, Path: d.Path, Message: d.Message, Warning: d.Warning}
}

// masked is d with the token and URL credentials masked in its message:
// CUE's errors quote the value they refuse ("http://user:pass@..." out of
// bound =~"^https://"), and a problem may name a URL it compares.
func masked(d load.Diagnostic) load.Diagnostic {
	d.Message = redact.String(d.Message, os.Getenv("GITHUB_TOKEN"))
	return d
}

// errorsJSON turns any error of a command into the list it reports.
func errorsJSON(err error) []jsonError {
	out := errorsOf(err)
	for i := range out { // as the text path does (root.go): no token in a message
		out[i].Message = redact.String(out[i].Message, os.Getenv("GITHUB_TOKEN"))
	}
	return out
}

// errorsOf is errorsJSON before masking.
func errorsOf(err error) []jsonError {
	var le load.Errors
	if errors.As(err, &le) {
		out := make([]jsonError, len(le))
		for i, d := range le {
			out[i] = diagnosticJSON(d)
		}
		return out
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []jsonError
		for _, e := range joined.Unwrap() {
			out = append(out, errorsOf(e)...)
		}
		return out
	}
	var rf *bump.RefusalError
	if errors.As(err, &rf) {
		return []jsonError{{File: rf.Source.File, Line: rf.Source.Line, Column: rf.Source.Col, Path: "environments." + rf.Env + ".version", Message: rf.Err.Error()}}
	}
	var ue *generator.UserFileError
	if errors.As(err, &ue) {
		return []jsonError{{File: ue.Source.File, Line: ue.Source.Line, Column: ue.Source.Col, Path: "environments." + ue.Env + "." + ue.Field, Message: ue.Err.Error()}}
	}
	var re *generator.RenderError
	if errors.As(err, &re) {
		return []jsonError{{File: re.Source.File, Line: re.Source.Line, Column: re.Source.Col, Path: "environments." + re.Env, Message: re.Err.Error()}}
	}
	return []jsonError{{Message: err.Error()}}
}

func warningsJSON(ws []load.Diagnostic) []jsonError {
	out := []jsonError{}
	for _, w := range ws {
		out = append(out, diagnosticJSON(w))
	}
	return out
}

type jsonPos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

func posJSON(p model.Position) jsonPos { return jsonPos{File: p.File, Line: p.Line, Column: p.Col} }

// writeJSON prints v as indented JSON with a trailing newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// failJSON prints {"ok": false, "errors": [...]} for err and exits 1 (or
// keeps a usage error's exit code, which was printed as text).
func failJSON(s *shared, err error) error {
	var ee exitError
	var ue *usageError
	if errors.As(err, &ee) || errors.As(err, &ue) {
		return err
	}
	if werr := writeJSON(s.stdout, struct {
		OK     bool        `json:"ok"`
		Errors []jsonError `json:"errors"`
	}{false, errorsJSON(err)}); werr != nil {
		return werr
	}
	return exitError{1}
}

// validateJSON is validate's --output json.
func validateJSON(res *load.Result, envs []model.Environment) any {
	type env struct {
		Name      string  `json:"name"`
		Target    string  `json:"target"`
		Version   string  `json:"version"`
		Host      string  `json:"host"`
		Nodes     int     `json:"couchdbNodes"`
		Cluster   string  `json:"cluster,omitempty"`
		Namespace string  `json:"namespace,omitempty"`
		GitOps    string  `json:"gitops,omitempty"`
		Project   string  `json:"project,omitempty"`
		Source    jsonPos `json:"source"`
	}
	out := struct {
		OK           bool        `json:"ok"`
		Environments []env       `json:"environments"`
		Warnings     []jsonError `json:"warnings"`
		Errors       []jsonError `json:"errors"`
	}{OK: true, Environments: []env{}, Warnings: warningsJSON(res.Warnings), Errors: []jsonError{}}
	for i := range envs {
		e := &envs[i]
		out.Environments = append(out.Environments, env{Name: e.Name, Target: string(e.Target), Version: e.Version, Host: e.Host,
			Nodes: e.CouchDB.Nodes, Cluster: e.Cluster, Namespace: e.Namespace, GitOps: e.GitOps, Project: e.Project, Source: posJSON(e.Source)})
	}
	return out
}

// checkJSON is render --check's --output json.
type checkJSON struct {
	OK      bool         `json:"ok"`
	Out     string       `json:"out"`
	Files   int          `json:"files"`
	Changes []fileChange `json:"changes"`
	Errors  []jsonError  `json:"errors"`
}

type fileChange struct {
	Path string `json:"path"`
	Kind string `json:"kind"` // stale, missing, extra
}

// diffJSON is diff's --output json.
type diffJSON struct {
	OK           bool           `json:"ok"`
	Base         string         `json:"base"`
	Differ       bool           `json:"differ"`
	Environments []diffUnitJSON `json:"environments"`
	// Suspended: what each parked environment's reconciler does, as the
	// text output's "<env>: suspended: ..." lines.
	Suspended []suspendedJSON `json:"suspended"`
	Errors    []jsonError     `json:"errors"`
}

type suspendedJSON struct {
	Name string `json:"name"`
	Note string `json:"note"`
}

type diffUnitJSON struct {
	Name    string        `json:"name"`
	Summary string        `json:"summary"`
	Changed int           `json:"changed"`
	Added   int           `json:"added"`
	Removed int           `json:"removed"`
	Images  []imageChange `json:"images"`
	Diff    string        `json:"diff,omitempty"`
}

type imageChange struct {
	Object    string `json:"object"`
	Container string `json:"container"`
	From      string `json:"from"`
	To        string `json:"to"`
}

// releasesJSON is releases' --output json: the list in the order printed
// (newest first).
type releasesJSON struct {
	OK       bool          `json:"ok"`
	Channel  string        `json:"channel"`
	Source   string        `json:"source"` // github, or cht-gen: the list built in (GitHub could not be read)
	Releases []releaseJSON `json:"releases"`
	Warnings []string      `json:"warnings,omitempty"`
	Errors   []jsonError   `json:"errors"`
}

type releaseJSON struct {
	Version    string `json:"version"`
	Tag        string `json:"tag"`
	Major      uint64 `json:"major"`
	Prerelease bool   `json:"prerelease"`
	Date       string `json:"date,omitempty"` // published, RFC 3339 in UTC; absent when GitHub gives none
	URL        string `json:"url"`            // release notes
}

// releasesAsJSON is the listing l of channel as releases' JSON document.
func releasesAsJSON(channel string, l github.Listing) releasesJSON {
	r := releasesJSON{OK: true, Channel: channel, Source: l.Source(), Releases: []releaseJSON{}, Warnings: l.Warnings(), Errors: []jsonError{}}
	for _, rel := range l.Releases {
		r.Releases = append(r.Releases, releaseAsJSON(rel))
	}
	return r
}

func releaseAsJSON(r model.Release) releaseJSON {
	out := releaseJSON{Version: r.Version, Tag: r.Tag, Prerelease: r.Prerelease, URL: r.URL}
	if v, err := model.ParseVersion(r.Version); err == nil {
		out.Major = v.Major()
	}
	if !r.Published.IsZero() {
		out.Date = r.Published.UTC().Format(time.RFC3339)
	}
	return out
}

// bumpJSON is the --output json of bump and promote without --push.
type bumpJSON struct {
	OK           bool          `json:"ok"`
	Environments []bumpEnvJSON `json:"environments"` // edited and re-rendered
	Current      []currentJSON `json:"current"`      // already at the version: nothing done
	Warnings     []string      `json:"warnings,omitempty"`
	// Medic's 4.x -> 5.x checklist when an environment crosses to 5.x
	// (empty otherwise): what to do before merging.
	Checklist []checklistJSON `json:"checklist"`
	Errors    []jsonError     `json:"errors"` // refusals and failures: nothing changed for them
}

type bumpEnvJSON struct {
	Name     string        `json:"name"`
	From     string        `json:"from"`
	To       string        `json:"to"`
	File     string        `json:"file"` // the environments file whose version literal changed
	NotesURL string        `json:"notesURL,omitempty"`
	Summary  string        `json:"summary"`
	Changed  int           `json:"changed"`
	Added    int           `json:"added"`
	Removed  int           `json:"removed"`
	Images   []imageChange `json:"images"`
}

// checklistJSON is one item of Medic's 4.x -> 5.x checklist.
type checklistJSON struct {
	Environments []string `json:"environments"` // the environments it concerns
	Text         string   `json:"text"`
	URL          string   `json:"url"` // the section of Medic's page that says it
}

type currentJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// bumpAsJSON is rep as bumpJSON, OK and Errors left to the caller.
func bumpAsJSON(rep *bump.Report) *bumpJSON {
	doc := &bumpJSON{Environments: []bumpEnvJSON{}, Current: []currentJSON{}, Warnings: rep.Warnings, Errors: []jsonError{}}
	for i := range rep.Steps {
		st := &rep.Steps[i]
		for _, c := range st.Current {
			doc.Current = append(doc.Current, currentJSON{Name: c.Name, Version: c.Version})
		}
		if !st.Applied() {
			continue
		}
		for _, t := range st.Result.Proposal.Targets {
			doc.Environments = append(doc.Environments, bumpEnvAsJSON(st.Result, t))
		}
		for _, it := range st.Checklist() {
			doc.Checklist = append(doc.Checklist, checklistJSON{Environments: it.Environments, Text: it.Text, URL: it.URL})
		}
	}
	return doc
}

// bumpEnvAsJSON is target t of res with its change.
func bumpEnvAsJSON(res *bump.Result, t bump.Target) bumpEnvJSON {
	e := bumpEnvJSON{Name: t.Env, From: t.From, To: t.To, File: res.Files[t.Env], NotesURL: t.NotesURL, Images: []imageChange{}}
	for _, c := range res.Changes {
		if c.Name != t.Env {
			continue
		}
		e.Summary, e.Changed, e.Added, e.Removed = c.Summary, c.Changed, c.Added, c.Removed
		for _, i := range c.Images {
			e.Images = append(e.Images, imageChange(i))
		}
	}
	return e
}
