// Package generator is cht-gen's entry point: it renders every loaded
// environment with its target's renderer, checks the result with the real
// loaders (compose-go, krusty), and returns one files.Set. It never writes
// to disk (generator/repo does) and never talks to Git or GitHub.
package generator
