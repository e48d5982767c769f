package model

import "fmt"

// docoCDToken is where the token goes instead of the URL (the agent reads
// it from a file on the VM, GIT_ACCESS_TOKEN_FILE).
const docoCDToken = "put a read-only token in the agent's token file on the VM instead (docs/compose-doco-cd.md)"

// docoCDProblems checks a Compose environment deployed by doco-cd: the
// upgrade service must not rewrite the files the agent owns, the agent
// clones over HTTPS with a token read from a file, and an image pinned
// by tag only is a warning.
func docoCDProblems(e *Environment) []Problem {
	if !e.UsesDocoCD() {
		return nil
	}
	var out []Problem
	if e.UpgradeService.Enabled {
		out = append(out, Problem{Env: e.Name, Field: "upgradeService.enabled",
			Message: "doco-cd deploys this VM from Git: Medic's upgrade service would rewrite the compose files the agent owns and run another version until the agent's next deploy puts Git's back; remove upgradeService.enabled and upgrade with `cht-gen bump`"})
	}
	checkURL(e.RepoURL, "repoURL", []string{"https"}, docoCDToken, func(field, format string, args ...any) {
		out = append(out, Problem{Env: e.Name, Field: field, Message: fmt.Sprintf(format, args...), Value: true})
	})
	if e.DocoCD != nil && e.DocoCD.ImageDigest == "" {
		out = append(out, Problem{Env: e.Name, Field: "dococd.imageDigest", Warning: true,
			Message: fmt.Sprintf("is unset: the agent's image ghcr.io/kimdre/doco-cd:%s is pinned by tag only; set gitops.dococd.imageDigest to its sha256 digest (docker buildx imagetools inspect ghcr.io/kimdre/doco-cd:%s)", e.DocoCD.Version, e.DocoCD.Version)})
	}
	return out
}
