package bump_test

import (
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/bump"
	"github.com/cht-gen/cht-gen/generator/github"
	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/generator/model"
)

// schemaPaths are the upgrade paths of cue/upgrades.cue, so the tests
// check the data cht-gen ships, not a copy of it.
func schemaPaths(t *testing.T) []model.UpgradePath {
	t.Helper()
	paths, err := load.UpgradePaths()
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func env(v, channel, constraint string) *model.Environment {
	return &model.Environment{Name: "prod", Version: v, Channel: channel, VersionConstraint: constraint}
}

func TestPolicy(t *testing.T) {
	paths := schemaPaths(t)
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
		{"4.x -> 5.x", env("4.22.0", "stable", ""), "5.2.0", false, ""},
		{"5.x -> 4.x", env("5.0.0", "stable", ""), "4.22.0", false, "older than its current"},
		{"6.x", env("5.2.0", "stable", ""), "6.0.0", false, "6.x release"},
		{"pre-release on stable", env("5.1.3", "stable", ""), "5.2.0-beta.1", false, "pre-release"},
		{"pre-release on beta", env("5.1.3", "beta", ""), "5.2.0-beta.1", false, ""},
		{"outside constraint", env("4.21.0", "stable", "~4.21"), "4.22.0", false, "versionConstraint"},
		{"inside constraint", env("4.21.0", "stable", "~4.21"), "4.21.1", false, ""},
		// Releases cht-gen does not know (model.KnownReleases).
		{"unreleased patch", env("5.3.0", "stable", ""), "5.3.27", false, "newest 5.3 release cht-gen knows is 5.3.1"},
		{"unreleased minor", env("5.3.0", "stable", ""), "5.9.0", false, "newest 5.x release cht-gen knows is 5.3.1"},
		{"unreleased pre-release", env("5.3.0", "beta", ""), "5.4.0-beta.1", false, "allowUnlistedVersion: true"},
		{"unlisted with the opt-in", &model.Environment{Name: "prod", Version: "5.3.1", Channel: "stable", AllowUnlistedVersion: true}, "5.4.0", false, ""},
		{"constraint holds across a major", env("4.22.0", "stable", "<5"), "5.2.0", false, "versionConstraint"},
		// Medic: 4.0-4.4 reach 4.5 or later before 5.x; within 4.x anything goes.
		{"4.3 -> 4.22", env("4.3.0", "stable", ""), "4.22.0", false, ""},
		{"4.3 -> 4.5", env("4.3.0", "stable", ""), "4.5.2", false, ""},
		{"4.3 -> 5.2", env("4.3.0", "stable", ""), "5.2.0", false, "4.3.0 -> 5.2.0 is not a supported upgrade: CHT 4.0 to 4.4 must be upgraded to 4.5 or later before 5.x"},
		{"4.4.2 -> 5.0 beta", env("4.4.2", "beta", ""), "5.0.0-beta.1", false, "4.5 or later"},
		{"4.5 -> 5.2", env("4.5.0", "stable", ""), "5.2.0", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := bump.Policy{AllowDowngrade: tc.downgrade, Paths: paths}.Check(tc.e, tc.to)
			if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("got %v, want %q", err, tc.err)
			}
		})
	}
}

func TestPolicyLatest(t *testing.T) {
	paths := schemaPaths(t)
	// As GitHub may list them: 5.9.0 is newer than this cht-gen knows; GitHub
	// marks 5.3.0 and 4.22.0 as pre-releases.
	rels := []github.Release{{Version: "5.9.0"}, {Version: "5.3.0", Prerelease: true}, {Version: "5.2.0"}, {Version: "5.1.0-beta.1", Prerelease: true},
		{Version: "4.22.0", Prerelease: true}, {Version: "4.21.1"}, {Version: "4.6.0"}, {Version: "4.5.2"}, {Version: "4.4.0"}}
	for _, tc := range []struct {
		from, channel, constraint string
		major                     bool
		want                      string
		allowUnlisted             bool
	}{
		{"4.21.0", "stable", "", false, "4.21.1", false}, // stays on 4.x; 4.22.0 is marked a pre-release on GitHub
		{"4.21.0", "beta", "", false, "4.22.0", false},
		{"4.21.0", "stable", "", true, "5.2.0", false},
		{"4.21.0", "beta", "", true, "5.3.0", false},
		{"4.21.0", "stable", "~4.21", true, "4.21.1", false},
		{"4.3.0", "stable", "", false, "4.21.1", false},
		{"4.3.0", "stable", "", true, "4.21.1", false}, // 5.x needs 4.5 first: the newest stop
		{"5.2.0", "stable", "", true, "", false},       // 5.9.0: unknown to this cht-gen
		{"5.2.0", "stable", "", true, "5.9.0", true},   // allowUnlistedVersion
		{"4.21.1", "stable", "", false, "", false},
	} {
		e := env(tc.from, tc.channel, tc.constraint)
		e.AllowUnlistedVersion = tc.allowUnlisted
		r, ok, err := bump.Policy{Paths: paths, Major: tc.major}.Latest(e, rels)
		if err != nil || ok != (tc.want != "") || r.Version != tc.want {
			t.Errorf("latest from %s %s %q major=%v: %v %v %v, want %q", tc.from, tc.channel, tc.constraint, tc.major, r.Version, ok, err, tc.want)
		}
	}
}
