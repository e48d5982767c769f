package main

import (
	"errors"
	"strings"
	"testing"
)

// --output json masks what the text path masks: the GitHub token and
// passwords inside URLs.
func TestErrorsJSON_MasksSecrets(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghs_sentinelJSON")
	err := errors.Join(errors.New("GitHub said 401 for ghs_sentinelJSON"), errors.New("push https://bob:hunter2@git.example.org/x.git: refused"))
	for _, e := range errorsJSON(err) {
		if strings.Contains(e.Message, "ghs_sentinelJSON") || strings.Contains(e.Message, "hunter2") {
			t.Errorf("secret in a JSON error: %q", e.Message)
		}
	}
	if n := len(errorsJSON(err)); n != 2 {
		t.Errorf("%d errors, want 2", n)
	}
}
