package model

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"
)

// releasesTxt is the reviewed list of CHT Core releases this cht-gen knows
// (releases.txt says where it comes from and what it leaves out).
//
//go:embed releases.txt
var releasesTxt string

var known struct {
	once sync.Once
	list []Release // newest first
	err  error
}

// KnownReleases are the CHT Core releases this cht-gen was built knowing,
// pre-releases included, newest first: what validate accepts without
// allowUnlistedVersion, and what bump --latest and releases fall back to
// when GitHub cannot be reached.
func KnownReleases() []Release {
	known.once.Do(func() { known.list, known.err = parseReleases(releasesTxt) })
	if known.err != nil {
		panic("model: releases.txt: " + known.err.Error()) // caught by TestKnownReleases
	}
	return append([]Release(nil), known.list...)
}

// parseReleases reads "version<TAB>date" lines; # starts a comment.
func parseReleases(text string) ([]Release, error) {
	var out []Release
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"version date\", got %q", i+1, line)
		}
		v, err := ParseVersion(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", i+1, err)
		}
		date, err := time.Parse(time.DateOnly, fields[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", i+1, err)
		}
		if seen[v.String()] {
			return nil, fmt.Errorf("line %d: %s listed twice", i+1, v)
		}
		seen[v.String()] = true
		out = append(out, Release{
			Version: v.String(), Tag: fields[0], Prerelease: v.Prerelease() != "", Published: date,
			URL: fmt.Sprintf("https://github.com/%s/%s/releases/tag/%s", CoreOwner, CoreRepo, fields[0]),
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return semver.MustParse(out[i].Version).GreaterThan(semver.MustParse(out[j].Version))
	})
	return out, nil
}

// IsKnownRelease reports whether version is in KnownReleases.
func IsKnownRelease(version string) bool {
	KnownReleases() // parsed once
	for _, r := range known.list {
		if r.Version == version {
			return true
		}
	}
	return false
}

// NewestKnown is the newest known release (pre-releases left out) of v's
// minor line (5.3.x for 5.3.27), or of its major line when cht-gen knows no
// release of that minor (5.x for 5.9.0); ok is false when it knows none of
// the major either.
func NewestKnown(v *semver.Version) (newest string, ok bool) {
	var inMajor string
	for _, r := range KnownReleases() { // newest first
		k := semver.MustParse(r.Version)
		if r.Prerelease || k.Major() != v.Major() {
			continue
		}
		if k.Minor() == v.Minor() {
			return r.Version, true
		}
		if inMajor == "" {
			inMajor = r.Version
		}
	}
	return inMajor, inMajor != ""
}

// UnlistedVersion refuses (or, with allowUnlistedVersion, warns about) a
// version v of e that is not in KnownReleases; nil for a known release.
// validate reports it at the version; bump refuses such a --to with it.
func UnlistedVersion(e *Environment, v *semver.Version) *Problem {
	if IsKnownRelease(v.String()) {
		if e.AllowUnlistedVersion {
			return &Problem{Env: e.Name, Field: "allowUnlistedVersion", Warning: true,
				Message: fmt.Sprintf("has no effect: CHT %s is a release cht-gen knows; remove allowUnlistedVersion so that a mistyped version is refused again", v)}
		}
		return nil
	}
	newest, ok := NewestKnown(v)
	known := fmt.Sprintf("the newest %d.x release cht-gen knows is %s", v.Major(), newest)
	if ok && strings.HasPrefix(newest, fmt.Sprintf("%d.%d.", v.Major(), v.Minor())) {
		known = fmt.Sprintf("the newest %d.%d release cht-gen knows is %s", v.Major(), v.Minor(), newest)
	}
	if e.AllowUnlistedVersion {
		return &Problem{Env: e.Name, Field: "version", Warning: true,
			Message: fmt.Sprintf("CHT %s is not a release cht-gen knows (%s); rendered with the rules of the newest release before it because allowUnlistedVersion is set: check that Medic published %s and that its release notes change no hosting file, and upgrade cht-gen (docs/versions.md)", v, known, v)}
	}
	return &Problem{Env: e.Name, Field: "version",
		Message: fmt.Sprintf("CHT %s is not a release cht-gen knows (%s; `cht-gen releases` lists them): fix a mistyped version, or, if Medic released %s after this cht-gen was built, upgrade cht-gen or set allowUnlistedVersion: true on this environment to render it with the rules of the newest release before it (docs/versions.md)", v, known, v)}
}

// newMajorHint completes ParseVersion's refusal of a major line after 5.x:
// the newest release cht-gen knows, and that allowUnlistedVersion does not
// reach a line whose hosting files nobody has read.
func newMajorHint(version string) string {
	v, err := semver.StrictNewVersion(version)
	if err != nil || v.Major() <= lastMajor {
		return ""
	}
	return fmt.Sprintf(" (the newest release cht-gen knows is %s; allowUnlistedVersion covers unlisted 4.x and 5.x releases only: a new major line needs a cht-gen that knows it)", KnownReleases()[0].Version)
}

// NewestKnownIn is the newest known release of a major line (pre-releases
// left out); "" when cht-gen knows none.
func NewestKnownIn(major uint64) string {
	newest, _ := NewestKnown(semver.New(major, 1<<31, 0, "", ""))
	return newest
}

// Preparing5 is Medic's page on moving from CHT 4.x to 5.x, whose items
// bump's checklist carries (generator/bump links each section).
const Preparing5 = "https://docs.communityhealthtoolkit.org/hosting/cht/migration/preparing-for-5/"

// MoveTo5Readme is the "Moving to CHT 5.x" section of the README of an
// environment on 4.x (Kubernetes overlay or Compose folder): where the
// checklist is and how to get it without GitHub. "" from 5.x on.
func MoveTo5Readme(e *Environment) string {
	v := e.version()
	if v.Major() != 4 {
		return ""
	}
	to := NewestKnownIn(5)
	var b strings.Builder
	b.WriteString("\n## Moving to CHT 5.x\n\n")
	fmt.Fprintf(&b, "This environment runs CHT %s. CHT 5.x changes how it is hosted (a search service, more\n", e.Version)
	b.WriteString("disk while views rebuild, app settings to check): before moving, work through\n")
	fmt.Fprintf(&b, "Medic's checklist (\"Preparing for 5.0\", %s).\n", Preparing5)
	fmt.Fprintf(&b, "`cht-gen bump %s --to %s` without `--push` prints the items that apply to\n", e.Name, to)
	b.WriteString("this environment, with no GitHub access needed, and leaves the change to review;\n")
	b.WriteString("with `--push` the pull request carries them (cht-gen's docs/versions.md).\n")
	if v.LessThan(semver.MustParse("4.5.0")) {
		b.WriteString("CHT 4.0 to 4.4 must be upgraded to 4.5 or later first.\n")
	}
	return b.String()
}
