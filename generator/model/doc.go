// Package model holds the typed environments cht-gen renders: plain structs
// with every default filled by the schema, plus the CHT facts that depend on
// the version (image registry and tag, service names) and the checks that
// span environments (namespace clashes). It must not import cuelang.org/go,
// YAML, Kubernetes, Compose, Git or GitHub packages.
package model
