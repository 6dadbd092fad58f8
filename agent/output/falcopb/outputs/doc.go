// Package outputs holds the Go code generated from Falco's falco.outputs
// protos (the alert stream service "service" with methods sub and get), for
// the wire-compatible Falco gRPC API that package output serves. Existing
// Falco clients talk to it unchanged.
//
// The .proto sources are in agent/output/proto/falco; regenerate with
// agent/output/gen.sh.
package outputs
