package redact_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/cht-gen/cht-gen/internal/redact"
)

func TestError(t *testing.T) {
	base := &fs.PathError{Op: "open", Path: "https://x-access-token:tok123@github.com/a/b", Err: fs.ErrNotExist}
	err := redact.Error(fmt.Errorf("clone: %w", base), "tok123", "")
	if got, want := err.Error(), "clone: open https://x-access-token:***@github.com/a/b: file does not exist"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// The chain is kept: callers still find what went wrong.
	var pe *fs.PathError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("chain lost: %v", err)
	}
	// Wrapping the masked error keeps it masked.
	if got := fmt.Errorf("bump: %w", err).Error(); got != "bump: "+err.Error() {
		t.Errorf("wrapped: %q", got)
	}
	plain := errors.New("no secret here")
	if redact.Error(plain, "tok123") != plain || redact.Error(nil, "x") != nil {
		t.Error("an error without the secret must come back as is")
	}
	if got := redact.String("a tok b tok", "tok", ""); got != "a *** b ***" {
		t.Errorf("String: %q", got)
	}
}

// A remote URL may carry its own credentials, which the caller does not
// know: their password is masked too, the user name and host kept.
func TestString_MasksPasswordsInURLs(t *testing.T) {
	for in, want := range map[string]string{
		`cannot tell the GitHub repository from remote URL "https://bob:hunter2@git.example.org/x.git"`: `cannot tell the GitHub repository from remote URL "https://bob:***@git.example.org/x.git"`,
		"push ssh://git:s3cret@host/repo: refused":                                                      "push ssh://git:***@host/repo: refused",
		"https://github.com/moh/cht-hosting":                                                            "https://github.com/moh/cht-hosting",
		`Get "https://ghp_tok3n@github.com/moh/x.git/info/refs": dial tcp`:                              `Get "https://***@github.com/moh/x.git/info/refs": dial tcp`,
		"HTTP://ghp_tok3n@host/x":                                                                       "HTTP://***@host/x",
		"git@github.com:moh/cht-hosting.git":                                                            "git@github.com:moh/cht-hosting.git",
	} {
		if got := redact.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}
