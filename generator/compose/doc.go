// Package compose renders Compose environments into Medic's 4.x and 5.x Docker
// Compose layout (cht-core.yml, cht-couchdb.yml or cht-couchdb-clustered.yml,
// the upgrade service, .env.example) and checks every project loads with
// compose-go as `docker compose config` would. It imports model and files
// only from generator/, never CUE, kustomize, repo or GitHub code.
package compose
