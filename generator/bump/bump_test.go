package bump_test

import (
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/github"
	"github.com/cht-gen/cht-gen/generator/model"
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
			out, set, err := bump.SetVersion("envs/a.cue", []byte(tc.src), "prod", "4.22.0")
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

func TestPolicy(t *testing.T) {
	paths := []model.UpgradePath{{From: "<4.5.0-0", To: ">=4.6.0-0", Via: ">=4.5.0-0 <4.6.0-0", Reason: "via 4.5"}}
	env := func(v, channel, constraint string) *model.Environment {
		return &model.Environment{Name: "prod", Version: v, Channel: channel, VersionConstraint: constraint}
	}
	for _, tc := range []struct {
		name      string
		e         *model.Environment
		to        string
		downgrade bool
		err       string
	}{
		{"minor up", env("4.21.1", "stable", ""), "4.22.0", false, ""},
		{"downgrade", env("4.22.0", "stable", ""), "4.21.1", false, "older than its current"},
		{"downgrade allowed", env("4.22.0", "stable", ""), "4.21.1", true, ""},
		{"5.x", env("4.22.0", "stable", ""), "5.0.0", false, "5.x"},
		{"pre-release on stable", env("4.22.0", "stable", ""), "4.23.0-beta.1", false, "pre-release"},
		{"pre-release on beta", env("4.22.0", "beta", ""), "4.23.0-beta.1", false, ""},
		{"outside constraint", env("4.22.0", "stable", "~4.22"), "4.23.0", false, "versionConstraint"},
		{"inside constraint", env("4.22.0", "stable", "~4.22"), "4.22.3", false, ""},
		{"blocked path", env("4.3.0", "stable", ""), "4.22.0", false, "via 4.5"},
		{"to the stop", env("4.3.0", "stable", ""), "4.5.2", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := bump.Policy{AllowDowngrade: tc.downgrade, Paths: paths}.Check(tc.e, tc.to)
			if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("got %v, want %q", err, tc.err)
			}
		})
	}
	rels := []github.Release{{Version: "4.23.0"}, {Version: "4.22.1"}, {Version: "4.6.0"}, {Version: "4.5.2"}, {Version: "4.4.0"}}
	for _, tc := range []struct {
		from, constraint, want string
	}{{"4.22.0", "", "4.23.0"}, {"4.22.0", "~4.22", "4.22.1"}, {"4.3.0", "", "4.5.2"}, {"4.23.0", "", ""}} {
		r, ok, err := bump.Policy{Paths: paths}.Latest(env(tc.from, "stable", tc.constraint), rels)
		if err != nil || ok != (tc.want != "") || r.Version != tc.want {
			t.Errorf("latest from %s %q: %v %v %v, want %q", tc.from, tc.constraint, r.Version, ok, err, tc.want)
		}
	}
}
