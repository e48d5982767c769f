// Command cht-gen renders CHT Core 4.x hosting (Docker Compose or
// Kustomize + Flux / Argo CD) from CUE environment files.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGINT/SIGTERM cancel the context: render stops before swapping its
	// temporary tree in, so the previous output stays whole.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
