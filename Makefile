# cht-gen: `make render` renders the bundled examples into ./deploy;
# `make test` installs what tests need (pinned, from the Go module proxy)
# and runs gofmt, go vet, staticcheck (pinned in go.mod's tool block) and
# every test.
GO        ?= go
BIN       := $(CURDIR)/bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
KUSTOMIZE_VERSION := v5.8.2
HELM_VERSION      := v3.22.0
ACTIONLINT_VERSION := v1.7.12
FUZZTIME  ?= 300x
# make e2e: real kube-apiserver, etcd and Flux controllers (../shared/tools/install.sh)
CHT_TOOLS ?= $(HOME)/.cache/cht-tools/bin
FLUX_E2E  ?= $(CURDIR)/../shared/tools/flux-e2e.sh
LONG_FUZZTIME ?= 5m

.DEFAULT_GOAL := test
.PHONY: all build render validate test vet lint fmt fmt-check tools reference bench fuzz update e2e e2e-compose e2e-handover matrix help

all: test build ## test, then build

build: ## build bin/cht-gen
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/cht-gen ./cmd/gen

render: build ## render the example environments into ./deploy
	$(BIN)/cht-gen render --environments environments --out deploy

validate: build ## validate the example environments
	$(BIN)/cht-gen validate --environments environments

tools: $(BIN)/kustomize $(BIN)/helm $(BIN)/actionlint ## install the pinned kustomize, helm and actionlint CLIs tests use

$(BIN)/kustomize:
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(BIN)/actionlint:
	GOBIN=$(BIN) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# helm renders Medic's chart for the conformance test (about 1-2 min once).
$(BIN)/helm:
	GOBIN=$(BIN) $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Medic's files the tests compare with (docs/reference.md): pinned by
# internal/reference/manifest.yaml, never copied into the repository.
reference: ## fetch Medic's reference files into the cache, each SHA-256 checked (CHT_REFERENCE_DIR=folder: copy from that mirror instead)
	$(GO) run ./internal/reference/cmd/reference

lint: ## staticcheck, the version pinned in go.mod (tool block)
	$(GO) tool staticcheck ./...

# CHT_REFERENCE_REQUIRED=1 (CI: .ci/run): the reference is fetched first and
# a missing one fails, instead of skipping the tests that read it.
test: tools fmt-check vet lint ## install test tools, gofmt check, go vet, staticcheck, go test, a short fuzz run
	@if [ "$$CHT_REFERENCE_REQUIRED" = 1 ]; then $(MAKE) --no-print-directory reference; fi
	PATH=$(BIN):$$PATH $(GO) test -count=1 ./...
	$(MAKE) --no-print-directory fuzz LONG_FUZZTIME=$(FUZZTIME)

fuzz: ## fuzz loading and rendering (LONG_FUZZTIME each, default 5m; make test runs FUZZTIME=300x, a count: a time limit sometimes ended on a slow render with "context deadline exceeded")
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(LONG_FUZZTIME) ./generator/load/
	$(GO) test -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(LONG_FUZZTIME) ./generator/

update: ## CHT_UPDATE=1: rewrite deploy/ from environments/ (the golden test), docs/cli/, docs/schema.md and every other golden file; review with git diff
	CHT_UPDATE=1 PATH=$(BIN):$$PATH $(GO) test -count=1 ./...

bench: ## the CLI timed against helm template on 100 and 1000 environments (README, Performance; SIZES, ROUNDS, HELM)
	scripts/bench-cli.sh

# Not part of make test: needs tools that take ~1 h to build once. Skips (exit 0)
# with the install command when they are absent.
e2e: e2e-compose e2e-handover ## doco-cd on a Docker engine (e2e-compose), Helm handovers (e2e-handover), the first-time flow on a real kube-apiserver, then flux-e2e.sh with real Flux controllers on the examples
	@missing=""; \
	for t in kube-apiserver kubectl source-controller kustomize-controller; do \
	  [ -x "$(CHT_TOOLS)/$$t" ] || missing="$$missing $$t"; done; \
	command -v etcd >/dev/null || [ -n "$$ETCD" ] || missing="$$missing etcd"; \
	[ -x "$(FLUX_E2E)" ] || missing="$$missing $(FLUX_E2E)"; \
	if [ -n "$$missing" ]; then \
	  echo "make e2e: SKIPPED, missing:$$missing"; \
	  echo "  install once (about 1 h on 2 cores): ../shared/tools/install.sh etcd kube-apiserver flux"; \
	  exit 0; fi; \
	gen=$$(mktemp -d)/cht-gen; trap 'rm -rf "$$(dirname $$gen)"' EXIT; \
	CGO_ENABLED=0 $(GO) build -trimpath -o "$$gen" ./cmd/gen && \
	PATH="$(CHT_TOOLS):$(BIN):$$PATH" $(GO) test -count=1 -v -run '^(TestFirstTimeFlow|TestMoveTo5x)_OnAKubeAPIServer$$' ./cmd/gen/ && \
	TOOLS="$(CHT_TOOLS)" "$(FLUX_E2E)" "$$gen" "$(CURDIR)"

# Not part of make test: a real Docker engine (start-docker.sh, DOCKER_CONFIG)
# and doco-cd (install.sh doco-cd); the tests skip with a message without them.
# TestComposeHandover: a VM laid out by Medic's guide moved to the rendered
# folder in place (docs/adopt-compose.md).
e2e-compose: ## doco-cd on a real Docker engine: two VMs, a bump of one, a hand-removed container, a removal and a suspension (~5 min); a Medic VM's handover
	CHT_E2E=1 DOCO_CD="$${DOCO_CD:-$(CHT_TOOLS)/doco-cd}" PATH="$(CHT_TOOLS):$$PATH" $(GO) test -count=1 -v -timeout 30m -run '^(TestDocoCD|TestComposeHandover)_OnADockerEngine$$' ./cmd/gen/

# Not part of make test: etcd, kube-apiserver, kube-controller-manager and helm
# (install.sh etcd kube-apiserver kube-controller-manager helm); the test skips
# with a message without them. Releases of Medic's charts handed over in place
# (docs/adopt-kubernetes.md).
e2e-handover: ## Helm releases of Medic's charts (4.x and 5.x) handed over to the overlay in place on a real kube-apiserver with kube-controller-manager (~2 min)
	PATH="$(CHT_TOOLS):$(BIN):$$PATH" $(GO) test -count=1 -v -timeout 20m -run '^TestHandover_OnAKubeAPIServer$$' ./cmd/gen/

# Not part of make test: starts etcd + kube-apiserver (~20 s). Skips (exit 0)
# when the tools (../shared/tools/install.sh) are absent.
matrix: $(BIN)/kustomize ## render internal/testdata/matrix (both lines, both targets, every field) and check it with kustomize, kubeconform -strict, a kube-apiserver dry-run and docker compose config
	@gen=$$(mktemp -d)/cht-gen; trap 'rm -rf "$$(dirname $$gen)"' EXIT; \
	CGO_ENABLED=0 $(GO) build -trimpath -o "$$gen" ./cmd/gen && \
	TOOLS="$(CHT_TOOLS)" KUSTOMIZE="$(BIN)/kustomize" scripts/matrix-check.sh "$$gen" internal/testdata/matrix

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "%-10s %s\n", $$1, $$2}'
