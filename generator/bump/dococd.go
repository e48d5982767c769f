package bump

import (
	"fmt"
	"strings"

	"github.com/cht-gen/cht-gen/generator/diff"
)

// onMerge names, in a pull request body, the Compose VMs whose doco-cd
// agent deploys the change once it is merged, and the Compose VMs that
// still need someone to pull and restart them.
func onMerge(changes []diff.Change) string {
	agent := diff.AgentDeploys(changes)
	var manual, stops, agentFile []string
	for _, c := range changes {
		if c.Compose && c.Agent != "" && c.AgentChanged {
			agentFile = append(agentFile, c.Name)
		}
		switch {
		case !c.Compose || c.Changed+c.Added+c.Removed == 0 && !c.AgentStops:
		case c.AgentStops:
			stops = append(stops, c.Name)
		case c.Agent == "":
			manual = append(manual, c.Name)
		}
	}
	if len(agent)+len(manual)+len(stops)+len(agentFile) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("### On merge (Compose VMs)\n\n")
	if len(agent) > 0 {
		fmt.Fprintf(&b, "- doco-cd updates these VMs on its next poll: %s\n", names(agent))
	}
	if len(stops) > 0 {
		fmt.Fprintf(&b, "- doco-cd stops changing these VMs (suspended or removed; nothing is deleted; restart its agent once merged, see its README): %s\n", names(stops))
	}
	if len(agentFile) > 0 {
		fmt.Fprintf(&b, "- the agent's own file changed, which it never deploys: on each of these VMs run `docker compose -f %s up -d` once merged: %s\n", diff.DocoCDAgentFile, names(agentFile))
	}
	if len(manual) > 0 {
		fmt.Fprintf(&b, "- No agent: on each of these VMs, `git pull` and `docker compose ... up -d --remove-orphans` (see its README): %s\n", names(manual))
	}
	b.WriteString("\n")
	return b.String()
}

func names(ns []string) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = "`" + n + "`"
	}
	return strings.Join(out, ", ")
}
