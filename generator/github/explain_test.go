package github

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	gh "github.com/google/go-github/v60/github"
)

// An explained error says what to fix, never shows the token, and keeps
// GitHub's error in the chain for callers that need its status.
func TestExplainKeepsChainMasksToken(t *testing.T) {
	c := &Client{token: "ghs_secret42"}
	resp := &http.Response{StatusCode: http.StatusForbidden, Request: &http.Request{Method: "GET"}}
	ge := &gh.ErrorResponse{Response: resp, Message: "token ghs_secret42 lacks scope"}
	err := c.explain("open pull request", ge)
	if msg := err.Error(); strings.Contains(msg, "ghs_secret42") || !strings.Contains(msg, "open pull request: GitHub forbids it (403: token *** lacks scope)") {
		t.Errorf("message %q", msg)
	}
	var got *gh.ErrorResponse
	if !errors.As(err, &got) || got != ge {
		t.Errorf("GitHub's error is not in the chain of %v", err)
	}
}
