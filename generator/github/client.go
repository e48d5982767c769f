// Package github is cht-gen's use of the GitHub REST API through go-github:
// CHT Core releases, and the pull request a bump opens or updates.
// Transient failures (5xx, 429, secondary rate limits with Retry-After) are
// retried by go-retryablehttp; permanent ones come back with what to fix.
package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/cht-gen/cht-gen/internal/redact"
)

// Options configure a Client. Zero values are GitHub Actions' defaults.
type Options struct {
	APIURL string // GITHUB_API_URL; https://api.github.com/ when empty
	Token  string // GITHUB_TOKEN; unauthenticated when empty
	// Retry waits; tests shorten them.
	RetryWaitMin, RetryWaitMax time.Duration
	RetryMax                   int
}

// Client talks to one GitHub (github.com or Enterprise).
type Client struct {
	gh    *gh.Client
	token string
}

// New returns a client with a retrying transport.
func New(o Options) (*Client, error) {
	rc := retryablehttp.NewClient()
	rc.Logger = nil
	rc.RetryMax = 4
	if o.RetryMax > 0 {
		rc.RetryMax = o.RetryMax
	}
	rc.RetryWaitMin, rc.RetryWaitMax = time.Second, 30*time.Second
	if o.RetryWaitMin > 0 {
		rc.RetryWaitMin = o.RetryWaitMin
	}
	if o.RetryWaitMax > 0 {
		rc.RetryWaitMax = o.RetryWaitMax
	}
	rc.CheckRetry = checkRetry
	rc.Backoff = backoff
	// After the last retry, hand GitHub's answer to go-github, which turns
	// it into a typed error, instead of retryablehttp's generic one.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c := gh.NewClient(rc.StandardClient())
	if o.Token != "" {
		c = c.WithAuthToken(o.Token)
	}
	if o.APIURL != "" {
		u, err := url.Parse(strings.TrimSuffix(o.APIURL, "/") + "/")
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("GITHUB_API_URL %q is not a URL like https://github.example.org/api/v3", o.APIURL)
		}
		c.BaseURL = u
	}
	return &Client{gh: c, token: o.Token}, nil
}

// secondaryLimit is how GitHub words a secondary rate limit (403 or 429).
func secondaryLimit(resp *http.Response) bool {
	if resp.Header.Get("Retry-After") != "" {
		return true
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		return false // primary limit: waiting until reset is up to the user
	}
	if resp.Body == nil {
		return false
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body = io.NopCloser(io.MultiReader(strings.NewReader(string(b)), resp.Body))
	return strings.Contains(strings.ToLower(string(b)), "secondary rate limit")
}

// noDialRetry marks a request whose caller has an answer of its own when
// GitHub cannot be reached (ReleasesOrKnown): a failed connection is final.
type noDialRetry struct{}

// unreachable reports whether err is a connection that could not be made
// (no route, refused, name not resolved): no answer from GitHub at all.
func unreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial"
}

func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err != nil && ctx.Value(noDialRetry{}) != nil && unreachable(err) {
		return false, nil
	}
	if resp != nil && resp.StatusCode == http.StatusForbidden {
		return secondaryLimit(resp), nil
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// backoff honours Retry-After (seconds) on any status, else exponential.
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			d := time.Duration(s) * time.Second
			if d > max {
				d = max
			}
			if d < min {
				d = min
			}
			return d
		}
	}
	return retryablehttp.DefaultBackoff(min, max, attempt, resp)
}

// explain turns a GitHub error into what to fix, without the token.
func (c *Client) explain(what string, err error) error {
	if err == nil {
		return nil
	}
	var ge *gh.ErrorResponse
	msg := err.Error()
	if errors.As(err, &ge) && ge.Response != nil {
		switch ge.Response.StatusCode {
		case http.StatusUnauthorized:
			msg = "GitHub refused the credentials (401): set GITHUB_TOKEN to a valid token"
		case http.StatusForbidden:
			msg = fmt.Sprintf("GitHub forbids it (403: %s): the token needs contents and pull-requests write access", ge.Message)
		case http.StatusNotFound:
			msg = "not found (404): check the repository name, and that the token can see it"
		case http.StatusUnprocessableEntity:
			msg = fmt.Sprintf("GitHub rejected the request (422: %s)", validation(ge))
		default:
			msg = fmt.Sprintf("GitHub answered %d: %s", ge.Response.StatusCode, ge.Message)
		}
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		msg = fmt.Sprintf("GitHub API rate limit exhausted until %s: set GITHUB_TOKEN for a higher limit", rl.Rate.Reset.Format(time.RFC3339))
	}
	return redact.Error(&explained{msg: what + ": " + msg, err: err}, c.token)
}

// explained is an error said in terms of what to fix; the error GitHub
// returned stays in the chain (errors.As finds a *gh.ErrorResponse).
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

func validation(e *gh.ErrorResponse) string {
	parts := []string{e.Message}
	for _, x := range e.Errors {
		if x.Message != "" {
			parts = append(parts, x.Message)
		} else {
			parts = append(parts, x.Field+" "+x.Code)
		}
	}
	return strings.Join(parts, "; ")
}
