// Package bump moves environments to another CHT version as a reviewed
// change: it edits `version` in the environment files (generator/cueedit,
// through CUE's syntax tree), re-renders, and either leaves the change in
// the work tree or commits it on a branch of a temporary clone of the base branch, pushes,
// and opens or updates the pull request. What is checked (policy.go: major
// lines, upgrade paths, downgrades) and described is the version on the
// tree being changed; the user's work tree is never touched by --push.
// A move from 4.x to 5.x carries Medic's checklist (checklist.go).
//
// Git and GitHub are interfaces (push.go) that cmd/gen wires to
// generator/repo and generator/github: bump imports neither go-git nor
// go-github, and its push logic is tested with fakes.
package bump
