package model

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/distribution/reference"
)

const (
	medicRegistry       = "public.ecr.aws/medic"
	legacyMedicRegistry = "public.ecr.aws/s5s3h4s7"
)

// Supported CHT major lines. 3.x is end of life and not containerised;
// 6.x does not exist yet, so nothing is known of its files.
const (
	firstMajor = 4
	lastMajor  = 5
)

// ParseVersion parses a CHT version and insists on a line cht-gen renders
// (4.x or 5.x), saying why.
func ParseVersion(s string) (*semver.Version, error) {
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a semantic version (want 4.x.y or 5.x.y, e.g. 5.2.0, 4.22.0 or 5.1.0-beta.1)", s)
	}
	switch {
	case v.Metadata() != "":
		// Semver allows it, Medic's tags and the schema do not: refused
		// here, bump --to would write it into a CUE file load then refuses.
		return nil, fmt.Errorf("%q has build metadata (+%s): Medic tags CHT releases without it; write %s", s, v.Metadata(), strings.TrimSuffix(s, "+"+v.Metadata()))
	case v.Major() < firstMajor:
		return nil, fmt.Errorf("CHT %s is a %d.x release: cht-gen renders CHT 4.x and 5.x (3.x is end of life and uses a different, non-container topology)", s, v.Major())
	case v.Major() > lastMajor:
		return nil, fmt.Errorf("CHT %s is a %d.x release: cht-gen renders CHT 4.x and 5.x; no %d.x hosting files exist to render from", s, v.Major(), v.Major())
	}
	return v, nil
}

// version returns the parsed version; load has already checked it.
func (e *Environment) version() *semver.Version {
	v, err := semver.StrictNewVersion(e.Version)
	if err != nil {
		return semver.MustParse("4.22.0")
	}
	return v
}

// ImageRegistry is the registry CHT images are pulled from.
func (e *Environment) ImageRegistry() string {
	switch {
	case e.Registry != "":
		return e.Registry
	case !e.Has(MedicRegistry):
		return legacyMedicRegistry
	default:
		return medicRegistry
	}
}

// ImageTag is the tag Medic published this version's images under.
func (e *Environment) ImageTag() string {
	if !e.Has(MedicRegistry) {
		return e.Version + "-" + e.Version
	}
	return e.Version
}

// ImageName is the image of a CHT service without its tag, e.g.
// public.ecr.aws/medic/cht-api.
func (e *Environment) ImageName(service string) string {
	return e.ImageRegistry() + "/cht-" + service
}

// Image is the full image reference of a CHT service.
func (e *Environment) Image(service string) string {
	return e.ImageName(service) + ":" + e.ImageTag()
}

// ComposeFacts are the per-version details of Medic's compose files.
type ComposeFacts struct {
	NodeService        func(n int) string
	DefaultLogLevel    string
	PeerIPsOverridable bool
	HAProxyMemoryLimit bool
	DockerDNSResolver  bool
}

// Compose returns the compose facts of the environment's version.
func (e *Environment) Compose() ComposeFacts {
	f := ComposeFacts{
		NodeService:        func(n int) string { return fmt.Sprintf("couchdb-%d.local", n) },
		DefaultLogLevel:    "error",
		PeerIPsOverridable: true,
		HAProxyMemoryLimit: e.Has(HAProxyMemoryLimit),
		DockerDNSResolver:  e.Has(DockerDNSResolver),
	}
	if !e.Has(LocalNodeNames) {
		f.NodeService = func(n int) string { return fmt.Sprintf("couchdb.%d", n) }
		f.PeerIPsOverridable = false
	}
	if e.Has(InfoLogLevelDefault) {
		f.DefaultLogLevel = "info"
	}
	return f
}

// CouchDBServices lists the compose service names of the CouchDB nodes.
func (e *Environment) CouchDBServices() []string {
	if !e.CouchDB.Clustered() {
		return []string{"couchdb"}
	}
	f := e.Compose()
	out := make([]string, e.CouchDB.Nodes)
	for i := range out {
		out[i] = f.NodeService(i + 1)
	}
	return out
}

// UpgradePath is one upgrade CHT does not support in one step (facts live
// in the schema, cue/upgrades.cue).
type UpgradePath struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Via    string `json:"via"`
	Reason string `json:"reason"`
}

// BlockedUpgrade returns the path that forbids going from -> to directly.
func BlockedUpgrade(paths []UpgradePath, from, to *semver.Version) (*UpgradePath, error) {
	for i := range paths {
		p := &paths[i]
		f, err := semver.NewConstraint(p.From)
		if err != nil {
			return nil, fmt.Errorf("upgrade path from %q: %w", p.From, err)
		}
		t, err := semver.NewConstraint(p.To)
		if err != nil {
			return nil, fmt.Errorf("upgrade path to %q: %w", p.To, err)
		}
		if f.Check(from) && t.Check(to) {
			return p, nil
		}
	}
	return nil, nil
}

// ComposeHealthcheck says which of Medic's compose files run the
// healthcheck service: cht-core.yml on 4.x; on 5.x only the clustered
// CouchDB file, so a 5.x single node runs none.
func (e *Environment) ComposeHealthcheck() (inCoreFile, inCouchDBFile bool) {
	if e.Has(HealthcheckInCoreFile) {
		return true, false
	}
	return false, e.CouchDB.Clustered()
}

// KeepsUlimit reports whether the CouchDB containers get DEFAULT_ULIMIT=true
// (couchdb.ulimit set, on a version whose image reads it).
func (e *Environment) KeepsUlimit() bool {
	return e.CouchDB.Ulimit > 0 && e.Has(DefaultUlimitSwitch)
}

// ComposeLogLevel is COUCHDB_LOG_LEVEL's default in the Compose files: the
// environment's couchdb.logLevel, or, when the file leaves it unset, Medic's
// default of the version (error before 4.3.0, model.InfoLogLevelDefault).
func (e *Environment) ComposeLogLevel() string {
	if !e.CouchDB.LogLevelSet {
		return e.Compose().DefaultLogLevel
	}
	return e.CouchDB.LogLevel
}

// ImageVersion is the CHT version an image of Medic's runs: its tag, <v>
// (Medic's registry, from 4.2.0) or <v>-<v> (before). ok is false for an
// image without such a tag.
func ImageVersion(image string) (version string, ok bool) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", false
	}
	tagged, isTagged := named.(reference.Tagged)
	if !isTagged {
		return "", false
	}
	tag := tagged.Tag()
	if a, b, dup := strings.Cut(tag, "-"); dup && a == b {
		tag = a
	}
	if _, err := ParseVersion(tag); err != nil {
		return "", false
	}
	return tag, true
}
