package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/lockedfile"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs testdata/script/*.txtar: the CLI as a user runs it
// (the cht-gen binary on PATH), with exact messages and files compared.
// badinput_*.txtar is the bad-input matrix, one case a file: each breaks a
// copy of a hosting repository and checks the exit code, what stderr says
// and that the repository, .git included, is left as it was.
// CHT_UPDATE=1 rewrites the expected output a `cmp` compares with.
func TestScripts(t *testing.T) {
	bin := builtCLI(t)
	template, _ := hostingRepo(t)
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join("testdata", "script"),
		UpdateScripts: os.Getenv("CHT_UPDATE") != "",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+env.Getenv("PATH"))
			// HOME (git's and cht-gen's caches) lives in .tmp, which
			// `unchanged` does not compare.
			home := filepath.Join(env.WorkDir, ".tmp", "home")
			env.Setenv("HOME", home)
			env.Values[snapshotKey{}] = new(string)
			return os.MkdirAll(home, 0o755)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"hostingrepo": func(ts *testscript.TestScript, neg bool, args []string) { cmdHostingRepo(ts, neg, args, template) },
			"exits":       cmdExits,
			"gen":         cmdGen,
			"replace":     cmdReplace,
			"snapshot":    cmdSnapshot,
			"unchanged":   cmdUnchanged,
			"holdlock":    cmdHoldLock,
			"perm":        cmdPerm,
		},
	})
}

// hostingrepo: copy a hosting repository (the examples at pinnedVersions,
// rendered into deploy/ and committed) into the current directory. Files
// the script's archive holds win: that is how a case changes a file.
func cmdHostingRepo(ts *testscript.TestScript, neg bool, args []string, template string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: hostingrepo")
	}
	dst := ts.MkAbs(".")
	err := filepath.WalkDir(template, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(template, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if _, err := os.Lstat(target); err == nil {
			return nil // the archive's version
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	ts.Check(err)
}

// exits N command [args...]: run command as exec does, and fail unless it
// exits with status N.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// gen file piece...: write file with the pieces one after another. Each
// piece is read as the inside of a Go string ("\n", "\xff"); a piece
// ending in *N is repeated N times. For inputs too large, too binary or
// too repetitive to read in an archive.
func cmdGen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: gen file piece...")
	}
	name := unescape(ts, args[0])
	var b strings.Builder
	for _, piece := range args[1:] {
		n := 1
		if m := repeatPiece.FindStringSubmatch(piece); m != nil {
			piece = m[1]
			n, _ = strconv.Atoi(m[2])
		}
		b.WriteString(strings.Repeat(unescape(ts, piece), n))
	}
	ts.Check(os.WriteFile(ts.MkAbs(name), []byte(b.String()), 0o644))
}

var repeatPiece = regexp.MustCompile(`^(.*)\*([0-9]+)$`)

// replace file old new: replace the first old in file with new (both read
// as the inside of a Go string); fail if file does not hold old.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace file old new")
	}
	p := ts.MkAbs(args[0])
	b, err := os.ReadFile(p)
	ts.Check(err)
	old, new := unescape(ts, args[1]), unescape(ts, args[2])
	if !strings.Contains(string(b), old) {
		ts.Fatalf("%s does not contain %q", args[0], old)
	}
	ts.Check(os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}

func unescape(ts *testscript.TestScript, s string) string {
	u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
	if err != nil {
		ts.Fatalf("%q: %v", s, err)
	}
	return u
}

type snapshotKey struct{}

// snapshot: remember every path, mode, size, mtime and content hash under
// $WORK (but .tmp); unchanged: fail naming the first difference since.
func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: snapshot")
	}
	s, err := treeSnapshot(ts.Getenv("WORK"))
	ts.Check(err)
	*ts.Value(snapshotKey{}).(*string) = s
}

func cmdUnchanged(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: unchanged")
	}
	before := *ts.Value(snapshotKey{}).(*string)
	if before == "" {
		ts.Fatalf("unchanged: no snapshot taken")
	}
	after, err := treeSnapshot(ts.Getenv("WORK"))
	ts.Check(err)
	if after != before {
		ts.Fatalf("the repository changed:\n%s", firstDifference(before, after))
	}
}

func treeSnapshot(root string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == ".tmp" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var sum [32]byte
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = sha256.Sum256(data)
		}
		fmt.Fprintf(&b, "%q %v %d %d %x\n", rel, info.Mode(), info.Size(), info.ModTime().UnixNano(), sum)
		return nil
	})
	return b.String(), err
}

// holdlock file: hold file's lock, as a concurrent cht-gen run would,
// until the script ends.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock file")
	}
	unlock, err := lockedfile.MutexAt(ts.MkAbs(args[0])).Lock()
	ts.Check(err)
	ts.Defer(unlock)
}

// perm file mode: fail unless file's permission bits are mode (octal).
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: perm file mode")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	info, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := info.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[0], got, want)
	}
}
