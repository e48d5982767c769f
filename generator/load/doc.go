// Package load turns an environments directory (CUE files of package
// environments) into typed model.Environments, unified with the schema
// embedded from cue/. Every error carries the user's file, line and column
// and the field path. It must not import renderers, repo or github code.
package load
