package diff_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cht-gen/cht-gen/generator/compose"
	"github.com/cht-gen/cht-gen/generator/diff"
	"github.com/cht-gen/cht-gen/generator/files"
	"github.com/cht-gen/cht-gen/generator/load"
)

// renderFleet renders the Compose environments of src (CUE) into one tree.
func renderFleet(t *testing.T, src string) files.Set {
	t.Helper()
	res, err := load.Load(fstest.MapFS{"a.cue": {Data: []byte("package environments\n" + src)}}, "envs")
	if err != nil {
		t.Fatal(err)
	}
	out := files.Set{}
	for i := range res.Environments {
		set, err := compose.Render(&res.Environments[i], "a.cue")
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Merge(set); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

const fleet = `gitops: {repoURL: "https://github.com/moh/hosting", compose: "doco-cd"}
environments: a: {target: "compose", version: "%A", host: "a.example.org"%S}
environments: b: {target: "compose", version: "4.22.0", host: "b.example.org"}
environments: m: {target: "compose", version: "%M", host: "m.example.org", gitops: "none"}
`

func fleetSrc(a, aExtra, m string) string {
	return strings.NewReplacer("%A", a, "%S", aExtra, "%M", m).Replace(fleet)
}

// A bump of VM a under doco-cd names a as deployed by its agent on merge,
// leaves b unchanged, and a manual VM's change carries no agent.
func TestDocoCD_DiffNamesTheVMsTheAgentUpdates(t *testing.T) {
	ctx := context.Background()
	before := renderFleet(t, fleetSrc("4.22.0", "", "4.22.0"))
	after := renderFleet(t, fleetSrc("5.2.0", "", "5.2.0"))
	ua, ub, err := diff.BuildPair(ctx, before, after)
	if err != nil {
		t.Fatal(err)
	}
	changes := diff.Compare(ua, ub, "a", "b")
	byName := map[string]diff.Change{}
	for _, c := range changes {
		byName[c.Name] = c
	}
	if s := byName["a"].Summary; !strings.Contains(s, "doco-cd on the VM deploys it when merged") || !strings.Contains(s, "+ service nouveau") {
		t.Errorf("a: %s", s)
	}
	if s := byName["b"].Summary; s != "unchanged" {
		t.Errorf("b: %s", s)
	}
	if s := byName["m"].Summary; strings.Contains(s, "doco-cd") {
		t.Errorf("m (manual) mentions doco-cd: %s", s)
	}
	if got := diff.AgentDeploys(changes); !slices.Equal(got, []string{"a"}) {
		t.Errorf("AgentDeploys = %v, want [a]", got)
	}
}

// Suspending or removing a VM under doco-cd says the agent stops; nothing
// in the summary deletes data.
func TestDocoCD_DiffSuspendAndRemove(t *testing.T) {
	ctx := context.Background()
	before := renderFleet(t, fleetSrc("5.2.0", "", "5.2.0"))
	removed := files.Set{}
	for p, b := range before {
		if !strings.HasPrefix(p, "compose/a/") {
			removed[p] = b
		}
	}
	for name, after := range map[string]files.Set{
		"suspended": renderFleet(t, fleetSrc("5.2.0", ", suspended: true", "5.2.0")),
		"removed":   removed,
	} {
		t.Run(name, func(t *testing.T) {
			ua, ub, err := diff.BuildPair(ctx, before, after)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range diff.Compare(ua, ub, "a", "b") {
				if c.Name != "a" {
					continue
				}
				if !c.AgentStops || !strings.Contains(c.Summary, "stops deploying it") || !strings.Contains(c.Summary, "restart the agent") {
					t.Errorf("a: stops %v, %s", c.AgentStops, c.Summary)
				}
				return
			}
			t.Fatal("no change for a")
		})
	}
}

// A change of the agent's own file (a doco-cd version, interval or the
// host folders it pins) reaches the VM only when someone runs its up -d:
// the agent never deploys itself. The summary says so; a version bump
// alone does not touch the agent.
func TestDocoCD_DiffSaysWhenTheAgentItselfChanges(t *testing.T) {
	ctx := context.Background()
	before := renderFleet(t, fleetSrc("5.2.0", "", "5.2.0"))
	for name, tc := range map[string]struct {
		extra string
		want  bool
	}{
		"data folder":   {`, couchdb: dataPaths: ["/data/couch"]`, true},
		"poll interval": {`, dococd: interval: 60`, true},
		"version bump":  {"", false},
	} {
		t.Run(name, func(t *testing.T) {
			v := "5.2.0"
			if tc.extra == "" {
				v = "5.3.1"
			}
			ua, ub, err := diff.BuildPair(ctx, before, renderFleet(t, fleetSrc(v, tc.extra, "5.2.0")))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range diff.Compare(ua, ub, "a", "b") {
				if c.Name != "a" {
					continue
				}
				if got := strings.Contains(c.Summary, "doco-cd/docker-compose.yml up -d"); got != tc.want {
					t.Errorf("summary says to re-run the agent: %v, want %v: %s", got, tc.want, c.Summary)
				}
				// The agent deploys nothing on an interval change: the
				// pull request does not list the VM under "On merge".
				if deploys := slices.Contains(diff.AgentDeploys([]diff.Change{c}), "a"); deploys != (name != "poll interval") {
					t.Errorf("AgentDeploys names a: %v (%s)", deploys, c.Summary)
				}
				return
			}
			t.Fatal("no change for a")
		})
	}
}
