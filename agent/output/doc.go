// Package output delivers the agent's alerts to the ecosystem.
//
// A Hub fans every alert out to any number of subscribers, each through a
// bounded buffer of its own: Publish never blocks detection, a slow
// subscriber loses alerts (counted, and reported to it) without slowing
// anyone else, and a replay window lets a subscriber resume after a
// reconnect. On top of the hub:
//
//   - GRPCServer serves Falco's gRPC output API (falco.outputs.service sub
//     and get, falco.version.service), wire-compatible with existing
//     clients, and Falconer's own versioned API (falconer.output.v1) with
//     server-side filters, resumption and status, plus gRPC health
//     checking and reflection. It listens on a unix socket with
//     restrictive permissions and, optionally, on TCP with mandatory
//     mutual TLS.
//   - HTTPOutput posts each alert as Falco's JSON to a URL, the input
//     falcosidekick expects, with retries, backoff and a bounded queue.
//   - Metrics is a Prometheus registry with Falco's and falco-exporter's
//     metric names, and WebServer serves it at /metrics next to /healthz
//     and /readyz.
//
// The agent wires it up in a few lines:
//
//	hub := output.NewHub(output.HubOptions{})
//	metrics := output.NewMetrics(output.MetricsOptions{Hub: hub, Status: agentStatus})
//	grpcSrv, err := output.NewGRPCServer(output.GRPCOptions{Hub: hub, Status: agentStatus})
//	web, err := output.NewWebServer(output.WebOptions{Metrics: metrics})
//	go grpcSrv.Run(ctx); go web.Run(ctx)
//	...
//	hub.Publish(engine.Alert(rule, event))
//
// The generated gRPC code lives in falcopb/... and v1pb; gen.sh
// regenerates it from the .proto files under proto/.
package output

//go:generate bash gen.sh
