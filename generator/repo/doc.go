// Package repo writes a rendered files.Set into an output directory safely:
// all or nothing (a temporary directory beside it, swapped in on success),
// unchanged files untouched, files cht-gen no longer renders removed, files
// it never owned kept. It also compares a Set with a directory (--check).
// It imports files only from generator/.
package repo
