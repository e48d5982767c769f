package release_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/scaffold"
)

const root = "../.."

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// goreleaser is the part of GoReleaser v2's schema cht-gen uses; strict
// decoding fails on a misspelt key.
type goreleaser struct {
	Version     int    `json:"version"`
	ProjectName string `json:"project_name"`
	Before      struct {
		Hooks []string `json:"hooks"`
	} `json:"before"`
	Builds []struct {
		ID      string   `json:"id"`
		Main    string   `json:"main"`
		Binary  string   `json:"binary"`
		Env     []string `json:"env"`
		Flags   []string `json:"flags"`
		Ldflags []string `json:"ldflags"`
		Goos    []string `json:"goos"`
		Goarch  []string `json:"goarch"`
	} `json:"builds"`
	Archives []struct {
		ID              string   `json:"id"`
		IDs             []string `json:"ids"`
		Formats         []string `json:"formats"`
		FormatOverrides []struct {
			Goos    string   `json:"goos"`
			Formats []string `json:"formats"`
		} `json:"format_overrides"`
		NameTemplate string   `json:"name_template"`
		Files        []string `json:"files"`
	} `json:"archives"`
	Checksum struct {
		NameTemplate string `json:"name_template"`
		Algorithm    string `json:"algorithm"`
	} `json:"checksum"`
	Snapshot struct {
		VersionTemplate string `json:"version_template"`
	} `json:"snapshot"`
	Changelog struct {
		Use string `json:"use"`
	} `json:"changelog"`
	Release struct {
		GitHub struct {
			Owner string `json:"owner"`
			Name  string `json:"name"`
		} `json:"github"`
		Prerelease string `json:"prerelease"`
	} `json:"release"`
}

// expand evaluates the name templates the way GoReleaser does for the
// fields used.
func expand(tpl, version, goos, goarch string) string {
	return strings.NewReplacer("{{ .ProjectName }}", "cht-gen", "{{ .Version }}", version, "{{ .Os }}", goos, "{{ .Arch }}", goarch).Replace(tpl)
}

func TestGoReleaser_BuildsEveryPlatformWithChecksums(t *testing.T) {
	var g goreleaser
	readYAML(t, ".goreleaser.yaml", &g)
	if g.Version != 2 || g.ProjectName != "cht-gen" || len(g.Builds) != 1 || len(g.Archives) != 1 {
		t.Fatalf("want a v2 config of one cht-gen build and archive: %+v", g)
	}
	b := g.Builds[0]
	if b.Main != "./cmd/gen" || b.Binary != "cht-gen" || !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("build: %+v", b)
	}
	if len(b.Ldflags) != 1 || !strings.Contains(b.Ldflags[0], "-X main.version={{ .Version }}") {
		t.Errorf("ldflags do not stamp the version `cht-gen init` pins: %v", b.Ldflags)
	}
	slices.Sort(b.Goos)
	slices.Sort(b.Goarch)
	if !slices.Equal(b.Goos, []string{"darwin", "linux", "windows"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("platforms: %v %v", b.Goos, b.Goarch)
	}
	a := g.Archives[0]
	if !slices.Equal(a.Formats, []string{"tar.gz"}) || len(a.FormatOverrides) != 1 || a.FormatOverrides[0].Goos != "windows" || !slices.Equal(a.FormatOverrides[0].Formats, []string{"zip"}) {
		t.Errorf("archive formats: %+v", a)
	}
	for _, p := range [][2]string{{"linux", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}} {
		ext := ".tar.gz"
		if p[0] == "windows" {
			ext = ".zip"
		}
		if got, want := expand(a.NameTemplate, "1.2.3", p[0], p[1])+ext, scaffold.Archive("1.2.3", p[0], p[1]); got != want {
			t.Errorf("archive name %s, init and the action expect %s", got, want)
		}
	}
	if got, want := expand(g.Checksum.NameTemplate, "1.2.3", "", ""), scaffold.Checksums("1.2.3"); got != want || g.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum file %s (%s), init and the action expect %s (sha256)", got, g.Checksum.Algorithm, want)
	}
	if g.Release.GitHub.Owner+"/"+g.Release.GitHub.Name != scaffold.ActionRepo {
		t.Errorf("releases go to %s/%s, init pins %s", g.Release.GitHub.Owner, g.Release.GitHub.Name, scaffold.ActionRepo)
	}
	for _, f := range a.Files {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("archive file: %v", err)
		}
	}
	wf, err := os.ReadFile(filepath.Join(root, ".github/workflows/release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tags: [\"v*\"]", "goreleaser/goreleaser-action@", "args: release --clean", "contents: write"} {
		if !strings.Contains(string(wf), want) {
			t.Errorf("release.yml lacks %q", want)
		}
	}
}

type action struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Author      string `json:"author"`
	Branding    any    `json:"branding"`
	Inputs      map[string]struct {
		Description string `json:"description"`
		Required    bool   `json:"required"`
		Default     string `json:"default"`
	} `json:"inputs"`
	Outputs map[string]any `json:"outputs"`
	Runs    struct {
		Using string `json:"using"`
		Steps []struct {
			ID    string            `json:"id"`
			Shell string            `json:"shell"`
			Env   map[string]string `json:"env"`
			Run   string            `json:"run"`
		} `json:"steps"`
	} `json:"runs"`
}

func TestAction_IsCompositeAndLintsWhereUsed(t *testing.T) {
	var a action
	readYAML(t, "action.yml", &a)
	if a.Runs.Using != "composite" || !a.Inputs["version"].Required || len(a.Runs.Steps) != 1 {
		t.Fatalf("action: %+v", a)
	}
	if a.Inputs["releases-url"].Default != scaffold.DefaultReleasesURL {
		t.Errorf("releases-url default %q, init reads %q", a.Inputs["releases-url"].Default, scaffold.DefaultReleasesURL)
	}
	if !strings.Contains(a.Runs.Steps[0].Run, "$GITHUB_ACTION_PATH/scripts/install-cht-gen.sh") {
		t.Errorf("step runs %q", a.Runs.Steps[0].Run)
	}
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		t.Skip("actionlint not on PATH (make test installs it into ./bin)")
	}
	// actionlint reads a local action's metadata where a workflow uses it:
	// a workflow in a copy of the repository checks action.yml's inputs.
	lint := func(with string) (string, error) {
		dir := t.TempDir()
		src, _ := os.ReadFile(filepath.Join(root, "action.yml"))
		os.WriteFile(filepath.Join(dir, "action.yml"), src, 0o644)
		os.MkdirAll(filepath.Join(dir, ".github/workflows"), 0o755)
		os.MkdirAll(filepath.Join(dir, ".git"), 0o755) // actionlint finds the project root by it
		wf := "name: t\non: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./\n        with:\n" + with + "      - run: cht-gen --version\n"
		os.WriteFile(filepath.Join(dir, ".github/workflows/t.yml"), []byte(wf), 0o644)
		cmd := exec.Command(bin, ".github/workflows/t.yml")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := lint("          version: \"1.2.3\"\n          sha256: \"" + strings.Repeat("a", 64) + "\"\n"); err != nil {
		t.Errorf("actionlint on a workflow using the action: %v\n%s", err, out)
	}
	if out, err := lint("          versio: \"1.2.3\"\n"); err == nil || !strings.Contains(out, "versio") {
		t.Errorf("actionlint did not read action.yml (a misspelt input passed): %s", out)
	}
}

// release serves one fake release: a tar.gz holding a cht-gen script and
// the checksum file listing it.
func release(t *testing.T, version string, tamper bool) (*httptest.Server, string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := "#!/bin/sh\necho \"cht-gen version " + version + "\"\n"
	tw.WriteHeader(&tar.Header{Name: "cht-gen", Mode: 0o755, Size: int64(len(body))})
	tw.Write([]byte(body))
	tw.WriteHeader(&tar.Header{Name: "README.md", Mode: 0o644, Size: 3})
	tw.Write([]byte("hi\n"))
	tw.Close()
	gz.Close()
	archive := buf.Bytes()
	sum := sha256.Sum256(archive)
	hexSum := hex.EncodeToString(sum[:])
	listed := hexSum
	if tamper {
		listed = strings.Repeat("0", 64)
	}
	name := scaffold.Archive(version, "linux", "amd64")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v" + version + "/" + name:
			w.Write(archive)
		case "/v" + version + "/" + scaffold.Checksums(version):
			fmt.Fprintf(w, "%s  %s\n%s  %s\n", strings.Repeat("1", 64), scaffold.Archive(version, "darwin", "arm64"), listed, name)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, hexSum
}

func TestInstallScript_AgainstALocalFileServer(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	script, err := filepath.Abs(filepath.Join(root, "scripts/install-cht-gen.sh"))
	if err != nil {
		t.Fatal(err)
	}
	install := func(t *testing.T, base, version, sha string) (string, string, string, error) {
		tmp := t.TempDir()
		ghPath, ghOut := filepath.Join(tmp, "path"), filepath.Join(tmp, "output")
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TEMP="+tmp, "GITHUB_PATH="+ghPath, "GITHUB_OUTPUT="+ghOut,
			"CHT_GEN_VERSION="+version, "CHT_GEN_SHA256="+sha, "CHT_GEN_RELEASES_URL="+base)
		out, err := cmd.CombinedOutput()
		p, _ := os.ReadFile(ghPath)
		return string(out), strings.TrimSpace(string(p)), tmp, err
	}
	t.Run("pinned checksum: installed and on PATH", func(t *testing.T) {
		srv, sum := release(t, "1.2.3", false)
		out, path, tmp, err := install(t, srv.URL, "v1.2.3", sum)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if path != filepath.Join(tmp, "cht-gen-1.2.3") {
			t.Fatalf("GITHUB_PATH got %q", path)
		}
		got, err := exec.Command(filepath.Join(path, "cht-gen")).Output()
		if err != nil || !strings.Contains(string(got), "1.2.3") {
			t.Errorf("installed binary: %v %s", err, got)
		}
		if entries, _ := os.ReadDir(path); len(entries) != 1 {
			t.Errorf("install folder holds %v, want only cht-gen", entries)
		}
	})
	for _, tc := range []struct {
		name, version, want string
		tamper, wrongPin    bool
	}{
		{name: "pinned checksum differs", version: "1.2.3", wrongPin: true, want: "the workflow pins"},
		{name: "archive differs from the checksum file", version: "1.2.3", tamper: true, want: "checksums.txt says"},
		{name: "no such release", version: "1.2.4", want: "download"},
		{name: "not a version", version: "1.2.3; rm -rf /", want: "not a release version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, sum := release(t, "1.2.3", tc.tamper)
			if tc.wrongPin {
				sum = strings.Repeat("f", 64)
			}
			out, path, tmp, err := install(t, srv.URL, tc.version, sum)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("err %v, want a failure saying %q:\n%s", err, tc.want, out)
			}
			if path != "" {
				t.Errorf("GITHUB_PATH set to %q on failure", path)
			}
			if m, _ := filepath.Glob(filepath.Join(tmp, "cht-gen-*")); len(m) > 0 {
				t.Errorf("failure left %v", m)
			}
		})
	}
}
