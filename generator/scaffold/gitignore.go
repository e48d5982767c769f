package scaffold

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// gitignoreTemplate is the .gitignore init writes when there is none: the
// patterns that keep credential files (.env) out of Git.
const gitignoreTemplate = "templates/gitignore"

// MissingIgnores lists the patterns of the scaffold's .gitignore that
// root/.gitignore lacks: for each, a path it keeps out of Git (at the root
// or in a folder below) is not ignored by the existing file. Git's matching
// rules decide (go-git's gitignore, the same the rest of cht-gen uses), so
// an equivalent pattern of the owner's counts. No .gitignore: nil, init
// writes the scaffold's. A .gitignore that is not a regular file ignores
// nothing (Git does not follow a symbolic link there).
func MissingIgnores(root string) ([]string, error) {
	full := filepath.Join(root, ".gitignore")
	info, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var existing []byte
	if info.Mode().IsRegular() {
		if existing, err = os.ReadFile(full); err != nil {
			return nil, err
		}
	}
	want, err := templates.ReadFile(gitignoreTemplate)
	if err != nil {
		return nil, err
	}
	m := gitignore.NewMatcher(ignorePatterns(ignoreLines(existing)))
	var missing []string
	for _, line := range ignoreLines(want) {
		for _, path := range examplePaths(line) {
			if !m.Match(strings.Split(path, "/"), false) {
				missing = append(missing, line)
				break
			}
		}
	}
	return missing, nil
}

// ignoreLines are a .gitignore's patterns as Git reads them (go-git's own
// reader does the same, but only from a billy filesystem): one a line,
// CRLF endings allowed, blank lines and # comments skipped.
func ignoreLines(data []byte) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if l := sc.Text(); !strings.HasPrefix(l, "#") && strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func ignorePatterns(lines []string) []gitignore.Pattern {
	ps := make([]gitignore.Pattern, len(lines))
	for i, l := range lines {
		ps[i] = gitignore.ParsePattern(l, nil)
	}
	return ps
}

// examplePaths are files a pattern of the scaffold's .gitignore must keep
// out of Git: its wildcards filled in, at the root and in a Compose
// folder. Negations (!.env.example) let files in; they need no check.
// The scaffold's patterns are unanchored file names; a test checks that
// the scaffold's own .gitignore ignores every path made here.
func examplePaths(line string) []string {
	if strings.HasPrefix(line, "!") {
		return nil
	}
	name := strings.NewReplacer("*", "prod", "?", "x").Replace(line)
	return []string{name, "deploy/compose/prod/" + name}
}
