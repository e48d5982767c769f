//go:build chtgen_writehook

package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// With CHT_GEN_KILL_AT_WRITE_STEP=N, cht-gen sends itself SIGKILL just
// before write step N (a real kill -9, at a known point); with
// CHT_GEN_TRACE_WRITE_STEPS set it lists the steps on stderr.
func init() {
	killAt, _ := strconv.Atoi(os.Getenv("CHT_GEN_KILL_AT_WRITE_STEP"))
	trace := os.Getenv("CHT_GEN_TRACE_WRITE_STEPS") != ""
	writeHook = func(step int, what string) error {
		if trace {
			fmt.Fprintf(os.Stderr, "write step %d: %s\n", step, what)
		}
		if step == killAt {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return nil
	}
}
