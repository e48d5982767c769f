package load

import (
	"fmt"
	"runtime"
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
	// Heap bounds the live heap during the evaluation. It is fixed: no
	// input raises it (a budget that grew with input bytes let one file of
	// padding lift it to gigabytes).
	Heap uint64
}

// DefaultBudget is the budget Load enforces unless given WithBudget. 3000
// synthetic environments (internal/synth) need 200-400 MiB live; the
// collector's garbage does not count, since the heap is measured after a
// collection.
func DefaultBudget() Budget { return Budget{Time: 20 * time.Second, Heap: 768 << 20} }

// Option configures Load.
type Option func(*config)

type config struct {
	budget Budget
}

// WithBudget makes Load enforce b instead of DefaultBudget.
func WithBudget(b Budget) Option { return func(c *config) { c.budget = b } }

func newConfig(opts []Option) config {
	c := config{budget: DefaultBudget()}
	for _, o := range opts {
		o(&c)
	}
	return c
}

const heapMetric = "/memory/classes/heap/objects:bytes"

// withinBudget runs eval and gives up when limits are exceeded. CUE's
// evaluator cannot be interrupted, so the abandoned goroutine runs on
// until the process exits: callers that get the budget error should exit,
// as the CLI does.
func withinBudget(display string, limits Budget, eval func() (*Result, error)) (*Result, error) {
	type result struct {
		res *Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := eval()
		done <- result{res, err}
	}()
	deadline := time.NewTimer(limits.Time)
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
	// Heap objects include garbage not yet collected (GOGC=400 lets much
	// pile up): past the bound, collect once and look again, so only live
	// memory trips it.
	over := func(what string) error {
		return Errors{errorf(model.Position{File: display}, "",
			"evaluating the environments used more than %s: environment files declare plain values; look for values that multiply (a list or string built from copies of another, repeatedly) or very large values", what)}
	}
	for {
		select {
		case r := <-done:
			return r.res, r.err
		case <-deadline.C:
			return nil, over(limits.Time.String())
		case <-tick.C:
			// Twice the bound is more than the collector leaves behind
			// (GOGC, the CLI's soft limit): no need to collect to know.
			if h := heap(); h > 2*limits.Heap {
				return nil, over(fmt.Sprintf("%d MiB of memory", limits.Heap>>20))
			} else if h > limits.Heap {
				runtime.GC()
				if heap() > limits.Heap {
					return nil, over(fmt.Sprintf("%d MiB of memory", limits.Heap>>20))
				}
			}
		}
	}
}
