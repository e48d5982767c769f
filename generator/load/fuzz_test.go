package load_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/load"
)

// FuzzLoad feeds arbitrary bytes as an environment file, beside a valid
// one. Load must not panic, and must either succeed or say what is wrong
// with a position in one of the files (never an unplaced error).
// Seeds: the example environments and testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	examples, _ := filepath.Glob("../../environments/*.cue")
	for _, p := range examples {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	valid := []byte(env(""))
	f.Fuzz(func(t *testing.T, src []byte) {
		fsys := fstest.MapFS{
			"a.cue":    {Data: valid},
			"fuzz.cue": {Data: src},
		}
		res, err := load.Load(fsys, "envs")
		if err == nil {
			if len(res.Environments) == 0 {
				t.Fatal("success without environments")
			}
			return
		}
		var diags load.Errors
		if !errors.As(err, &diags) {
			t.Fatalf("not a diagnostic list: %v", err)
		}
		for _, d := range diags {
			if !strings.HasPrefix(d.Pos.File, "envs") {
				t.Errorf("diagnostic without a file: %s", d)
			}
		}
	})
}
