package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Exit 2 is for command lines cht-gen refuses, found by type; an error
// that merely says "invalid argument" (as the OS does) is not one.
func TestCLI_UsageErrorsByType(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "invalid argument")
	for _, tc := range []struct {
		args  []string
		code  int
		usage bool
	}{
		{[]string{"no-such-command"}, 2, true},
		{[]string{"validate", "--no-such-flag"}, 2, true},
		{[]string{"secrets"}, 2, true}, // wrong number of arguments
		{[]string{"releases", "--channel", "nightly"}, 2, true},
		{[]string{"validate", "--environments", missing}, 1, false},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != tc.code || strings.Contains(errs, "--help' for usage") != tc.usage {
			t.Errorf("%q: exit %d, want %d (usage hint %v):\n%s", tc.args, code, tc.code, tc.usage, errs)
		}
	}
}
