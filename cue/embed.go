// Package schema embeds the CUE schema of cht-gen environments so that the
// binary works outside this repository. Only generator/load compiles it.
package schema

import "embed"

// Files holds every *.cue file of the schema package (not cue.mod).
//
//go:embed *.cue
var Files embed.FS
