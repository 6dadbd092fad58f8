#!/usr/bin/env bash
# Installs the pinned external tools the tests talk to (real peers, not mocks)
# into a cache outside the repository, keyed by name and version, so a second
# run reuses them. Prints nothing but progress; exits non-zero on failure.
#
#   .ci/tools.sh [TOOL...]    # default: all tools
#
# FALCONER_TOOLS  cache root (default: $XDG_CACHE_HOME/falconer-tools or ~/.cache/falconer-tools)
# The binaries end up in $FALCONER_TOOLS/bin; tests find them through
# FALCONER_TOOLS or PATH.
set -euo pipefail

root=${FALCONER_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/falconer-tools}
mkdir -p "$root/bin"

log() { printf '==> %s\n' "$*" >&2; }

# go_tool NAME VERSION PACKAGE: go install PACKAGE@VERSION as $root/bin/NAME,
# keeping one copy per version.
go_tool() {
	local name=$1 version=$2 pkg=$3
	local dir="$root/$name-$version"
	if [ ! -x "$dir/$name" ]; then
		log "installing $name $version"
		mkdir -p "$dir"
		GOBIN="$dir" GOFLAGS=-mod=mod go install "$pkg@$version"
		local built
		built=$(basename "${pkg%%@*}")
		[ "$built" = "$name" ] || mv "$dir/$built" "$dir/$name"
	fi
	ln -sf "$dir/$name" "$root/bin/$name"
}

declare -A tools=()

# Each tool registers an installer function here.
# (Entries are added by the features that need them.)

# OCI distribution registry server (the reference implementation), for the
# registry interop tests. Run it with OTEL_TRACES_EXPORTER=none.
install_registry() {
	go_tool registry v3.1.2 github.com/distribution/distribution/v3/cmd/registry
}
tools[registry]=install_registry

# cosign v2: verifies what falconer signs and signs what falconer verifies.
install_cosign() {
	go_tool cosign v2.6.5 github.com/sigstore/cosign/v2/cmd/cosign
}
tools[cosign]=install_cosign

# oras CLI: pulls what falconer pushes.
install_oras() {
	go_tool oras v1.3.6 oras.land/oras/cmd/oras
}
tools[oras]=install_oras

# actionlint: checks the GitHub Actions workflow in ci/templates/github (its
# syntax, expressions, job and step keys, and the known actions' inputs).
# It runs shellcheck on the `run:` scripts when shellcheck is on PATH, so
# that comes from the distribution package (0.9.0 on Debian 12) and stays in
# /usr/bin.
install_actionlint() {
	go_tool actionlint v1.7.12 github.com/rhysd/actionlint/cmd/actionlint
	if ! command -v shellcheck >/dev/null 2>&1; then
		log "installing shellcheck (apt shellcheck)"
		local sudo=
		[ "$(id -u)" = 0 ] || sudo=sudo
		export DEBIAN_FRONTEND=noninteractive
		$sudo apt-get install -y -q shellcheck >/dev/null 2>&1 ||
			{ $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q shellcheck >/dev/null; }
	fi
	shellcheck --version >/dev/null
}
tools[actionlint]=install_actionlint

# falcoctl v0.11.0: installs falconer artifacts as a Falco rulesfile. A plain
# `go install` fails (the checksum database has no entry for it and the proxy
# refuses its version list), so the module is downloaded with the checksum
# lookup skipped for falcoctl alone (its go.sum still pins every dependency)
# and built inside a writable copy of its own module.
install_falcoctl() {
	local name=falcoctl version=v0.11.0
	local dir="$root/$name-$version"
	if [ ! -x "$dir/$name" ]; then
		log "installing $name $version"
		local mod=github.com/falcosecurity/falcoctl work src
		work=$(mktemp -d)
		(cd "$work" && GONOSUMDB=$mod GOFLAGS=-mod=mod go mod download "$mod@$version")
		src="$(go env GOMODCACHE)/$mod@$version"
		cp -r "$src" "$work/falcoctl"
		chmod -R u+w "$work/falcoctl"
		mkdir -p "$dir"
		(cd "$work/falcoctl" && GOFLAGS=-mod=mod GONOSUMDB=$mod go build -o "$dir/$name" .)
		rm -rf "$work"
	fi
	ln -sf "$dir/$name" "$root/bin/$name"
}
tools[falcoctl]=install_falcoctl

# protoc from the distribution package (libprotoc 3.21 on Debian 12), for
# agent/output/gen.sh and the test that the committed gRPC stubs are current.
# It stays in /usr/bin (found through PATH). The Go plugins are pinned in
# go.mod's tool block, not installed here.
install_apt_protoc() {
	if ! command -v protoc >/dev/null 2>&1; then
		log "installing protoc (apt protobuf-compiler)"
		local sudo=
		[ "$(id -u)" = 0 ] || sudo=sudo
		export DEBIAN_FRONTEND=noninteractive
		$sudo apt-get install -y -q protobuf-compiler >/dev/null 2>&1 ||
			{ $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q protobuf-compiler >/dev/null; }
	fi
	protoc --version >/dev/null
}
tools[apt_protoc]=install_apt_protoc

# grpcurl: a real gRPC client for the agent's alert APIs (unix socket, mTLS).
install_grpcurl() {
	go_tool grpcurl v1.9.3 github.com/fullstorydev/grpcurl/cmd/grpcurl
}
tools[grpcurl]=install_grpcurl

# promtool: `promtool check metrics` on the agent's /metrics text.
install_promtool() {
	go_tool promtool v0.316.0 github.com/prometheus/prometheus/cmd/promtool
}
tools[promtool]=install_promtool

# falcosidekick is not installed: the Go module proxy refuses
# github.com/falcosecurity/falcosidekick (403 "not available" for its
# version list, a tag's commit and master), so agent/output checks its HTTP
# output against a conformance server built from falcosidekick's documented
# input rules instead.

# clang-19, llvm-strip-19, libbpf headers and bpftool from the distribution
# packages, for bpf/gen.sh (make bpf) and the test that the committed BPF
# objects are current.
install_apt_clang() {
	if ! command -v clang-19 >/dev/null 2>&1 || ! command -v llvm-strip-19 >/dev/null 2>&1 ||
		[ ! -f /usr/include/bpf/bpf_helpers.h ] || ! command -v bpftool >/dev/null 2>&1; then
		log "installing clang-19 (apt clang-19 llvm-19 libbpf-dev bpftool)"
		local sudo=
		[ "$(id -u)" = 0 ] || sudo=sudo
		export DEBIAN_FRONTEND=noninteractive
		local pkgs=(clang-19 llvm-19 libbpf-dev bpftool)
		$sudo apt-get install -y -q "${pkgs[@]}" >/dev/null 2>&1 ||
			{ $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${pkgs[@]}" >/dev/null; }
	fi
	ln -sf "$(command -v clang-19)" "$root/bin/clang-19"
	ln -sf "$(command -v llvm-strip-19)" "$root/bin/llvm-strip-19"
}
tools[apt_clang]=install_apt_clang

want=("$@")
[ ${#want[@]} -gt 0 ] || want=("${!tools[@]}")
for t in "${want[@]}"; do
	fn=${tools[$t]:-}
	[ -n "$fn" ] || { echo "tools.sh: unknown tool $t" >&2; exit 2; }
	"$fn"
done
echo "$root/bin"
