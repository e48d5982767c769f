package github_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/github"
)

// TestListing_Warnings: a list of cht-gen's own says why and up to which
// release; releases newer than cht-gen knows are named; GitHub's list of
// known releases says nothing.
func TestListing_Warnings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		l      github.Listing
		source string
		want   []string // one substring per warning
	}{
		{"github", github.Listing{}, "github", nil},
		{"offline", github.Listing{Offline: errors.New("dial tcp: refused")}, "cht-gen", []string{"could not be read (dial tcp: refused): using the releases this cht-gen knows"}},
		{"unknown", github.Listing{Unknown: []string{"9.0.0", "8.1.0"}}, "github", []string{"GitHub lists 9.0.0, 8.1.0, newer than every release"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.l.Warnings()
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %q, want %q in it", got[i], w)
				}
			}
			if s := tc.l.Source(); s != tc.source {
				t.Errorf("source %s, want %s", s, tc.source)
			}
		})
	}
}
