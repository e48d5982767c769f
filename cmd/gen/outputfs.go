package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/cht-gen/cht-gen/generator/repo"
)

// outputFS opens the output directory read-only for the files users keep in
// it (credentials.sopsFile). An os.Root: a symbolic link cannot lead a read
// outside it. A directory that does not exist yet reads as empty.
func outputFS(out string) (fs.FS, string, func(), error) {
	name := repo.DisplayPath(out)
	root, err := os.OpenRoot(out)
	if errors.Is(err, fs.ErrNotExist) {
		return os.DirFS(out), name, func() {}, nil
	}
	if err != nil {
		return nil, "", nil, err
	}
	return root.FS(), name, func() { root.Close() }, nil
}
