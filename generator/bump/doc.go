// Package bump moves environments to another CHT version as a reviewed
// change: it edits `version` in the environment files (through CUE's syntax
// tree), re-renders, and either leaves the change in the work tree or
// commits it on a branch of a temporary clone, pushes, and opens or updates
// the pull request. The user's work tree is never touched by --push.
package bump
