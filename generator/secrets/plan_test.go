package secrets_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/secrets"
)

// TestPlan: the result holds the credentials and, when the environment
// takes its Secret from elsewhere, the note that says where; a running
// instance is refused with a *RunningError and nothing made.
func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		opts      secrets.Options
		note      string // in Result.Note; "" wants none
		running   bool
	}{
		{name: "vm", src: `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org"}`},
		{name: "k8s", src: `environments: k8s: {target: "kubernetes", version: "4.22.0", host: "k.example.org", cluster: "c"}`},
		{name: "sops", src: `environments: sops: {target: "kubernetes", version: "4.22.0", host: "s.example.org", cluster: "c", gitops: "flux", credentials: sopsFile: "secrets/sops.enc.yaml"}`,
			note: "takes its Secret from credentials.sopsFile secrets/sops.enc.yaml"},
		{name: "sops", src: `environments: sops: {target: "kubernetes", version: "4.22.0", host: "s.example.org", cluster: "c", gitops: "flux", credentials: sopsFile: "secrets/sops.enc.yaml"}`,
			opts: secrets.Options{SecretOnly: true}},
		{name: "vm", src: `environments: vm: {target: "compose", version: "4.22.0", host: "vm.example.org", existing: true}`, running: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := loadEnv(t, tc.name, tc.src)
			r, err := secrets.Plan(e, tc.opts)
			var running *secrets.RunningError
			if tc.running {
				if !errors.As(err, &running) || r != nil {
					t.Fatalf("Plan: %v, %+v; want a *RunningError and no result", err, r)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if r.Env != tc.name || !strings.Contains(string(r.Body), "COUCHDB_PASSWORD") {
				t.Errorf("result for %s without credentials:\n%s", r.Env, r.Body)
			}
			if (tc.note == "") != (r.Note == "") || !strings.Contains(r.Note, tc.note) {
				t.Errorf("note %q, want %q", r.Note, tc.note)
			}
		})
	}
}
