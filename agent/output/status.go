package output

import "time"

// StatusSource supplies the agent's state to the status API and the
// metrics. The agent implements it; Status must be safe for concurrent use
// and cheap, as it runs on every scrape and status call.
type StatusSource interface {
	Status() Status
}

// StatusFunc adapts a function to StatusSource.
type StatusFunc func() Status

// Status calls f.
func (f StatusFunc) Status() Status { return f() }

// Status is a snapshot of the agent's state that only the agent knows.
type Status struct {
	// Ruleset describes the loaded ruleset.
	Ruleset RulesetInfo
	// Kernel counts kernel events and drops per category (the capture
	// engine's own categories, e.g. "syscall", "proc", "ringbuf").
	Kernel []KernelCounters
	// ProcessTableSize is the number of threads the agent tracks.
	ProcessTableSize int
}

// RulesetInfo identifies the loaded ruleset.
type RulesetInfo struct {
	// Digest is the ruleset artifact's digest ("sha256:...").
	Digest string
	// Version is the ruleset's version (an OCI tag or a commit).
	Version string
	// LoadedAt is when the ruleset was swapped in.
	LoadedAt time.Time
	// Files are the rule files the ruleset was compiled from.
	Files []RuleFile
}

// RuleFile is one source rule file of a ruleset.
type RuleFile struct {
	Name   string
	SHA256 string
}

// KernelCounters counts one category of kernel events.
type KernelCounters struct {
	Category string
	// Events is the number of events received; Drops the number the
	// kernel side could not deliver (ring buffer full).
	Events, Drops uint64
}

// Version describes the agent for Falco's version API and the metrics.
type Version struct {
	// Version is the agent's version ("v0.3.1", "0.3.1-rc.1+abc").
	Version string
	// EngineVersion is the version of the rules engine as Falco reports
	// it ("0.50.0"): the rules' required_engine_version is checked
	// against it.
	EngineVersion string
	// EngineFieldsChecksum is Falco's checksum of the supported fields
	// (may be empty).
	EngineFieldsChecksum string
}
