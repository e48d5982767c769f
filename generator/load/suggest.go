package load

import (
	"fmt"
	"regexp"
	"strings"

	"cuelang.org/go/cue"
)

// secretName matches field names that would hold credentials.
var secretName = regexp.MustCompile(`(?i)pass(word|wd)?|secret|token|uuid|credential|apikey|api_key`)

// withSuggestions adds to each "field not allowed" what the host most
// likely meant: the nearest field the schema allows at that place (a
// typo), or, for a field named like a credential, where credentials live.
// v is the schema unified with the user's files.
func withSuggestions(v cue.Value, diags []Diagnostic) []Diagnostic {
	for i, d := range diags {
		if !strings.HasSuffix(d.Message, "field not allowed") {
			continue
		}
		parts := splitPath(d.Path)
		field := strings.Trim(parts[len(parts)-1], `"`)
		if secretName.MatchString(field) {
			diags[i].Message += ": secrets never live in environment files (they are committed to Git); " +
				"cht-gen secrets ENV makes them, to keep outside the repository (a running instance keeps the ones it has)"
			continue
		}
		parent := v
		if len(parts) > 1 {
			parent = v.LookupPath(cue.ParsePath(strings.Join(parts[:len(parts)-1], ".")))
		}
		if near := nearest(field, allowedFields(parent, field)); near != "" {
			diags[i].Message += fmt.Sprintf(" (did you mean %q?)", near)
		}
	}
	return diags
}

// allowedFields is the regular and optional field names of v but bad.
func allowedFields(v cue.Value, bad string) []string {
	iter, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var out []string
	for iter.Next() {
		if name := iter.Selector().Unquoted(); name != bad && !strings.HasPrefix(name, "_") {
			out = append(out, name)
		}
	}
	return out
}

// nearest is the candidate closest to typo by edit distance, ignoring
// case, when it is close enough to be a typo: at most a third of the
// word's letters (and at least one) differ.
func nearest(typo string, candidates []string) string {
	best, bestDist := "", max(1, len(typo)/3)+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(typo), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
