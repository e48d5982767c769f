package verified

import (
	"crypto/sha256"
	"debug/elf"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
)

var identity = sync.OnceValues(computeIdentity)

// Identity names the running binary, so that an input verified by one
// build of cht-gen is checked again by another. A build of a released
// module version (`go install ...@v1.2.3`, which records the module's sum)
// or of a clean Git checkout is named by its build information (version
// or revision, Go version, dependencies and their sums, build flags),
// which is free to read; any other build (a modified tree, `go test`, no
// VCS stamp) by the Go build ID of its executable, whose last part is the
// go command's hash of the linked file's content (a few hundred bytes
// read, where hashing the 40 MB file took 30 ms of every run), or else by
// a SHA-256 of the executable.
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
	if id := goBuildID(exe); id != "" {
		sum := sha256.Sum256([]byte("go build id\n" + id))
		return sum[:], nil
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

// goBuildID reads the build ID the go command writes into an ELF
// executable (the .note.go.buildid note: actionID/.../contentID), or ""
// when there is none or it is not of that form (a -buildid= of the
// builder's choosing names no content).
func goBuildID(exe string) string {
	f, err := elf.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil || sec.Size > 1024 {
		return ""
	}
	note, err := sec.Data()
	if err != nil || len(note) < 16 {
		return ""
	}
	order := f.ByteOrder
	nameSize, descSize, kind := order.Uint32(note), order.Uint32(note[4:]), order.Uint32(note[8:])
	const goNoteBuildID = 4
	if nameSize != 4 || kind != goNoteBuildID || string(note[12:16]) != "Go\x00\x00" || uint32(len(note)-16) < descSize {
		return ""
	}
	id := string(note[16 : 16+descSize])
	parts := strings.Split(id, "/")
	if len(parts) != 4 || slices.Contains(parts, "") {
		return ""
	}
	return id
}
