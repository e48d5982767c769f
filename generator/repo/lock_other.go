//go:build !unix

package repo

// lock is a no-op where flock is unavailable.
func lock(string) (func(), error) { return func() {}, nil }
