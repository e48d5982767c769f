package bump

import (
	"fmt"

	"github.com/Masterminds/semver/v3"

	"github.com/cht-gen/cht-gen/generator/model"
)

// Policy is what a bump may do besides what the environment allows.
type Policy struct {
	AllowDowngrade bool
	// Major lets Latest move to the next major line (4.x -> 5.x). Without
	// it Latest stays within the environment's current major, so a
	// scheduled `bump --all --latest` never opens a major upgrade.
	Major bool
	Paths []model.UpgradePath // from the schema
}

// CrossesMajor reports whether from -> to changes the major line.
func CrossesMajor(from, to string) bool {
	a, errA := semver.StrictNewVersion(from)
	b, errB := semver.StrictNewVersion(to)
	return errA == nil && errB == nil && a.Major() != b.Major()
}

// Check says why e may not move to version, or nil. Same version is not an
// error (the caller reports "nothing to do").
func (p Policy) Check(e *model.Environment, version string) error {
	to, err := model.ParseVersion(version)
	if err != nil {
		return fmt.Errorf("%s: %w", e.Name, err)
	}
	from, err := model.ParseVersion(e.Version)
	if err != nil {
		return fmt.Errorf("%s: current version: %w", e.Name, err)
	}
	if to.Prerelease() != "" && e.Channel != "beta" {
		return fmt.Errorf("%s follows the %s channel: %s is a pre-release (set channel: \"beta\" to run pre-releases)", e.Name, e.Channel, to)
	}
	if e.VersionConstraint != "" {
		c, err := semver.NewConstraint(e.VersionConstraint)
		if err != nil {
			return fmt.Errorf("%s: versionConstraint %q: %w", e.Name, e.VersionConstraint, err)
		}
		if !c.Check(to) {
			return fmt.Errorf("%s: %s does not satisfy its versionConstraint %q", e.Name, to, e.VersionConstraint)
		}
	}
	if to.LessThan(from) && !p.AllowDowngrade {
		return fmt.Errorf("%s: %s is older than its current %s: CHT does not support downgrades (CouchDB views and data migrate forward); pass --allow-downgrade only to undo a bump that never ran", e.Name, to, from)
	}
	blocked, err := model.BlockedUpgrade(p.Paths, from, to)
	if err != nil {
		return err
	}
	if blocked != nil {
		return fmt.Errorf("%s: %s -> %s is not a supported upgrade: %s; upgrade to a version in %q first", e.Name, from, to, blocked.Reason, blocked.Via)
	}
	// Last, so that a downgrade or a blocked path says so first. With
	// allowUnlistedVersion validate warns instead; bump says nothing more.
	if u := model.UnlistedVersion(e, to); u != nil && !u.Warning {
		return fmt.Errorf("%s: %s", e.Name, u.Message)
	}
	return nil
}

// Latest picks the newest release (newest first in releases) that e may
// move to: within e's major line unless p.Major (then also the next one),
// never a release GitHub marks as a pre-release unless e follows "beta".
// When the upgrade path requires a stop, it picks the newest release that
// is allowed, which is the stop. ok is false when e is already there.
func (p Policy) Latest(e *model.Environment, releases []model.Release) (r model.Release, ok bool, err error) {
	from, err := model.ParseVersion(e.Version)
	if err != nil {
		return r, false, err
	}
	for _, rel := range releases {
		v, err := model.ParseVersion(rel.Version)
		switch {
		case err != nil, !v.GreaterThan(from):
			continue
		case rel.Prerelease && e.Channel != "beta":
			continue // a plain tag GitHub marks as a pre-release
		case v.Major() != from.Major() && !(p.Major && v.Major() == from.Major()+1):
			continue
		case p.Check(e, rel.Version) != nil:
			continue
		}
		return rel, true, nil
	}
	return r, false, nil
}
