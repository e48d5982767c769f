// Package scaffold holds what `cht-gen init` writes into a new hosting
// repository: example environments, gitops.cue, GitHub workflows that
// install a pinned cht-gen release through its action, .gitignore and a
// README for the hosting team. It renders them from embedded templates with
// validated values only, and applies them without replacing anything that
// differs unless asked. README.md, .gitignore and the examples are the
// repository owner's once they exist: written only when absent, never
// replaced.
//
// It must not import the renderers, repo, github or bump.
package scaffold
