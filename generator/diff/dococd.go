package diff

import (
	"context"
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/files"
)

// composeAgent is what deploys the Compose folder dir of set on its VM:
// "doco-cd" when the folder has the agent's deploy file.
func composeAgent(set files.Set, dir string) string {
	if _, ok := set[path.Join(dir, compose.DocoCDConfig)]; ok {
		return compose.DocoCDAgentName
	}
	return ""
}

// addDocoCDAgent adds the agent's own service (a reviewer sees a new
// doco-cd version or setting) to u when the folder has one.
func addDocoCDAgent(ctx context.Context, set files.Set, dir, env string, u *Unit) error {
	if _, ok := set[path.Join(dir, compose.DocoCDAgentFile)]; !ok {
		return nil
	}
	proj, err := compose.LoadDocoCDAgent(ctx, set, dir, path.Join("/srv/cht", env))
	if err != nil {
		return err
	}
	for _, s := range proj.Services {
		b, err := yaml.Marshal(s)
		if err != nil {
			return err
		}
		u.Objects[agentObjectPrefix+s.Name] = Object{Kind: "service", Name: path.Dir(compose.DocoCDAgentFile) + "/" + s.Name, YAML: string(b), Images: map[string]string{s.Name: s.Image}}
	}
	return nil
}

// DocoCDAgentFile is the agent's own compose file in a VM's folder, for
// messages of packages that do not import compose.
const DocoCDAgentFile = compose.DocoCDAgentFile

// agentObjectPrefix keys the agent's own services in a Unit.
var agentObjectPrefix = path.Dir(compose.DocoCDAgentFile) + "/service/"

func isAgentObject(key string) bool { return strings.HasPrefix(key, agentObjectPrefix) }

// agentOnly: the agent's own file is all that changed in c (one service).
func agentOnly(c Change) bool { return c.AgentChanged && c.Changed == 1 && c.Added+c.Removed == 0 }

// agentNote says, in a Compose change's summary, who applies it on the
// VM; before is the agent of the old tree.
func agentNote(c Change, before string) string {
	switch {
	case !c.Compose:
		return ""
	case c.AgentStops:
		// Until restarted, the agent's reconciliation still acts on its
		// last deploy (restarts unhealthy containers, may redeploy it).
		return "; doco-cd on the VM stops deploying it (no .doco-cd.yaml): nothing is deleted; after the merge, restart the agent (its reconciliation of the last deploy stops only then)"
	case c.Agent != "" && before == "":
		return fmt.Sprintf("; %s on the VM starts deploying it when merged", c.Agent)
	case c.Agent != "" && agentOnly(c):
		return fmt.Sprintf("; only the agent's own file changed, which it never deploys: on the VM, run docker compose -f %s up -d once merged", compose.DocoCDAgentFile)
	case c.Agent != "" && c.AgentChanged:
		return fmt.Sprintf("; %s on the VM deploys it when merged, except its own file: on the VM, run docker compose -f %s up -d once merged", c.Agent, compose.DocoCDAgentFile)
	case c.Agent != "" && c.Changed+c.Added+c.Removed > 0:
		return fmt.Sprintf("; %s on the VM deploys it when merged", c.Agent)
	}
	return ""
}

// AgentDeploys are the Compose environments among changes whose VM a
// doco-cd agent updates when the change is merged, sorted as changes.
func AgentDeploys(changes []Change) []string {
	var out []string
	for _, c := range changes {
		if c.Compose && c.Agent != "" && c.Changed+c.Added+c.Removed > 0 && !agentOnly(c) {
			out = append(out, c.Name)
		}
	}
	return out
}
