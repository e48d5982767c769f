package load_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/load"
)

// A file that does not parse does not hide the errors of the others, but
// no error is reported that the missing file may have caused.
func TestLoad_FilesThatParseAreCheckedBesideOneThatDoesNot(t *testing.T) {
	broken := head + "environments: dev: {\n\ttarget: \"compose\" ]]\n}\n"
	cases := []struct {
		name  string
		files map[string]string
		want  []string // every diagnostic, in order, as "file:line: path"
	}{
		{"an error in another environment is reported",
			map[string]string{"a.cue": broken, "b.cue": head + gitops + k8s("prod", "\tcouchdb: nodes: 40\n")},
			[]string{"envs/a.cue:3:20: ", "envs/a.cue:4:3: ", "envs/b.cue:7:18: environments.prod.couchdb.nodes"}},
		{"the rest of an environment split over files is not checked",
			map[string]string{"a.cue": broken, "b.cue": head + "environments: dev: couchdb: nodes: 40\n"},
			[]string{"envs/a.cue:3:20: ", "envs/a.cue:4:3: "}},
		{"a broken file declaring more than environments stops the rest",
			map[string]string{"a.cue": head + "_shared: {\n\ttarget: \"compose\" ]]\n}\n", "b.cue": head + "environments: dev: _shared & {couchdb: nodes: 40}\n"},
			[]string{"envs/a.cue:3:20: ", "envs/a.cue:4:3: "}},
		{"a file that cannot be read as text stops the rest",
			map[string]string{"a.cue": head + "\xff\n", "b.cue": head + gitops + k8s("prod", "\tcouchdb: nodes: 40\n")},
			[]string{"envs/a.cue:2:1: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, c := range tc.files {
				fsys[n] = &fstest.MapFile{Data: []byte(c)}
			}
			_, err := load.Load(fsys, "envs")
			errs, ok := err.(load.Errors)
			if !ok {
				t.Fatalf("got %v, want load.Errors", err)
			}
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%v", len(errs), len(tc.want), err)
			}
			for i, d := range errs {
				if !strings.HasPrefix(d.String(), tc.want[i]) {
					t.Errorf("diagnostic %d is %q, want it to start with %q", i, d, tc.want[i])
				}
			}
		})
	}
}
