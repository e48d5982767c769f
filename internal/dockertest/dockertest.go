// Package dockertest gives tests a real Docker engine and stub images under
// Medic's image names: FROM scratch with Debian's busybox-static, an
// entrypoint that sleeps, and a curl that exits 0 (healthchecks pass). No
// registry is reachable where these tests run, so compose files must find
// the images locally (pull_policy missing, the default, does).
package dockertest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Busybox is where Debian's busybox-static installs its binary.
const Busybox = "/bin/busybox"

// Engine runs the docker CLI against the engine found.
type Engine struct {
	// Env is the environment docker runs with (DOCKER_CONFIG, so
	// `docker compose` is the plugin start-docker.sh links).
	Env []string
}

// RequireEngine returns the engine, or skips the test saying what is
// missing: docker, a running engine, docker compose v2, busybox-static.
func RequireEngine(t testing.TB) *Engine {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("SKIPPED: no docker CLI (../shared/tools/install.sh docker, then start-docker.sh DIR)")
	}
	e := &Engine{Env: os.Environ()}
	if out, err := e.try("info", "--format", "{{.ServerVersion}}"); err != nil {
		t.Skipf("SKIPPED: no Docker engine answers (start one: ../shared/tools/start-docker.sh DIR; export DOCKER_CONFIG=DIR/docker-config): %s", strings.TrimSpace(out))
	}
	if out, err := e.try("compose", "version"); err != nil {
		t.Skipf("SKIPPED: docker compose v2 is not available (DOCKER_CONFIG of start-docker.sh): %s", strings.TrimSpace(out))
	}
	if _, err := os.Stat(Busybox); err != nil {
		t.Skipf("SKIPPED: %s (Debian's busybox-static) is not installed: stub images need it", Busybox)
	}
	return e
}

func (e *Engine) try(args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = e.Env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// Docker runs the docker CLI and returns its trimmed output; it fails the
// test on a non-zero exit.
func (e *Engine) Docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := e.try(args...)
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// Try runs the docker CLI and returns its output and error, for calls
// that may fail.
func (e *Engine) Try(args ...string) (string, error) { return e.try(args...) }

// HasImage reports whether the engine has an image of that reference.
func (e *Engine) HasImage(ref string) bool {
	_, err := e.try("image", "inspect", ref)
	return err == nil
}

// StubImages builds, once per engine, a stub image under each reference
// that is not there yet: busybox as /bin/* (sh, sleep, cat...), a curl
// that exits 0, an entrypoint that sleeps. Images already present are
// reused (another test, or another helper, built them).
func (e *Engine) StubImages(t testing.TB, refs ...string) {
	t.Helper()
	var missing []string
	for _, r := range refs {
		if !e.HasImage(r) {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return
	}
	ctx := t.TempDir()
	bb, err := os.ReadFile(Busybox)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(ctx, "busybox"), bb, 0o755))
	must(os.WriteFile(filepath.Join(ctx, "curl"), []byte("#!/bin/sh\nexit 0\n"), 0o755))
	must(os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(`FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY curl /usr/bin/curl
ENTRYPOINT ["/bin/sleep", "2147483647"]
`), 0o644))
	args := []string{"build", "-q"}
	for _, r := range missing {
		args = append(args, "-t", r)
	}
	e.Docker(t, append(args, ctx)...)
}

// ComposeDown removes a compose project's containers, networks and, with
// volumes, its named volumes: only for projects the test created.
func (e *Engine) ComposeDown(t testing.TB, project string, volumes bool) {
	t.Helper()
	args := []string{"compose", "--project-name", project, "down", "--remove-orphans", "--timeout", "1"}
	if volumes {
		args = append(args, "--volumes")
	}
	if out, err := e.try(args...); err != nil {
		t.Logf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Containers lists "service container-name" of a compose project's
// containers, running or not, sorted by the engine.
func (e *Engine) Containers(t testing.TB, project string) []string {
	t.Helper()
	out := e.Docker(t, "ps", "-a", "--filter", "label=com.docker.compose.project="+project, "--format", `{{.Label "com.docker.compose.service"}} {{.Names}}`)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// Mount is the host source of the container's mount at dest.
func (e *Engine) Mount(t testing.TB, container, dest string) string {
	t.Helper()
	return e.Docker(t, "inspect", "-f", fmt.Sprintf(`{{range .Mounts}}{{if eq .Destination %q}}{{.Source}}{{end}}{{end}}`, dest), container)
}

// MountedVolume is the name of the named volume mounted at dest ("" for a
// folder).
func (e *Engine) MountedVolume(t testing.TB, container, dest string) string {
	t.Helper()
	return e.Docker(t, "inspect", "-f", fmt.Sprintf(`{{range .Mounts}}{{if eq .Destination %q}}{{.Name}}{{end}}{{end}}`, dest), container)
}
