// Package fakegithub is an httptest GitHub implementing the few REST
// endpoints cht-gen uses, checking each request the way GitHub documents
// it (method, path, auth, API version header, JSON body fields).
package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Release is a release the fake lists for medic/cht-core.
type Release struct {
	Tag        string
	Prerelease bool
	Draft      bool
	Published  time.Time // published_at, left out when zero
}

// PR is a pull request the fake holds. State is "open" or "closed"; a
// test closes one (as a reviewer would) with Close.
type PR struct {
	Number      int
	Title, Body string
	Head, Base  string
	Labels      []string
	State       string
	Merged      bool
}

// Server is the fake. Fail queues statuses returned before serving a path
// ("METHOD /path"); 403 is sent as a secondary rate limit with Retry-After.
type Server struct {
	*httptest.Server
	T        testing.TB
	Token    string
	Releases []Release
	PerPage  int // releases per page, to exercise pagination
	// Repos are the repositories the token sees ("owner/name") and its
	// permissions there (GitHub reports them to user tokens, not to
	// installation tokens: nil). A nil map: every repository exists.
	Repos map[string]map[string]bool

	mu       sync.Mutex
	PRs      []*PR
	Requests []string // "METHOD /path?query"
	Fail     map[string][]int
	// FailAfter queues statuses returned after serving a path: GitHub did
	// the work (opened the pull request) but the answer was lost (a 502
	// from its front end, a timeout), so a retry meets the result.
	FailAfter map[string][]int
}

// New starts a fake expecting token (empty: unauthenticated).
func New(t testing.TB, token string) *Server {
	s := &Server{T: t, Token: token, Fail: map[string][]int{}, FailAfter: map[string][]int{}, PerPage: 2}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

var (
	releasesPath = regexp.MustCompile(`^/repos/medic/cht-core/releases$`)
	repoPath     = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)$`)
	pullsPath    = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls$`)
	pullPath     = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls/([0-9]+)$`)
	labelsPath   = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/([0-9]+)/labels$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := r.Method + " " + r.URL.Path
	s.Requests = append(s.Requests, key+"?"+r.URL.RawQuery)
	if q := s.FailAfter[key]; len(q) > 0 {
		s.FailAfter[key] = q[1:]
		s.handle(httptest.NewRecorder(), r, key)
		http.Error(w, `{"message":"Server Error"}`, q[0])
		return
	}
	s.handle(w, r, key)
}

// handle serves one request, after the failures queued for it.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, key string) {
	if q := s.Fail[key]; len(q) > 0 {
		s.Fail[key] = q[1:]
		if q[0] == http.StatusForbidden {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`, q[0])
			return
		}
		http.Error(w, `{"message":"Server Error"}`, q[0])
		return
	}
	// Headers GitHub's REST documentation asks for.
	if v := r.Header.Get("X-GitHub-Api-Version"); v != "2022-11-28" {
		s.T.Errorf("%s: X-GitHub-Api-Version %q", key, v)
	}
	if a := r.Header.Get("Accept"); !strings.Contains(a, "application/vnd.github") {
		s.T.Errorf("%s: Accept %q", key, a)
	}
	auth := r.Header.Get("Authorization")
	if s.Token != "" && auth != "Bearer "+s.Token {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`)
		return
	}
	switch {
	case r.Method == http.MethodGet && releasesPath.MatchString(r.URL.Path):
		s.listReleases(w, r)
	case r.Method == http.MethodGet && repoPath.MatchString(r.URL.Path):
		m := repoPath.FindStringSubmatch(r.URL.Path)
		perms, ok := s.Repos[m[1]+"/"+m[2]]
		if s.Repos != nil && !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		out := map[string]any{"name": m[2], "full_name": m[1] + "/" + m[2], "default_branch": "main"}
		if perms != nil {
			out["permissions"] = perms
		}
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodGet && pullsPath.MatchString(r.URL.Path):
		m := pullsPath.FindStringSubmatch(r.URL.Path)
		q := r.URL.Query()
		state := q.Get("state")
		if (state != "open" && state != "closed" && state != "all") || !strings.HasPrefix(q.Get("head"), m[1]+":") {
			s.T.Errorf("%s: list pulls query %q: want state=open|closed|all and head=owner:branch", key, r.URL.RawQuery)
		}
		var out []map[string]any
		for i := len(s.PRs) - 1; i >= 0; i-- { // newest first, as GitHub sorts by default
			p := s.PRs[i]
			if m[1]+":"+p.Head == q.Get("head") && (q.Get("base") == "" || q.Get("base") == p.Base) && (state == "all" || state == p.State) {
				out = append(out, s.json(m[1], m[2], p))
			}
		}
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodPost && pullsPath.MatchString(r.URL.Path):
		m := pullsPath.FindStringSubmatch(r.URL.Path)
		var body struct {
			Title, Head, Base, Body string
			MaintainerCanModify     *bool `json:"maintainer_can_modify"`
			Draft                   *bool `json:"draft"`
		}
		if !s.decode(w, r, &body) {
			return
		}
		if body.Title == "" || body.Head == "" || body.Base == "" {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"field": "head", "code": "missing_field"}}})
			return
		}
		for _, p := range s.PRs {
			if p.State == "open" && p.Head == body.Head && p.Base == body.Base {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"message": "A pull request already exists for " + m[1] + ":" + body.Head + "."}}})
				return
			}
		}
		p := &PR{Number: len(s.PRs) + 1, Title: body.Title, Body: body.Body, Head: body.Head, Base: body.Base, State: "open"}
		s.PRs = append(s.PRs, p)
		writeJSON(w, http.StatusCreated, s.json(m[1], m[2], p))
	case r.Method == http.MethodPatch && pullPath.MatchString(r.URL.Path):
		m := pullPath.FindStringSubmatch(r.URL.Path)
		p := s.pr(m[3])
		if p == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
		var body struct {
			Title, Body, State, Base string
			MaintainerCanModify      *bool `json:"maintainer_can_modify"`
		}
		if !s.decode(w, r, &body) {
			return
		}
		p.Title, p.Body = body.Title, body.Body
		if body.State != "" {
			p.State = body.State
		}
		writeJSON(w, http.StatusOK, s.json(m[1], m[2], p))
	case r.Method == http.MethodPost && labelsPath.MatchString(r.URL.Path):
		m := labelsPath.FindStringSubmatch(r.URL.Path)
		p := s.pr(m[3])
		// GitHub takes {"labels": [...]} or a bare array of names.
		var raw json.RawMessage
		if !s.decode(w, r, &raw) || p == nil {
			return
		}
		var labels []string
		if err := json.Unmarshal(raw, &labels); err != nil {
			var body struct{ Labels []string }
			if err := json.Unmarshal(raw, &body); err != nil {
				s.T.Errorf("labels body %s", raw)
			}
			labels = body.Labels
		}
		p.Labels = append(p.Labels, labels...)
		var out []map[string]string
		for _, l := range p.Labels {
			out = append(out, map[string]string{"name": l})
		}
		writeJSON(w, http.StatusOK, out)
	default:
		s.T.Errorf("unexpected request %s", key)
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page == 0 {
		page = 1
	}
	start, end := (page-1)*s.PerPage, page*s.PerPage
	if end > len(s.Releases) {
		end = len(s.Releases)
	}
	var out []map[string]any
	for _, rel := range s.Releases[min(start, len(s.Releases)):end] {
		r := map[string]any{"tag_name": rel.Tag, "prerelease": rel.Prerelease, "draft": rel.Draft,
			"html_url": s.URL + "/medic/cht-core/releases/tag/" + rel.Tag}
		if !rel.Published.IsZero() {
			r["published_at"] = rel.Published.UTC().Format(time.RFC3339)
		}
		out = append(out, r)
	}
	if end < len(s.Releases) {
		w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d>; rel="next"`, s.URL, r.URL.Path, page+1))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) pr(n string) *PR {
	i, _ := strconv.Atoi(n)
	if i < 1 || i > len(s.PRs) {
		return nil
	}
	return s.PRs[i-1]
}

func (s *Server) json(owner, repo string, p *PR) map[string]any {
	out := map[string]any{"number": p.Number, "title": p.Title, "body": p.Body, "state": p.State,
		"html_url": fmt.Sprintf("%s/%s/%s/pull/%d", s.URL, owner, repo, p.Number),
		"head":     map[string]any{"ref": p.Head}, "base": map[string]any{"ref": p.Base}}
	if p.State == "closed" {
		out["closed_at"] = "2026-11-20T10:00:00Z"
		if p.Merged {
			out["merged_at"] = "2026-11-20T10:00:00Z"
		}
	}
	return out
}

// ClosePR closes pull request n as a reviewer would (merged: as a merge).
func (s *Server) ClosePR(n int, merged bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.PRs[n-1]
	p.State, p.Merged = "closed", merged
}

// decode reads a JSON body, refusing fields GitHub's endpoint does not take.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		s.T.Errorf("%s %s: Content-Type %q", r.Method, r.URL.Path, ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.T.Errorf("%s %s: body: %v", r.Method, r.URL.Path, err)
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Count returns how many requests matched prefix ("POST /repos/").
func (s *Server) Count(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.Requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}
