#!/usr/bin/env bash
# Regenerates the committed Go code for the gRPC APIs of package output:
#
#   proto/falco/{schema,outputs,version}.proto  -> falcopb/{schema,outputs,version}
#   proto/falconer/output/v1/output.proto       -> v1pb
#
#   agent/output/gen.sh [OUTDIR]
#
# OUTDIR is the module root to write under (default: this module's root);
# TestGenerated passes a scratch directory and compares the result with the
# committed files.
#
# protoc comes from the distribution (apt protobuf-compiler, libprotoc
# 3.21.12 on Debian 12; `.ci/tools.sh apt_protoc`). The Go plugins are
# pinned in go.mod's tool block (protoc-gen-go follows the
# google.golang.org/protobuf requirement, protoc-gen-go-grpc has its own
# module) and built from the module cache, so every run uses the same
# versions.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root}
mkdir -p "$out"
out=$(cd "$out" && pwd)

want_protoc="libprotoc 3.21.12"

command -v protoc >/dev/null 2>&1 || {
	echo "gen.sh: protoc not found; install it with .ci/tools.sh apt_protoc (apt-get install protobuf-compiler)" >&2
	exit 1
}
if [ "$(protoc --version)" != "$want_protoc" ]; then
	echo "gen.sh: warning: $(protoc --version) is not the pinned $want_protoc; only the version comment should differ" >&2
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(
	cd "$root"
	go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
	go build -o "$bin/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc
)

# The well-known types (google/protobuf/timestamp.proto) ship with protoc.
includes=(-I "$here/proto")
wkt="$(dirname "$(command -v protoc)")/../include"
[ -f "$wkt/google/protobuf/timestamp.proto" ] && includes+=(-I "$wkt")

mod=github.com/falconer-sec/falconer
cd "$here/proto"
PATH="$bin:$PATH" protoc "${includes[@]}" \
	--go_out="$out" --go_opt=module=$mod \
	--go-grpc_out="$out" --go-grpc_opt=module=$mod \
	falco/schema.proto falco/outputs.proto falco/version.proto \
	falconer/output/v1/output.proto
