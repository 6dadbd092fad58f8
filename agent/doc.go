// Package agent is falconer-agent: the node agent. It captures syscalls
// with the eBPF probe (package bpf), rebuilds process and fd state
// (package state), evaluates every event with the compiled ruleset
// (package compiler/eval, the same evaluator `falconer test` uses), and
// writes alerts in Falco's text or JSON format to stdout and to the
// configured outputs.
//
// The agent is built from small files: agent.go (configuration and the
// run loop), swap.go (atomic ruleset replacement), capture.go (recording
// a .scap file), drops.go (drop accounting and the drop alert), and the
// follower that keeps the ruleset in step with a registry (docs/follow.md):
// follow.go (the poll loop and activation), merge.go, head.go (change
// detection), verify.go (trust policy and checks), cache.go (the
// last-known-good cache), watch.go (local rules) and status.go.
package agent
