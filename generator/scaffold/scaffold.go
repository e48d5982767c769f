package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"

	"github.com/cht-gen/cht-gen/generator/cueedit"
	"github.com/cht-gen/cht-gen/internal/atomicfile"
)

//go:embed templates
var templates embed.FS

// CHTVersion is the CHT release the examples run: the newest supported line.
const CHTVersion = "5.2.0"

// ActionRepo is the GitHub repository of cht-gen's releases and action.
const ActionRepo = "cht-gen/cht-gen"

// Options are the values written into the scaffold.
type Options struct {
	// Version of cht-gen the workflows install (a release, e.g. "1.2.0").
	Version string
	// SHA256 of that release's linux amd64 archive (the workflows run on
	// ubuntu-24.04 x86_64).
	SHA256 string
	// RepoURL Flux / Argo CD clone; empty writes a placeholder that fails
	// validation with what to do.
	RepoURL string
	// Branch Flux / Argo CD follow and CI checks on push; default main.
	Branch string
	// NoExamples leaves out the example environments (the directory
	// already has environments of its own).
	NoExamples bool
	// ComposeGitOps is gitops.compose: "" or "none" (the manual flow on
	// each VM) or "doco-cd" (an agent per VM deploys its folder).
	ComposeGitOps string
}

var (
	versionRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// repoURLRE is the schema's repoURL prefix plus what a URL may hold in
	// a workflow-free, credential-free form.
	repoURLRE = regexp.MustCompile(`^(https://|ssh://|git@|file://)[A-Za-z0-9._~:/@+-]+$`)
	// branchRE is the schema's #GitRef.
	branchRE = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
)

// Placeholder is the repoURL written when none is known; it fails the
// schema (not a URL) and says what to do.
const Placeholder = "SET-ME: the Git URL of this repository (git remote add origin URL, then cht-gen init --force; or edit environments/gitops.cue)"

// Check validates the options (they land in YAML, CUE and Markdown).
func (o Options) Check() error {
	var errs []string
	if !versionRE.MatchString(o.Version) {
		errs = append(errs, fmt.Sprintf("version %q is not a release version (e.g. 1.2.0)", o.Version))
	}
	if !sha256RE.MatchString(o.SHA256) {
		errs = append(errs, fmt.Sprintf("checksum %q is not a lower-case hex SHA-256", o.SHA256))
	}
	if !branchRE.MatchString(o.Branch) || strings.Contains(o.Branch, "..") {
		errs = append(errs, fmt.Sprintf("branch %q is not a plain Git branch name", o.Branch))
	}
	if o.RepoURL != "" {
		if !repoURLRE.MatchString(o.RepoURL) {
			errs = append(errs, fmt.Sprintf("repository URL %q: want https://, ssh://, git@ or file:// and no spaces or quotes", o.RepoURL))
		} else if strings.HasPrefix(o.RepoURL, "https://") && strings.Contains(strings.TrimPrefix(o.RepoURL, "https://"), "@") {
			errs = append(errs, "the repository URL holds credentials: give it without user or token (Flux and Argo CD take a Secret)")
		}
	}
	switch o.ComposeGitOps {
	case "", "none", "doco-cd":
	default:
		errs = append(errs, fmt.Sprintf("Compose reconciler %q: want none or doco-cd", o.ComposeGitOps))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// File is one scaffold file, path relative to the repository root.
type File struct {
	Path string
	Data []byte
	// CreateOnly files are the repository owner's once they exist,
	// whatever they hold: README.md and .gitignore (a repository created
	// on GitHub usually starts with both) and the examples (a host may
	// have edited one into a real environment). Apply writes them only
	// when absent.
	CreateOnly bool
	// Update, when set, is what an existing file becomes, from its
	// content: gitops.cue keeps the host's edits and gets only the
	// repository URL init found (a whole new file would drop, say, a
	// pathPrefix they set).
	Update func(path string, old []byte) []byte
}

// setRepoURL updates an existing gitops.cue to repoURL: the one string
// literal written for gitops.repoURL is replaced in place. Without a URL
// (no origin), or when the file does not write it as one literal, the
// file stays as it is.
func setRepoURL(repoURL string) func(path string, old []byte) []byte {
	return func(path string, old []byte) []byte {
		if repoURL == "" {
			return old
		}
		out, ok, err := cueedit.SetString(path, old, []string{"gitops", "repoURL"}, repoURL)
		if err != nil || !ok {
			return old
		}
		return out
	}
}

// Files renders the scaffold.
func Files(o Options) ([]File, error) {
	if o.Branch == "" {
		o.Branch = "main"
	}
	if err := o.Check(); err != nil {
		return nil, err
	}
	data := struct {
		Options
		CHTVersion, ActionRepo string
	}{o, CHTVersion, ActionRepo}
	var out []File
	for _, t := range []struct {
		src, dst   string
		createOnly bool
	}{
		{"templates/workflows/cht-gen.yml", ".github/workflows/cht-gen.yml", false},
		{"templates/workflows/cht-gen-bump.yml", ".github/workflows/cht-gen-bump.yml", false},
		{gitignoreTemplate, ".gitignore", true},
		{"templates/README.md", "README.md", true},
		{"templates/example-vm.cue", "environments/example-vm.cue", true},
		{"templates/example-cluster.cue", "environments/example-k8s.cue", true},
	} {
		src, err := templates.ReadFile(t.src)
		if err != nil {
			return nil, err
		}
		tpl, err := template.New(t.src).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := tpl.Execute(&b, data); err != nil {
			return nil, err
		}
		if o.NoExamples && strings.HasPrefix(t.dst, "environments/example-") {
			continue
		}
		out = append(out, File{Path: t.dst, Data: b.Bytes(), CreateOnly: t.createOnly})
	}
	g, err := gitopsFile(o.RepoURL, o.Branch, o.ComposeGitOps)
	if err != nil {
		return nil, err
	}
	out = append(out, File{Path: "environments/gitops.cue", Data: g, Update: setRepoURL(o.RepoURL)})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// gitopsFile is environments/gitops.cue, built with cue/ast.
func gitopsFile(repoURL, branch, composeGitOps string) ([]byte, error) {
	url := repoURL
	doc := []string{
		"The Git repository Flux and Argo CD reconcile deploy/ from (written by",
		"`cht-gen init` from `git remote get-url origin` or --repo-url).",
	}
	if url == "" {
		url = Placeholder
		doc = []string{
			"The Git repository Flux and Argo CD reconcile deploy/ from. `cht-gen init`",
			"found no origin remote: set repoURL (validation fails until you do).",
		}
	}
	field := &ast.Field{
		Label: ast.NewIdent("gitops"),
		Value: ast.NewStruct(
			&ast.Field{Label: ast.NewIdent("repoURL"), Value: ast.NewString(url)},
			&ast.Field{Label: ast.NewIdent("branch"), Value: ast.NewString(branch)},
			&ast.Field{Label: ast.NewIdent("pathPrefix"), Value: ast.NewString("deploy")},
		),
	}
	if composeGitOps == "doco-cd" {
		c := &ast.Field{Label: ast.NewIdent("compose"), Value: ast.NewString(composeGitOps)}
		ast.AddComment(c, &ast.CommentGroup{Doc: true, List: []*ast.Comment{
			{Text: "// Compose VMs: a doco-cd agent on each VM deploys its folder from this"},
			{Text: "// repository (docs/compose-doco-cd.md); \"none\" for the manual flow."},
		}})
		st := field.Value.(*ast.StructLit)
		st.Elts = append(st.Elts, c)
	}
	g := &ast.CommentGroup{Doc: true}
	for _, l := range doc {
		g.List = append(g.List, &ast.Comment{Text: "// " + l})
	}
	ast.AddComment(field, g)
	f := &ast.File{Decls: []ast.Decl{&ast.Package{Name: ast.NewIdent("environments")}, field}}
	return format.Node(f, format.Simplify())
}

// Plan is what Apply would do, or did.
type Plan struct {
	Create, Replace, Same []string
	// Kept are CreateOnly files that exist (any content, any file type):
	// never written, never a conflict.
	Kept []string
}

// Apply writes files under root. A CreateOnly file that exists is kept as
// it is, force or not. Any other file that exists with other content is a
// conflict: without force nothing is written and the error lists every
// conflict; with force it is replaced and listed in Plan.Replace. Files
// already holding the same bytes are left alone, so a second run changes
// nothing.
func Apply(root string, scaffold []File, force bool) (*Plan, error) {
	p := &Plan{}
	var write []File
	for _, f := range scaffold {
		full := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := Inside(root, full); err != nil {
			return nil, err
		}
		info, err := os.Lstat(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p.Create = append(p.Create, f.Path)
			write = append(write, f)
		case err != nil:
			return nil, err
		case f.CreateOnly:
			p.Kept = append(p.Kept, f.Path)
		case !info.Mode().IsRegular():
			return nil, fmt.Errorf("%s exists and is not a regular file: move it away", full)
		default:
			old, err := os.ReadFile(full)
			if err != nil {
				return nil, err
			}
			if f.Update != nil {
				f.Data = f.Update(full, old)
			}
			if bytes.Equal(old, f.Data) {
				p.Same = append(p.Same, f.Path)
			} else {
				p.Replace = append(p.Replace, f.Path)
				write = append(write, f)
			}
		}
	}
	if len(p.Replace) > 0 && !force {
		return p, fmt.Errorf("these files exist with other content (nothing was written; --force replaces them): %s", strings.Join(p.Replace, ", "))
	}
	for _, f := range write {
		full := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		if err := atomicfile.WriteFile(full, f.Data, 0o644); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Inside refuses a path whose existing folders lead out of root through a
// symbolic link (.github/workflows -> elsewhere): init writes only inside
// the repository.
func Inside(root, full string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	dir := filepath.Dir(full)
	for {
		if _, err := os.Lstat(dir); err == nil {
			break
		}
		dir = filepath.Dir(dir)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(realRoot, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%s leads out of %s through a symbolic link (to %s): init writes only inside it; nothing was written", dir, root, real)
	}
	return nil
}

// HasOwnEnvironments reports whether dir/environments holds *.cue files
// other than the ones init writes: then init adds no examples, so deleting
// them once real environments are in stays deleted.
func HasOwnEnvironments(dir string) (bool, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "environments"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		switch n := e.Name(); {
		case !strings.HasSuffix(n, ".cue"), n == "gitops.cue", n == "example-vm.cue", n == "example-k8s.cue":
		default:
			return true, nil
		}
	}
	return false, nil
}
