// Command cht-gen renders CHT Core 4.x hosting (Docker Compose or
// Kustomize + Flux / Argo CD) from CUE environment files.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
)

func main() {
	// SIGINT/SIGTERM cancel the context: render stops before swapping its
	// temporary tree in, so the previous output stays whole.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	tuneGC()
	stopProfile := startProfile(os.Getenv("CHT_GEN_CPUPROFILE"))
	code := runContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	stop()
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

// startProfile writes a CPU profile to path (README, Performance) when set.
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
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
