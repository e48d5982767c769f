package bump

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/cht-gen/cht-gen/generator/diff"
	"github.com/cht-gen/cht-gen/generator/model"
)

// maxTopic bounds a branch topic: Git keeps a branch as a file, whose
// name may not pass 255 bytes, and a fleet bumped together (46
// environments) would far exceed it.
const maxTopic = 100

// Topic is the default branch topic of a bump of targets: their names and
// versions, or, past maxTopic, their count and a digest of them (the same
// targets always give the same branch, so re-runs find it).
func Topic(targets []Target) string {
	var parts []string
	for _, t := range targets {
		parts = append(parts, t.Env+"-"+t.To)
	}
	topic := "bump-" + strings.Join(parts, "-")
	if len(topic) <= maxTopic {
		return topic
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return fmt.Sprintf("bump-%d-environments-%s-%x", len(targets), sameVersion(targets), sum[:6])
}

// sameVersion is the version all targets move to, or "mixed".
func sameVersion(targets []Target) string {
	for _, t := range targets {
		if t.To != targets[0].To {
			return "mixed"
		}
	}
	return targets[0].To
}

// maxTitle keeps a pull request title readable (and within GitHub's
// limit); the body lists every environment.
const maxTitle = 120

// BranchName is the branch a proposal against base commits on: bumps of
// the same environments against two base branches never share one.
func BranchName(base, topic string) string {
	return "cht-gen/" + base + "/" + topic
}

// Title is the pull request title for targets.
func Title(targets []Target) string {
	same := true
	var envs []string
	for _, t := range targets {
		envs = append(envs, t.Env)
		same = same && t.To == targets[0].To
	}
	title := fmt.Sprintf("Bump %s to CHT %s", strings.Join(envs, ", "), targets[0].To)
	if !same {
		var parts []string
		for _, t := range targets {
			parts = append(parts, fmt.Sprintf("%s to %s", t.Env, t.To))
		}
		title = "Bump CHT: " + strings.Join(parts, ", ")
	}
	if len(title) <= maxTitle {
		return title
	}
	if same {
		return fmt.Sprintf("Bump %d environments to CHT %s", len(targets), targets[0].To)
	}
	return fmt.Sprintf("Bump CHT of %d environments", len(targets))
}

// Body is the pull request body: what moves (from the version on the base
// branch), the release notes, what the built output changes, Medic's
// 4 -> 5 checklist when a target crosses to 5.x, and the checklist before
// merging.
func Body(intro string, targets []Target, changes []diff.Change) string {
	var b strings.Builder
	if intro != "" {
		b.WriteString(intro + "\n\n")
	}
	for _, t := range targets {
		fmt.Fprintf(&b, "- **%s**: CHT %s → %s", t.Env, t.From, t.To)
		notes := t.NotesURL
		if notes == "" {
			notes = fmt.Sprintf("https://github.com/%s/%s/releases/tag/%s", model.CoreOwner, model.CoreRepo, t.To)
		}
		fmt.Fprintf(&b, " ([release notes](%s))\n", notes)
		if t.Suspended != "" {
			fmt.Fprintf(&b, "  - ⚠ %s: merging changes Git only.\n", t.Suspended)
		}
	}
	b.WriteString("\n### What changes (`cht-gen diff`)\n\n```\n")
	for _, c := range changes {
		fmt.Fprintf(&b, "%s: %s\n", c.Name, c.Summary)
	}
	b.WriteString("```\n\n")
	b.WriteString(onMerge(changes))
	b.WriteString(nouveauPerNodeSection(targets))
	b.WriteString(majorChecklist(targets))
	b.WriteString("### Before merging\n\n")
	b.WriteString("- [ ] CouchDB data backed up (volume snapshot or replication) and restore tested\n")
	b.WriteString("- [ ] This version ran on staging / UAT first\n")
	b.WriteString("- [ ] Release notes read: breaking changes, required app changes, upgrade notes\n")
	b.WriteString("- [ ] Window agreed with users: CHT restarts and rebuilds views after the upgrade\n")
	b.WriteString("\n<sub>Opened by `cht-gen bump`; running it again updates this pull request. If you close it, later runs leave this change alone unless given `--reopen`.</sub>\n")
	return b.String()
}

// nouveauPerNodeSection tells the reviewer of a move onto CHT 5.3 of a
// Kubernetes CouchDB cluster (model.NouveauPerNode) what appears on every
// node and where its indexes go; empty when no target makes that move.
func nouveauPerNodeSection(targets []Target) string {
	var b strings.Builder
	for _, t := range targets {
		from, to := model.Environment{Version: t.From}, model.Environment{Version: t.To}
		if t.Platform != model.Kubernetes || t.CouchDBNodes < 2 || from.Has(model.NouveauPerNode) || !to.Has(model.NouveauPerNode) {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("### A nouveau per CouchDB node (CHT 5.3)\n\n")
		}
		n := t.CouchDBNodes
		fmt.Fprintf(&b, "- **%s** (%d CouchDB nodes): every `cht-couchdb-N` pod gets a `cht-couchdb-nouveau` container, one Service `nouveau-N` per node replaces `nouveau`, and node N reads `NOUVEAU_URL=http://nouveau-N:5987`. ", t.Env, n)
		fmt.Fprintf(&b, "Each node's indexes live in the `data` folder of its own claim (`couchdb-1-claim0` … `couchdb-%d-claim0`): leave room on every node's volume; search and replication wait while the new indexes build.\n", n)
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	return b.String()
}
