#!/usr/bin/env bash
# Builds the control-plane binaries the tests and the demo need (kube-apiserver, kube-controller-manager,
# kubectl, etcd) from the Go module proxy, because nothing prebuilt can be downloaded. Each binary is built
# in a throwaway module of its own so the product's go.mod never moves. The result is cached in a folder
# keyed by version and reused when present; the script prints that folder on stdout.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
CACHE_ROOT="${WUKONG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wukong}"
DIR="${CONTROLPLANE_DIR:-$CACHE_ROOT/controlplane-k8s${K8S_VERSION}-etcd${ETCD_VERSION}}"

have_all() {
  for b in kube-apiserver kube-controller-manager kubectl etcd; do
    [ -f "$DIR/$b" ] && [ -x "$DIR/$b" ] || return 1
  done
}

if have_all; then
  echo "$DIR"
  exit 0
fi

mkdir -p "$DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log() { echo "controlplane: $*" >&2; }

# Staging modules that k8s.io/kubernetes replaces with ./staging/src/k8s.io/X in its own go.mod.
staging=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
  cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api cri-client
  cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
  kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils
  pod-security-admission sample-apiserver sample-cli-plugin sample-controller streaming)

if [ ! -f "$DIR/kube-apiserver" ] || [ ! -f "$DIR/kube-controller-manager" ] || [ ! -f "$DIR/kubectl" ]; then
  mkdir -p "$work/k8s"
  (
    cd "$work/k8s"
    {
      echo "module wukong.local/controlplane"
      echo
      echo "go 1.26"
      echo
      echo "require k8s.io/kubernetes v${K8S_VERSION}"
      echo
      for m in "${staging[@]}"; do echo "replace k8s.io/$m => k8s.io/$m v0.${K8S_VERSION#1.}"; done
    } > go.mod
    printf 'package tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n)\n' > tools.go
    log "resolving k8s.io/kubernetes v${K8S_VERSION} modules"
    GOFLAGS=-mod=mod go mod tidy >&2
    for b in kube-apiserver kube-controller-manager kubectl; do
      if [ ! -f "$DIR/$b" ]; then
        log "building $b (several minutes when cold)"
        CGO_ENABLED=0 go build -o "$work/$b" "k8s.io/kubernetes/cmd/$b" >&2
        mv "$work/$b" "$DIR/$b"
      fi
    done
  )
fi

if [ ! -f "$DIR/etcd" ]; then
  rm -rf "$DIR/etcd"
  mkdir -p "$work/etcd"
  (
    cd "$work/etcd"
    printf 'module wukong.local/etcd\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" > go.mod
    printf 'package tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
    log "building etcd v${ETCD_VERSION}"
    GOFLAGS=-mod=mod go mod tidy >&2
    CGO_ENABLED=0 go build -o "$work/etcd.bin" go.etcd.io/etcd/server/v3 >&2
    mv "$work/etcd.bin" "$DIR/etcd"
  )
fi

have_all
echo "$DIR"
