// Package version holds the Go code generated from Falco's falco.version
// protos (the version service), for the wire-compatible Falco gRPC API that
// package output serves.
//
// The .proto sources are in agent/output/proto/falco; regenerate with
// agent/output/gen.sh.
package version
