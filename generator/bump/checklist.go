package bump

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cht-gen/cht-gen/generator/model"
)

// Medic's pages on the 4.x -> 5.x move; the items below are taken from
// them (cht-docs content/en/hosting/cht/migration/), each linking the
// section that says it. checklist_test.go checks every anchor against the
// pages in ../shared/reference.
const (
	Preparing5 = model.Preparing5
	HelmTo5    = "https://docs.communityhealthtoolkit.org/hosting/cht/migration/helm-charts-4x-to-5x-migration/"
)

// checkItem is one thing to do before (or right after) merging a move to
// 5.x. only limits it to one target; empty: every target. {version} in
// text is the version the environments move to.
type checkItem struct {
	only model.Target
	text string
	url  string
}

var to5Checklist = []checkItem{
	{model.Kubernetes, "Stage CHT {version} in the admin app (App Management > Upgrades: only \"Stage\") and wait for staging to finish before merging; do not use \"Upgrade\": it leaves nouveau out and stops replication and sync for offline users",
		Preparing5 + "#upgrade-service-removed-from-kubernetes"},
	{model.Compose, "CouchDB's disk has room: at least 5x the space the data uses now while views re-index, and the nouveau indexes are stored in `<CouchDB data>/nouveau` (`COUCHDB_DATA`; node 1's `DB1_DATA` when clustered)",
		Preparing5 + "#additional-disk-storage-required-for-upgrading"},
	// Medic's 5.x chart mounts the claim's `data` folder at /data/nouveau,
	// whatever CouchDB's own subPath: that folder holds the indexes.
	{model.Kubernetes, "CouchDB's volume has room: at least 5x the space the data uses now while views re-index, and the nouveau indexes are stored in the `data` folder of CouchDB's claim (`couchdb-claim0`; when clustered `couchdb-1-claim0`, and from 5.3.0 each node's own `couchdb-N-claim0`), as Medic's chart mounts it",
		Preparing5 + "#additional-disk-storage-required-for-upgrading"},
	{"", "If the app uses token login: `app_url` is set in app_settings (safe to do on 4.x first)",
		Preparing5 + "#token-login-requires-app_url"},
	{"", "Workflows that set `needs_signoff` use booleans (`false`, not `\"false\"`)",
		Preparing5 + "#ensure-booleans-are-used-with-signoff-fields"},
	{"", "Users' Chrome / Android WebView is 107 or later (check the user-devices API)",
		Preparing5 + "#angular-20-requires-chrome-107-or-later"},
	{"", "App settings recompiled and uploaded with a current CHT Conf (declarative rules)",
		Preparing5 + "#declarative-configuration"},
	{"", "If languages are enabled through the web interface: `languages` is set in app settings",
		Preparing5 + "#enabling-languages-via-generated-docs"},
	{"", "Custom scripts no longer use the removed `medic-client` views `contacts_by_freetext`, `contacts_by_type_freetext` and `reports_by_freetext`",
		Preparing5 + "#couchdb-nouveau"},
	{"", "Users know that offline replication and online search wait for the nouveau indexes after the upgrade (minutes to 24 hours; Fauxton's active tasks show `search_indexer`)",
		Preparing5 + "#temporary-downtime-for-replication-and-online-search-immediately-after-upgrade"},
	{model.Kubernetes, "After the merge: the `nouveau` Service exists (from 5.3.0 on a cluster: one `nouveau-N` per CouchDB node) and the pods run (`kubectl get services -n NAMESPACE | grep nouveau`)",
		HelmTo5 + "#step-3-verify-migration-success"},
}

// ChecklistItem is one item of Medic's 4.x -> 5.x checklist.
type ChecklistItem struct {
	// Environments it concerns: every crossing one, or those of the
	// target it is about (Kubernetes or Compose only).
	Environments []string
	// Partial: it concerns only some of the crossing environments.
	Partial bool
	Text    string
	URL     string // the section of Medic's page that says it
}

// MajorChecklist is Medic's 4.x -> 5.x checklist for targets: the items
// that apply to the targets that cross from 4.x to 5.x; nil when none
// crosses. bump prints it (without --push it is the whole advice, no
// GitHub needed); the pull request body carries it.
func MajorChecklist(targets []Target) []ChecklistItem {
	var crossing []Target
	for _, t := range targets {
		if strings.HasPrefix(t.From, "4.") && strings.HasPrefix(t.To, "5.") {
			crossing = append(crossing, t)
		}
	}
	var out []ChecklistItem
	for _, it := range to5Checklist {
		var envs, versions []string
		for _, t := range crossing {
			if it.only == "" || it.only == t.Platform {
				envs = append(envs, t.Env)
				if !slices.Contains(versions, t.To) {
					versions = append(versions, t.To)
				}
			}
		}
		if len(envs) == 0 {
			continue
		}
		out = append(out, ChecklistItem{Environments: envs, Partial: len(envs) < len(crossing),
			Text: strings.ReplaceAll(it.text, "{version}", strings.Join(versions, " / ")), URL: it.url})
	}
	return out
}

// majorChecklist is the "Moving to CHT 5.x" section of a pull request
// body: MajorChecklist as Markdown tasks, each naming the environments it
// concerns when only some of them do. Empty when none crosses.
func majorChecklist(targets []Target) string {
	items := MajorChecklist(targets)
	if len(items) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("### Moving to CHT 5.x\n\n")
	fmt.Fprintf(&b, "Medic's breaking changes for 5.x that apply to this target, from [Preparing for 5.0](%s).\n\n", Preparing5)
	for _, it := range items {
		scope := ""
		if it.Partial {
			scope = fmt.Sprintf("(%s) ", strings.Join(it.Environments, ", "))
		}
		fmt.Fprintf(&b, "- [ ] %s%s ([Medic](%s))\n", scope, it.Text, it.URL)
	}
	b.WriteString("\n")
	return b.String()
}
