package bump

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/diff"
	"github.com/cht-gen/cht-gen/generator/model"
	"github.com/cht-gen/cht-gen/internal/reference"
)

// anchor is the id Hugo (GitHub style) gives a heading.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestChecklistLinksMedicsSections checks every item's link against the
// headings of Medic's pages in the reference (cht-docs/): an item names a
// section that exists, on the page it came from.
func TestChecklistLinksMedicsSections(t *testing.T) {
	dir := reference.Path(t, "cht", "cht-docs")
	pages := map[string]string{Preparing5: "migration-preparing-for-5.md", HelmTo5: "migration-helm-charts-4x-to-5x-migration.md"}
	anchors := map[string]bool{}
	for url, name := range pages {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if h, ok := strings.CutPrefix(sc.Text(), "#"); ok {
				anchors[url+"#"+anchor(strings.TrimLeft(h, "#"))] = true
			}
		}
		f.Close()
	}
	if !anchors[Preparing5+"#cht-40---44-upgrade-to-cht-45-first"] {
		t.Fatalf("anchor() does not reproduce Hugo's ids: %v", anchors)
	}
	for _, it := range to5Checklist {
		if !anchors[it.url] {
			t.Errorf("%q links %s: no such section in Medic's page", it.text, it.url)
		}
	}
}

func TestBodyChecklistOnlyWhatApplies(t *testing.T) {
	k8s := Target{Env: "prod", From: "4.22.0", To: "5.2.0", Platform: model.Kubernetes}
	vm := Target{Env: "vm1", From: "4.21.1", To: "5.2.0", Platform: model.Compose}
	changes := []diff.Change{{Name: "prod", Summary: "+ nouveau (Deployment cht-couchdb-nouveau, Service nouveau); - upgrade-service (Deployment upgrade-service)"}}
	stage := "Stage CHT 5.2.0 in the admin app"
	common := []string{"### Moving to CHT 5.x", "at least 5x the space", "`app_url`", "`needs_signoff` use booleans", "Chrome / Android WebView is 107",
		"(" + Preparing5 + "#token-login-requires-app_url)"}
	for _, tc := range []struct {
		name    string
		targets []Target
		want    []string
		not     []string
	}{
		{"kubernetes", []Target{k8s}, append([]string{"- [ ] " + stage, "#upgrade-service-removed-from-kubernetes", "`nouveau` Service exists",
			"**prod**: CHT 4.22.0 → 5.2.0", "prod: + nouveau (Deployment cht-couchdb-nouveau, Service nouveau)"}, common...), nil},
		{"compose", []Target{vm}, common, []string{stage, "kubectl"}},
		{"both: the Kubernetes items name their environment", []Target{k8s, vm}, append([]string{"- [ ] (prod) " + stage, "- [ ] (vm1) CouchDB's disk has room", "- [ ] (prod) CouchDB's volume has room"}, common...), []string{"(vm1) Stage", "(vm1) After the merge"}},
		{"within 4.x", []Target{{Env: "prod", From: "4.21.1", To: "4.22.0", Platform: model.Kubernetes}}, []string{"### Before merging"}, []string{"Moving to CHT 5.x", stage}},
		{"within 5.x", []Target{{Env: "prod", From: "5.0.0", To: "5.2.0", Platform: model.Kubernetes}}, nil, []string{"Moving to CHT 5.x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := Body("", tc.targets, changes)
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(body, w) {
					t.Errorf("body has %q:\n%s", w, body)
				}
			}
			// Every item of the 5.x section links Medic's page.
			if i := strings.Index(body, "### Moving to CHT 5.x"); i >= 0 {
				section := body[i:strings.Index(body, "### Before merging")]
				items := regexp.MustCompile(`(?m)^- \[ \] .*$`).FindAllString(section, -1)
				if len(items) < 8 {
					t.Errorf("%d items", len(items))
				}
				for _, line := range items {
					if !strings.Contains(line, "([Medic](https://docs.communityhealthtoolkit.org/hosting/cht/migration/") {
						t.Errorf("item without Medic's link: %s", line)
					}
				}
			}
		})
	}
}

func TestBodySaysWhenAnEnvironmentIsSuspended(t *testing.T) {
	e := model.Environment{Name: "prod", Target: model.Kubernetes, GitOps: "flux", Namespace: "cht-prod", Suspended: true}
	parked := Target{Env: "prod", From: "5.1.0", To: "5.2.0", Platform: model.Kubernetes, Suspended: e.SuspendedNote()}
	if body := Body("", []Target{parked}, nil); !strings.Contains(body, "spec.suspend: true") || !strings.Contains(body, "merging changes Git only") {
		t.Errorf("body of a suspended environment does not say so:\n%s", body)
	}
	running := Target{Env: "uat", From: "5.1.0", To: "5.2.0", Platform: model.Kubernetes}
	if body := Body("", []Target{running}, nil); strings.Contains(body, "suspend") {
		t.Errorf("body of a running environment mentions suspension:\n%s", body)
	}
}

// Where the nouveau indexes go differs by target, as Medic's files say:
// Compose ${COUCHDB_DATA}/nouveau, Kubernetes the claim's `data` folder
// (the 5.x chart's nouveau mount). Each move's checklist names its own.
func TestChecklistNouveauDataWhereMedicPutsIt(t *testing.T) {
	ref := reference.Path(t, "cht", "cht-core", "5.2.0")
	chart, err := os.ReadFile(filepath.Join(ref, "scripts", "build", "helm", "templates", "couchdb", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	single, err := os.ReadFile(filepath.Join(ref, "rendered-docker-compose", "cht-couchdb.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`mountPath: /data/nouveau\s+name: couchdb-claim0\s+subPath: data\b`).Match(chart) {
		t.Fatal("Medic's chart no longer mounts the claim's data folder at /data/nouveau: review the Kubernetes item")
	}
	if !strings.Contains(string(single), "${COUCHDB_DATA:-./srv}/nouveau:/data/nouveau") {
		t.Fatal("Medic's Compose file no longer keeps nouveau in ${COUCHDB_DATA}/nouveau: review the Compose item")
	}
	k8s := Body("", []Target{{Env: "prod", From: "4.22.0", To: "5.2.0", Platform: model.Kubernetes}}, nil)
	vm := Body("", []Target{{Env: "vm", From: "4.22.0", To: "5.2.0", Platform: model.Compose}}, nil)
	if !strings.Contains(k8s, "`data` folder of CouchDB's claim") || strings.Contains(k8s, "<CouchDB data>/nouveau") {
		t.Errorf("Kubernetes checklist does not say the indexes are in the claim's data folder:\n%s", k8s)
	}
	if !strings.Contains(vm, "`<CouchDB data>/nouveau` (`COUCHDB_DATA`") || strings.Contains(vm, "claim") {
		t.Errorf("Compose checklist does not say ${COUCHDB_DATA}/nouveau:\n%s", vm)
	}
}

// 5.2 -> 5.3 on a Kubernetes cluster: the body says what appears on every
// node and where its indexes live; not for a single node, Compose, or a
// move within 5.3.
func TestBodyNouveauPerNode(t *testing.T) {
	const section = "### A nouveau per CouchDB node (CHT 5.3)"
	for _, tc := range []struct {
		target Target
		want   bool
	}{
		{Target{Env: "prod", From: "5.2.0", To: "5.3.1", Platform: model.Kubernetes, CouchDBNodes: 3}, true},
		{Target{Env: "prod", From: "4.22.0", To: "5.3.0", Platform: model.Kubernetes, CouchDBNodes: 5}, true},
		{Target{Env: "prod", From: "5.2.0", To: "5.3.0", Platform: model.Kubernetes, CouchDBNodes: 1}, false},
		{Target{Env: "vm", From: "5.2.0", To: "5.3.0", Platform: model.Compose, CouchDBNodes: 3}, false},
		{Target{Env: "prod", From: "5.3.0", To: "5.3.1", Platform: model.Kubernetes, CouchDBNodes: 3}, false},
	} {
		body := Body("", []Target{tc.target}, nil)
		if got := strings.Contains(body, section); got != tc.want {
			t.Errorf("%+v: section %v, want %v:\n%s", tc.target, got, tc.want, body)
		}
		if tc.want {
			last := fmt.Sprintf("`couchdb-%d-claim0`", tc.target.CouchDBNodes)
			for _, w := range []string{"**prod**", "`nouveau-N`", "`NOUVEAU_URL=http://nouveau-N:5987`", last, "room on every node's volume"} {
				if !strings.Contains(body, w) {
					t.Errorf("%+v: body lacks %q", tc.target, w)
				}
			}
		}
	}
}
