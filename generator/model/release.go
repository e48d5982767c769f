package model

import "time"

// CHT Core's repository on GitHub, where its releases are published.
const (
	CoreOwner = "medic"
	CoreRepo  = "cht-core"
)

// Release is one CHT Core release of a line cht-gen renders (4.x, 5.x).
// It is plain data so that version policy (bump) can decide on releases
// without the GitHub client that lists them.
type Release struct {
	Version    string
	Tag        string    // the Git tag it was published from (e.g. 4.22.0)
	Prerelease bool      // GitHub's flag or a pre-release version (5.1.0-beta.1)
	URL        string    // release notes
	Published  time.Time // when GitHub published it; zero when unknown
}
