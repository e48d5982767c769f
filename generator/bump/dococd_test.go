package bump

import (
	"strings"
	"testing"

	"github.com/cht-gen/cht-gen/generator/diff"
)

// The pull request body names the VMs doco-cd updates on merge, apart
// from the manual ones and from Kubernetes environments.
func TestBody_NamesVMsTheAgentUpdates(t *testing.T) {
	changes := []diff.Change{
		{Name: "vm-a", Compose: true, Agent: "doco-cd", Changed: 5, Summary: "x"},
		{Name: "vm-b", Compose: true, Agent: "doco-cd", Summary: "unchanged"},
		{Name: "vm-m", Compose: true, Changed: 1, Summary: "y"},
		{Name: "vm-s", Compose: true, AgentStops: true, Summary: "unchanged"},
		{Name: "vm-i", Compose: true, Agent: "doco-cd", Changed: 1, AgentChanged: true, Summary: "w"},
		{Name: "prod", Changed: 2, Summary: "z"},
	}
	body := Body("", []Target{{Env: "vm-a", From: "4.22.0", To: "5.2.0"}}, changes)
	for _, want := range []string{
		"doco-cd updates these VMs on its next poll: `vm-a`\n",
		"doco-cd stops changing these VMs (suspended or removed; nothing is deleted; restart its agent once merged, see its README): `vm-s`\n",
		"the agent's own file changed, which it never deploys: on each of these VMs run `docker compose -f doco-cd/docker-compose.yml up -d` once merged: `vm-i`\n",
		"see its README): `vm-m`\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "next poll: `vm-a`, `vm-i`") {
		t.Errorf("an agent-only change is listed as deployed by the agent")
	}
	for _, not := range []string{"`vm-b`", "`prod`"} {
		if strings.Contains(body[strings.Index(body, "### On merge"):], not) {
			t.Errorf("On merge names %s", not)
		}
	}
	if strings.Contains(Body("", []Target{{Env: "prod", From: "5.1.0", To: "5.2.0"}}, changes[5:]), "On merge") {
		t.Errorf("a Kubernetes-only bump has an On merge section")
	}
}
