// Command reference is `make reference`: it fills the cache with Medic's
// files that internal/reference/manifest.yaml pins, downloaded from where
// Medic publishes them, or copied from the folder CHT_REFERENCE_DIR names,
// every file checked against its SHA-256. Tests then compare cht-gen's
// output with them (docs/reference.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/cht-gen/cht-gen/internal/reference"
	"github.com/cht-gen/cht-gen/internal/reference/fetch"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("reference", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./internal/reference/cmd/reference [--print-dir]\n\n"+
			"Fills the cache (%s, or the user cache folder's cht-gen/reference) with the files\n"+
			"%s pins, from their URLs, or from the mirror folder %s names.\n\n", reference.EnvCache, reference.ManifestFile, reference.EnvDir)
		fs.PrintDefaults()
	}
	printDir := fs.Bool("print-dir", false, "print the folder tests read (CHT_REFERENCE_DIR, else the cache, else ../shared/reference) once verified, and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, "reference:", err)
		return 1
	}
	m, err := reference.Load()
	if err != nil {
		fmt.Fprintln(stderr, "reference:", err)
		return 1
	}
	if *printDir {
		loc, err := reference.Locate(cwd, getenv)
		if err == nil {
			err = reference.Verify(loc.Dir, m)
		}
		if err != nil {
			fmt.Fprintf(stderr, "reference: %v\nreference: run make reference (or set %s to a mirror folder)\n", err, reference.EnvDir)
			return 1
		}
		fmt.Fprintln(stdout, loc.Dir)
		return 0
	}
	dest, err := reference.CacheDir(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "reference:", err)
		return 1
	}
	opts := fetch.Options{Manifest: m, Dest: dest}
	from := "their URLs"
	if mirror := getenv(reference.EnvDir); mirror != "" {
		if !filepath.IsAbs(mirror) {
			root := reference.ModuleRoot(cwd)
			if root == "" {
				root = cwd
			}
			mirror = filepath.Join(root, mirror)
		}
		opts.Mirror, from = mirror, mirror+" ("+reference.EnvDir+")"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := fetch.Fill(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "reference: %v\nreference: nothing changed in %s\n", err, dest)
		return 1
	}
	if res.UpToDate {
		fmt.Fprintf(stdout, "reference: %d files verified in %s (up to date)\n", res.Files, res.Dir)
		return 0
	}
	fmt.Fprintf(stdout, "reference: %d files from %s verified and written to %s\n", res.Files, from, res.Dir)
	return 0
}
