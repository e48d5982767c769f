package cueedit_test

import (
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/cueedit"
)

func TestSetVersion(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		set       bool
		err       string
	}{
		{"nested braces, comments kept", "package environments\n\n// prod\nenvironments: {\n\tprod: {\n\t\tversion: \"4.21.1\" // pinned\n\t\thost: \"x\"\n\t}\n}\n", true, ""},
		{"shorthand", "package environments\nenvironments: prod: version: \"4.21.1\"\n", true, ""},
		{"unified with a template", "package environments\n_t: {version: \"4.0.0\"}\nenvironments: prod: _t & {\n\tversion: \"4.21.1\"\n}\n", true, ""},
		{"quoted label", "package environments\nenvironments: \"prod\": {version: \"4.21.1\"}\n", true, ""},
		{"other environment only", "package environments\nenvironments: staging: version: \"4.21.1\"\n", false, ""},
		{"template's version is not the environment's", "package environments\n_t: {version: \"4.21.1\"}\nenvironments: prod: _t\n", false, ""},
		{"not a literal", "package environments\n_v: \"4.21.1\"\nenvironments: prod: version: _v\n", false, "is not a string literal"},
		{"set twice", "package environments\nenvironments: prod: version: \"4.21.1\"\nenvironments: prod: {version: \"4.21.1\"}\n", false, "set 2 times"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, set, err := cueedit.SetVersion("envs/a.cue", []byte(tc.src), "prod", "4.22.0")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "envs/a.cue") {
					t.Fatalf("err %v, want %q with the file", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if set != tc.set {
				t.Fatalf("set %v", set)
			}
			want := tc.src
			if tc.set {
				i := strings.LastIndex(tc.src, `"4.21.1"`)
				want = tc.src[:i] + `"4.22.0"` + tc.src[i+len(`"4.21.1"`):]
			}
			if string(out) != want {
				t.Errorf("got\n%s\nwant\n%s", out, want)
			}
		})
	}
}

func TestSetString(t *testing.T) {
	path := []string{"gitops", "repoURL"}
	for _, tc := range []struct{ name, src, want string }{
		{"nested", "package e\ngitops: {\n\trepoURL: \"a\" // keep\n}\n", "package e\ngitops: {\n\trepoURL: \"b\" // keep\n}\n"},
		{"shorthand", "package e\ngitops: repoURL: \"a\"\n", "package e\ngitops: repoURL: \"b\"\n"},
		{"set twice: left to the user", "package e\ngitops: repoURL: \"a\"\ngitops: repoURL: \"a\"\n", ""},
		{"not a literal: left to the user", "package e\n_u: \"a\"\ngitops: repoURL: _u\n", ""},
		{"absent", "package e\ngitops: branch: \"main\"\n", ""},
		{"another field of the same name elsewhere", "package e\nx: repoURL: \"a\"\n", ""},
	} {
		out, ok, err := cueedit.SetString("f.cue", []byte(tc.src), path, "b")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ok != (tc.want != "") || (ok && string(out) != tc.want) {
			t.Errorf("%s: got %q (ok %v), want %q", tc.name, out, ok, tc.want)
		}
	}
}
