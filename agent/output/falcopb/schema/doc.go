// Package schema holds the Go code generated from Falco's falco.schema
// protos (the priority and source enums), for the wire-compatible Falco
// gRPC API that package output serves.
//
// The .proto sources are in agent/output/proto/falco; regenerate with
// agent/output/gen.sh.
package schema
