package scaffold

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/hashicorp/go-retryablehttp"
)

// DefaultReleasesURL is where GitHub serves cht-gen's release assets:
// <base>/v<version>/<asset>.
const DefaultReleasesURL = "https://github.com/" + ActionRepo + "/releases/download"

// Archive is the name of a release archive (GoReleaser's default
// template, see .goreleaser.yaml).
func Archive(version, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("cht-gen_%s_%s_%s%s", version, goos, goarch, ext)
}

// Checksums is the name of a release's checksum file.
func Checksums(version string) string { return fmt.Sprintf("cht-gen_%s_checksums.txt", version) }

// ReleaseChecksum fetches the release's checksum file from base and
// returns the SHA-256 of its linux amd64 archive, the one the workflows
// install.
func ReleaseChecksum(ctx context.Context, base, version string) (string, error) {
	url := strings.TrimRight(base, "/") + "/v" + version + "/" + Checksums(version)
	c := retryablehttp.NewClient()
	c.Logger = nil
	c.RetryMax = 3
	c.RetryWaitMin = 500 * time.Millisecond
	c.HTTPClient.Timeout = 30 * time.Second
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch %s: %s", url, resp.Status)
	}
	want := Archive(version, "linux", "amd64")
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 1<<20))
	for sc.Scan() {
		sum, name, ok := strings.Cut(strings.TrimSpace(sc.Text()), "  ")
		if ok && name == want && sha256RE.MatchString(sum) {
			return sum, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	return "", fmt.Errorf("%s lists no checksum for %s", url, want)
}

// OriginURL is the URL of the "origin" remote of the Git repository
// holding dir, or "" when there is none.
func OriginURL(dir string) (string, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "", nil // not a Git repository: no origin
	}
	remote, err := r.Remote("origin")
	if err != nil {
		return "", nil
	}
	urls := remote.Config().URLs
	if len(urls) == 0 {
		return "", nil
	}
	// A token in the remote (https://user:token@host/...) must not reach
	// Git: Flux and Argo CD take credentials from a Secret.
	if u, err := url.Parse(urls[0]); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.User != nil {
		u.User = nil
		return u.String(), nil
	}
	return urls[0], nil
}

// CurrentBranch is the branch HEAD names in the Git repository holding
// dir (also before the first commit); with a detached HEAD (a checkout of
// a commit or tag) origin's default branch as last fetched; "" outside
// Git or when neither is known.
func CurrentBranch(dir string) string {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return ""
	}
	head, err := r.Storer.Reference(plumbing.HEAD)
	if err == nil && head.Type() == plumbing.SymbolicReference && head.Target().IsBranch() {
		return head.Target().Short()
	}
	originHead, err := r.Storer.Reference(plumbing.NewRemoteHEADReferenceName("origin"))
	if err == nil && originHead.Type() == plumbing.SymbolicReference && originHead.Target().IsRemote() {
		return strings.TrimPrefix(originHead.Target().String(), "refs/remotes/origin/")
	}
	return ""
}
