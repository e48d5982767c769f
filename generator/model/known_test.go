package model

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// The embedded list parses, holds only what releases.txt promises (x.y.z
// and x.y.z-beta.N of 4.x and 5.x, each once), is sorted newest first, and
// has every release Medic's reference files were copied from.
func TestKnownReleases(t *testing.T) {
	rels := KnownReleases()
	if len(rels) < 120 {
		t.Fatalf("%d known releases; releases.txt has every 4.x and 5.x tag", len(rels))
	}
	shape := regexp.MustCompile(`^[45]\.[0-9]+\.[0-9]+(-beta\.[0-9]+)?$`)
	for i, r := range rels {
		if !shape.MatchString(r.Version) || r.Tag != r.Version || r.Prerelease != strings.Contains(r.Version, "-") || r.Published.IsZero() {
			t.Errorf("release %+v", r)
		}
		if i > 0 && !semver.MustParse(rels[i-1].Version).GreaterThan(semver.MustParse(r.Version)) {
			t.Errorf("%s listed after %s", r.Version, rels[i-1].Version)
		}
	}
	if rels[0].Version != "5.3.1" || rels[len(rels)-1].Version != "4.0.0" {
		t.Errorf("newest %s, oldest %s; want 5.3.1 and 4.0.0", rels[0].Version, rels[len(rels)-1].Version)
	}
	ents, err := os.ReadDir(filepath.Join("..", "..", "..", "shared", "reference", "cht", "cht-core"))
	if err != nil {
		t.Skipf("Medic's reference files are not beside the repository: %v", err)
	}
	for _, en := range ents {
		if !IsKnownRelease(en.Name()) {
			t.Errorf("the reference holds Medic's files of %s, which the list lacks", en.Name())
		}
	}
}

func TestParseReleases_Refuses(t *testing.T) {
	for _, text := range []string{"5.2.0\n", "5.2.0 2026-06-25\n5.2.0 2026-06-25\n", "3.17.0 2022-01-01\n", "5.2 2026-06-25\n", "5.2.0 25/06/2026\n"} {
		if _, err := parseReleases(text); err == nil {
			t.Errorf("parseReleases(%q) accepted it", text)
		}
	}
}

func TestNewestKnown(t *testing.T) {
	for _, tc := range []struct{ v, want string }{
		{"5.3.27", "5.3.1"}, {"5.9.0", "5.3.1"}, {"4.40.0", "4.22.0"}, {"4.22.5", "4.22.0"}, {"5.1.9", "5.1.3"}, {"5.3.0-beta.9", "5.3.1"},
	} {
		if got, ok := NewestKnown(semver.MustParse(tc.v)); !ok || got != tc.want {
			t.Errorf("NewestKnown(%s) = %s, %v; want %s", tc.v, got, ok, tc.want)
		}
	}
}

// Validate refuses a version Medic never released (as far as this cht-gen
// knows) and names the newest of its line; allowUnlistedVersion turns the
// refusal into a warning, and warns when it is set for nothing.
func TestValidate_UnlistedVersion(t *testing.T) {
	for _, tc := range []struct {
		version, channel string
		allow            bool
		want             string // "" no problem on version/allowUnlistedVersion
		warning          bool
	}{
		{"5.3.1", "stable", false, "", false},
		{"5.2.0-beta.1", "beta", false, "", false},
		{"5.3.27", "stable", false, "newest 5.3 release cht-gen knows is 5.3.1", false},
		{"5.9.0", "stable", false, "newest 5.x release cht-gen knows is 5.3.1", false},
		{"4.40.0", "stable", false, "newest 4.x release cht-gen knows is 4.22.0", false},
		{"5.4.0-beta.1", "beta", false, "newest 5.x release cht-gen knows is 5.3.1", false},
		{"5.4.0", "stable", true, "allowUnlistedVersion is set", true},
		{"5.3.1", "stable", true, "has no effect", true},
	} {
		e := Environment{Name: "prod", Target: Compose, Version: tc.version, Channel: tc.channel, AllowUnlistedVersion: tc.allow,
			CouchDB: CouchDB{Nodes: 1}}
		var got []Problem
		for _, p := range Validate([]Environment{e}) {
			if p.Field == "version" || p.Field == "allowUnlistedVersion" {
				got = append(got, p)
			}
		}
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%s: %v", tc.version, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0].Message, tc.want) || got[0].Warning != tc.warning):
			t.Errorf("%s (allow %v): %+v, want one problem saying %q (warning %v)", tc.version, tc.allow, got, tc.want, tc.warning)
		}
		if tc.want != "" && !tc.warning && !strings.Contains(got[0].Message, "allowUnlistedVersion: true") {
			t.Errorf("%s: the refusal does not say how to proceed: %s", tc.version, got[0].Message)
		}
	}
}
