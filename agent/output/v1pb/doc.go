// Package v1pb holds the Go code generated from Falconer's own versioned
// alert API (falconer.output.v1: AlertService with Subscribe and Status),
// which package output serves.
//
// The .proto source is agent/output/proto/falconer/output/v1/output.proto;
// regenerate with agent/output/gen.sh.
package v1pb
