# Wukong — batch virtual machines on KubeVirt.
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

CONTROLLER_GEN := go tool -modfile=hack/tools/go.mod controller-gen
# golangci-lint v2, built from the version hack/lint/go.mod pins (go caches the build).
GOLANGCI_LINT := go tool -modfile=hack/lint/go.mod golangci-lint
BIN := bin
# Files controller-gen writes; the test run fails when they differ from what is committed.
GENERATED := config/crd/bases config/rbac/role.yaml api/v1alpha1/zz_generated.deepcopy.go test/crds/bases docs/api.md \
	charts/wukong-operator/crds charts/wukong-operator/files/role.yaml internal/crdschema
ARGS ?=

.PHONY: all
all: build

##@ Development

.PHONY: manifests
manifests: ## Generate CRDs and RBAC from the API types and kubebuilder markers.
	$(CONTROLLER_GEN) rbac:roleName=wukong-manager crd:generateEmbeddedObjectMeta=true webhook paths="./api/..." paths="./internal/..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	rm -f charts/wukong-operator/crds/*.yaml && cp config/crd/bases/*.yaml charts/wukong-operator/crds/
	cp config/crd/bases/vm.novasphere.dev_wukongs.yaml config/crd/bases/vm.novasphere.dev_wukongsets.yaml internal/crdschema/
	cp config/rbac/role.yaml charts/wukong-operator/files/role.yaml
	$(CONTROLLER_GEN) crd:generateEmbeddedObjectMeta=true paths="./test/crds/..." output:crd:artifacts:config=test/crds/bases
	go run ./hack/crddedup test/crds/bases/*.yaml
	go run ./hack/apidocs > docs/api.md

.PHONY: generate
generate: ## Generate deepcopy code.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths="./api/..."

.PHONY: fmt
fmt: ## gofmt the tree.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: lint
lint: vet ## go vet, golangci-lint (.golangci.yml: staticcheck, errcheck, gofmt, …) and no tracked file over 5 MB.
	@hack/check-large-files.sh
	$(GOLANGCI_LINT) run ./...

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when generated files (CRDs, RBAC, deepcopy) differ from what is committed.
	@if [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		echo "generated files are out of date; run 'make manifests generate' and commit:"; \
		git status --porcelain -- $(GENERATED); git diff --stat -- $(GENERATED); exit 1; fi

.PHONY: controlplane
controlplane: ## Build (once, then cached) kube-apiserver, etcd, kube-controller-manager and kubectl.
	@hack/controlplane.sh >/dev/null

.PHONY: promtool
promtool: ## Build (once, then cached) Prometheus's promtool for the alert rule tests.
	@hack/promtool.sh >/dev/null

.PHONY: test
test: verify-generated lint controlplane promtool ## Run every test against a real kube-apiserver and etcd.
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" go test ./... -count=1 -timeout 40m $(TESTARGS)

# Set sizes the benchmark measures, comma-separated; the default run takes under 15 minutes on 2 cores.
# 10,000 members take longer: make bench BENCH_N=100,1000,10000
BENCH_N ?= 100,1000

.PHONY: bench
bench: controlplane build ## Benchmark WukongSet creation against two floors measured on the same apiserver.
	BENCH_N=$(BENCH_N) KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" go test ./test/bench/ -run '^$$' -bench . -benchtime 1x -timeout 180m $(TESTARGS)

##@ Build

# Build identity for `wukong version`, given to internal/version by the linker (see that package).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GIT_COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION_PKG := github.com/novasphere/wukong/internal/version
GO_LDFLAGS := -X $(VERSION_PKG).version=$(VERSION) -X $(VERSION_PKG).gitCommit=$(GIT_COMMIT) -X $(VERSION_PKG).buildDate=$(BUILD_DATE)

.PHONY: build
build: ## Build the operator binary, the kubectl plugin (the same binary as kubectl-wukong) and the KubeVirt simulator.
	CGO_ENABLED=0 go build -ldflags "$(GO_LDFLAGS)" -o $(BIN)/wukong ./cmd/wukong
	cp $(BIN)/wukong $(BIN)/kubectl-wukong
	CGO_ENABLED=0 go build -o $(BIN)/kubevirt-sim ./test/sim/cmd/kubevirt-sim

.PHONY: run
run: manifests generate ## Run the manager against the cluster in $KUBECONFIG.
	go run ./cmd/wukong manager $(ARGS)

.PHONY: demo
demo: controlplane build ## Local control plane + manager + simulator + the design's example 6.1.
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" go run ./test/demo $(ARGS)

.PHONY: help
help:
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
