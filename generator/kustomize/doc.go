// Package kustomize renders Kubernetes environments as Kustomize: a shared
// base (api, sentinel, haproxy, healthcheck), components (single-node
// CouchDB, upgrade service) and one overlay per environment holding only
// what differs (namespace, image tags, CouchDB nodes, storage, ingress,
// placement, resources). Object names follow Medic's cht-chart-4x, because
// CHT's services and the upgrade service find each other by them. Every
// overlay is built in-process with krusty. It imports model and files only
// from generator/, never CUE, compose, repo or GitHub code.
package kustomize
