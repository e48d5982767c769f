// Package release holds no code: its tests check the release machinery at
// the repository root (.goreleaser.yaml, action.yml and its install
// script, .github/workflows/release.yml) against what `cht-gen init`
// writes and expects.
package release
