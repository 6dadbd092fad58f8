package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// FollowStatus is the state of a Follower: the merged active ruleset and,
// per followed source, what is active, when it was last checked, and what
// went wrong last.
type FollowStatus struct {
	// Trust describes the trust policy.
	Trust string `json:"trust"`
	// Interval is the polling interval (before jitter).
	Interval string `json:"interval"`
	// Active is the merged ruleset in use (nil before Init).
	Active *ActiveRuleset `json:"active,omitempty"`
	// Sources are the followed references and watched paths, in merge
	// order.
	Sources []SourceStatus `json:"sources"`
}

// ActiveRuleset describes the merged ruleset a Follower last activated.
type ActiveRuleset struct {
	Digest      string    `json:"digest"`
	Version     string    `json:"version"`
	Rules       int       `json:"rules"`
	ActivatedAt time.Time `json:"activated_at"`
	// Swaps counts activations after the first; LastPause is the pause
	// the last one caused (as Swap measures it).
	Swaps     uint64        `json:"swaps"`
	LastPause time.Duration `json:"last_pause_ns"`
}

// SourceStatus is the state of one followed reference or watched path.
type SourceStatus struct {
	// Ref is the followed reference, or the watched path.
	Ref string `json:"ref"`
	// Kind is "registry" or "local".
	Kind string `json:"kind"`
	// Digest, Version, Created and Rules describe the active ruleset of
	// this source; From says where it was loaded from ("registry",
	// "cache" or "local") and VerifiedBy which trust anchor accepted it.
	Digest     string    `json:"digest,omitempty"`
	Version    string    `json:"version,omitempty"`
	Created    time.Time `json:"created,omitzero"`
	Rules      int       `json:"rules"`
	From       string    `json:"from,omitempty"`
	VerifiedBy string    `json:"verified_by,omitempty"`
	// ActivatedAt is when this source's ruleset became active.
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	// LastCheck is when the source was last checked for a change,
	// NextCheck when it will be next.
	LastCheck time.Time `json:"last_check,omitzero"`
	NextCheck time.Time `json:"next_check,omitzero"`
	// LastError is the error of the last check, "" when it went well;
	// Failures counts consecutive failed checks.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Failures    int       `json:"consecutive_failures,omitempty"`
	// LastRejection is the last update refused, kept after later checks
	// succeed.
	LastRejection *Rejection `json:"last_rejection,omitempty"`
	// Checks, Updates and Rejections count checks made, rulesets
	// activated and updates refused.
	Checks     uint64 `json:"checks"`
	Updates    uint64 `json:"updates"`
	Rejections uint64 `json:"rejections"`
}

// Rejection is an update a Follower refused. The previously active
// ruleset stays active.
type Rejection struct {
	// Ref is the followed reference or watched path.
	Ref string `json:"ref"`
	// Digest and Version identify the refused ruleset (as far as known).
	Digest  string `json:"digest,omitempty"`
	Version string `json:"version,omitempty"`
	// Reason is one of the Reason constants; Err the full error.
	Reason string    `json:"reason"`
	Err    string    `json:"error"`
	At     time.Time `json:"at"`
	// ActiveDigest is the source's ruleset that stays active ("" if
	// none yet).
	ActiveDigest string `json:"active_digest,omitempty"`
}

// Status is what the status endpoint serves: the agent's ruleset and
// counters, and the follower's state when the agent follows a registry or
// watches local rules.
type Status struct {
	Agent  *AgentStatus  `json:"agent,omitempty"`
	Follow *FollowStatus `json:"follow,omitempty"`
}

// AgentStatus is the agent's part of Status.
type AgentStatus struct {
	Digest      string    `json:"digest"`
	Version     string    `json:"version,omitempty"`
	Rules       int       `json:"rules"`
	ActivatedAt time.Time `json:"activated_at"`
	Swaps       uint64    `json:"swaps"`
	Events      uint64    `json:"events"`
	Evaluated   uint64    `json:"evaluated"`
	Alerts      uint64    `json:"alerts"`
	KernelDrops uint64    `json:"kernel_drops"`
}

// agentStatus reads a's part of the status.
func agentStatus(a *Agent) *AgentStatus {
	act, st := a.Active(), a.Stats()
	return &AgentStatus{
		Digest: act.Digest, Version: act.Version, Rules: act.Rules, ActivatedAt: act.Since,
		Swaps: st.Swaps, Events: st.Events, Evaluated: st.Evaluated, Alerts: st.Alerts,
		KernelDrops: st.Kernel.Drops(),
	}
}

// StatusHandler serves Status as JSON on GET /status (and /), from a and
// f, either of which may be nil.
func StatusHandler(a *Agent, f *Follower) http.Handler {
	mux := http.NewServeMux()
	serve := func(w http.ResponseWriter, r *http.Request) {
		var s Status
		if a != nil {
			s.Agent = agentStatus(a)
		}
		if f != nil {
			fs := f.Status()
			s.Follow = &fs
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(s)
	}
	mux.HandleFunc("GET /status", serve)
	mux.HandleFunc("GET /{$}", serve)
	return mux
}

// ServeStatus serves h on addr until ctx is done. It returns once the
// listener is open, with the address it bound (addr may name port 0) and
// a channel that receives the server's error, or nil, when it stops.
func ServeStatus(ctx context.Context, addr string, h http.Handler) (net.Addr, <-chan error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("status endpoint: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	return ln.Addr(), done, nil
}
