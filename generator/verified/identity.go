package verified

import (
	"crypto/sha256"
	"io"
	"os"
	"runtime/debug"
	"sync"
)

var identity = sync.OnceValues(computeIdentity)

// Identity names the running binary, so that an input verified by one
// build of cht-gen is checked again by another. A build of a released
// module version (`go install ...@v1.2.3`, which records the module's sum)
// or of a clean Git checkout is named by its build information (version
// or revision, Go version, dependencies and their sums, build flags),
// which is free to read; any other build (a modified tree, `go test`, no
// VCS stamp) by a SHA-256 of its executable.
func Identity() ([]byte, error) { return identity() }

func computeIdentity() ([]byte, error) {
	if bi, ok := debug.ReadBuildInfo(); ok && (released(bi) || cleanVCS(bi)) {
		sum := sha256.Sum256([]byte("buildinfo\n" + bi.String()))
		return sum[:], nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(exe)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	h.Write([]byte("executable\n"))
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

func released(bi *debug.BuildInfo) bool {
	return bi.Main.Version != "" && bi.Main.Version != "(devel)" && bi.Main.Sum != ""
}

func cleanVCS(bi *debug.BuildInfo) bool {
	rev, modified := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	return rev != "" && modified == "false"
}
