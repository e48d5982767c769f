package load

import (
	"fmt"
	"runtime/metrics"
	"time"

	"github.com/cht-gen/cht-gen/generator/model"
)

// Budget bounds one evaluation of an environments directory. CUE always
// terminates, but a few lines can ask for exponentially much work (a list
// made of two copies of the previous one, forty times over); real
// environment sets take well under a second and a few hundred MiB even at
// a thousand environments.
type Budget struct {
	Time time.Duration
	Heap uint64 // bytes of heap objects the evaluation may add
	// HeapPerByte raises Heap by this much per byte of environment files:
	// big sets legitimately need more (1000 environments, about 100 KiB of
	// CUE, allocate about 300 MiB), while an explosion fits in a few lines.
	HeapPerByte uint64
}

// Limits is the budget Load enforces. The heap bound sits below the CLI's
// 900 MiB soft memory limit, past which the collector would slow an
// explosion down instead of letting it reach the bound.
var Limits = Budget{Time: 20 * time.Second, Heap: 512 << 20, HeapPerByte: 8 << 10}

const heapMetric = "/memory/classes/heap/objects:bytes"

// withinBudget runs eval and gives up when Limits are exceeded. CUE's
// evaluator cannot be interrupted, so the abandoned goroutine runs on
// until the process exits: callers that get the budget error should exit,
// as the CLI does.
func withinBudget(display string, inputBytes int, eval func() (*Result, error)) (*Result, error) {
	type result struct {
		res *Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := eval()
		done <- result{res, err}
	}()
	deadline := time.NewTimer(Limits.Time)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	sample := []metrics.Sample{{Name: heapMetric}}
	heap := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	// Garbage left by earlier work in the process is not the evaluation's.
	start := heap()
	limit := Limits.Heap + Limits.HeapPerByte*uint64(inputBytes)
	over := func(what string) error {
		return Errors{errorf(model.Position{File: display}, "",
			"evaluating the environments used more than %s: look for comprehensions or references that multiply (a list built from copies of another, repeatedly) or very large values; environment files need nothing of the kind", what)}
	}
	for {
		select {
		case r := <-done:
			return r.res, r.err
		case <-deadline.C:
			return nil, over(Limits.Time.String())
		case <-tick.C:
			if h := heap(); h > start && h-start > limit {
				return nil, over(fmt.Sprintf("%d MiB of memory", limit>>20))
			}
		}
	}
}
