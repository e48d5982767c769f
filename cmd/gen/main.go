// Command cht-gen renders CHT Core 4.x hosting (Docker Compose or
// Kustomize + Flux / Argo CD) from CUE environment files.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
