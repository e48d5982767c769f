// Package repo writes a rendered files.Set into an output directory safely
// and compares a Set with a directory (--check).
//
// The writer changes only the files cht-gen owns (those listed in the
// manifest, .cht-gen-manifest) and never moves, copies, re-creates or
// deletes anything else: not foreign files, not folders, not mount points.
// Each owned file is replaced on its own (temporary file in the same
// folder, fsync, rename), unchanged files are not touched, and the
// manifest doubles as a journal so that after a crash each owned file is
// entirely old or entirely new and the next run finishes or rolls back the
// interrupted write (journal.go). Every path is resolved through an
// os.Root, so no symbolic link leads a write out of the output directory.
// It imports files only from generator/.
package repo
