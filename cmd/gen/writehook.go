package main

// writeHook is the writer's failure-injection hook (repo.Options.Hook).
// It is nil in cht-gen; the tests build a binary with the
// chtgen_writehook tag (writehook_kill.go) that kills itself at a chosen
// write step.
var writeHook func(step int, what string) error
