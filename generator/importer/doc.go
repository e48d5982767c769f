// Package importer turns what hosts run today into cht-gen environments:
// Helm values files of Medic's charts (cht-chart-4x, the 5.x chart) in,
// formatted CUE environment files and notes on what could not be expressed
// out. It writes through cuelang.org/go's AST and formatter, never by
// pasting strings, and validates the result with load before writing.
//
// It must not import the renderers, repo, github or bump.
package importer
