package load_test

import (
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/cht-gen/cht-gen/generator/load"
	"github.com/cht-gen/cht-gen/internal/synth"
)

// The fixed heap bound still lets a big fleet load under the CLI's
// collector settings (GOGC=400, 900 MiB soft limit), where garbage piles
// up past the bound before a collection.
func TestLoad_BudgetFitsThreeThousandEnvironments(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 3000 environments (a few seconds)")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(900 << 20))
	res, err := load.Load(synth.Environments(3000), "envs")
	if err != nil {
		t.Fatalf("3000 environments within %d MiB: %v", load.DefaultBudget().Heap>>20, err)
	}
	if len(res.Environments) != 3000 {
		t.Fatalf("%d environments", len(res.Environments))
	}
}

// The budget is an option of Load, not package state: a tiny one trips on
// a fleet the default budget loads easily.
func TestLoad_WithBudget(t *testing.T) {
	fleet := synth.Environments(300)
	_, err := load.Load(fleet, "envs", load.WithBudget(load.Budget{Time: time.Minute, Heap: 1}))
	if err == nil || !strings.Contains(err.Error(), "evaluating the environments used more than 0 MiB") {
		t.Fatalf("1-byte heap budget: %v", err)
	}
	if _, err := load.Load(fleet, "envs"); err != nil {
		t.Fatalf("default budget: %v", err)
	}
}
