// Package kustomize renders Kubernetes environments as Kustomize: a shared
// base per CHT line (api, sentinel, haproxy, healthcheck), components
// (single-node CouchDB, upgrade service for 4.x; the Recreate strategy for
// 5.1+) and one overlay per environment holding only what differs
// (namespace, image tags, CouchDB nodes, nouveau, storage, ingress,
// placement, resources). Objects follow Medic's chart of the environment's
// line: helm-charts' cht-chart-4x for 4.x, cht-core's scripts/build/helm
// for 5.x; names matter, because CHT's services find each other by them.
// Per-version details come from model facts (Environment.Has). Every
// overlay is built in-process with krusty. It imports model and files only
// from generator/, never CUE, compose, repo or GitHub code.
package kustomize
