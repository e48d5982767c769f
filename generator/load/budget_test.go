package load_test

import (
	"runtime/debug"
	"testing"

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
		t.Fatalf("3000 environments within %d MiB: %v", load.Limits.Heap>>20, err)
	}
	if len(res.Environments) != 3000 {
		t.Fatalf("%d environments", len(res.Environments))
	}
}
