package main

import "sync"

// writing is held while cht-gen changes files (render's write, bump's
// edits and push, init's scaffold, import's environment files, secrets
// --out): a signal that arrives then waits for it to end, so each file is
// the previous one or the new one, whole. (A kill -9 cannot wait: the
// writer's journal lets the next run finish or undo it.) Outside it
// nothing is half done, and a signal ends cht-gen at once, even in the
// middle of a CUE evaluation or a kustomize build that cannot be
// interrupted. Only whileWriting takes it for a command; main's signal
// handler takes it to wait.
var writing sync.Mutex

// whileWriting runs write holding the writing lock. Every command that
// writes a file goes through it (TestWriteLock_OneHelper checks that no
// other code takes the lock).
func whileWriting(write func() error) error {
	writing.Lock()
	defer writing.Unlock()
	return write()
}
