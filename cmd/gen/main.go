// Command cht-gen renders CHT Core 4.x and 5.x hosting (Docker Compose or
// Kustomize + Flux / Argo CD) from CUE environment files.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"syscall"
)

func main() {
	tuneGC()
	stopProfile := startProfile(os.Getenv("CHT_GEN_CPUPROFILE"))
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		cancel() // network calls and the pre-write check see it
		writing.Lock()
		stopProfile()
		fmt.Fprintf(os.Stderr, "cht-gen: %v: stopped, nothing was left half-written\n", sig)
		code := 130 // 128 + SIGINT
		if sig == syscall.SIGTERM {
			code = 143
		}
		os.Exit(code)
	}()
	code := runContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	os.Exit(code)
}

// tuneGC trades memory for time: a render allocates about 8 MB per
// environment, nearly all of it garbage at once (kustomize builds), and
// with Go's default GOGC=100 a fifth of the CPU went to collecting it.
// GOGC=400 keeps a 1000-environment render at ~430 MiB peak RSS; the soft
// limit makes the collector work harder before 900 MiB instead of growing
// past it. GOGC or GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(900 << 20)
	}
}

// startProfile writes a CPU profile to path (docs/performance.md) when set.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cht-gen: CHT_GEN_CPUPROFILE:", err)
		return func() {}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			f.Close()
		})
	}
}
