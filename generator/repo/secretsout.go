package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Where a credentials file would land inside what Git commits.
const (
	InEnvironments = "environments"
	InRenderOutput = "render output"
	InRepository   = "repository"
)

// SecretsOutError refuses a credentials file (cht-gen secrets --out) where
// one git add -A would commit it.
type SecretsOutError struct {
	Out, Inside, Env string
	// Kind is InEnvironments, InRenderOutput or InRepository.
	Kind string
}

func (e *SecretsOutError) Error() string {
	switch e.Kind {
	case InEnvironments:
		return fmt.Sprintf("--out %s is inside the environments directory %s, which is committed to Git: keep credentials outside the repository, e.g. ~/cht-secrets/%s.env", e.Out, e.Inside, e.Env)
	case InRenderOutput:
		return fmt.Sprintf("--out %s is inside the render output %s, which is committed to Git: keep credentials outside it, e.g. ~/cht-secrets/%s.env (on a VM, next to the compose folder, passed with docker compose --env-file)", e.Out, e.Inside, e.Env)
	}
	return fmt.Sprintf("--out %s is inside the Git repository %s, which holds the environments: one git add -A would commit the credentials; keep them outside the repository, e.g. ~/cht-secrets/%s.env", e.Out, e.Inside, e.Env)
}

// CheckSecretsOut refuses an --out where credentials would be one git add
// away from a commit: the environments directory envDir, the render
// output renderOut, or the Git repository holding envDir.
func CheckSecretsOut(out, envDir, renderOut, env string) error {
	if dir, err := RealPath(envDir); err == nil {
		if o, err := RealPath(out); err == nil && Within(o, dir) {
			return &SecretsOutError{Out: out, Inside: envDir, Env: env, Kind: InEnvironments}
		}
	}
	// render owns that tree and it is committed: a secret there
	// is one `git add -A` away from Git.
	if r, err := RealPath(renderOut); err == nil {
		if o, err := RealPath(out); err == nil && (o == r || Within(o, r)) {
			return &SecretsOutError{Out: out, Inside: renderOut, Env: env, Kind: InRenderOutput}
		}
	}
	if root, in := inRepository(out, envDir); in {
		return &SecretsOutError{Out: out, Inside: root, Env: env, Kind: InRepository}
	}
	return nil
}

// inRepository reports whether out, a file to create, lies in the Git work
// tree holding the environments directory: anywhere there (its root, a
// secrets/ folder) is one git add -A away from a commit. A file already at
// out is left to the refusal to overwrite.
func inRepository(out, envDir string) (root string, in bool) {
	if _, err := os.Lstat(out); !errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	_, root, _, err := OpenWorkTree(envDir)
	if err != nil {
		return "", false
	}
	o, err := RealPath(out)
	return root, err == nil && Within(o, root)
}

// WriteNew creates out with mode 0600 and writes body, never over an
// existing file: credentials are never overwritten.
func WriteNew(out string, body []byte) error {
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: cht-gen secrets never overwrites credentials (remove it first if you really mean to rotate them)", out)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--out %s: folder %s does not exist: create it first (mode 0700)", out, filepath.Dir(out))
	}
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out) // a partial credentials file would be mistaken for a good one
	}
	return err
}
