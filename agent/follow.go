package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/semver"

	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
	"github.com/falconer-sec/falconer/registry"
)

// DefaultInterval is how often a Follower checks its references by
// default.
const DefaultInterval = time.Minute

// FollowConfig configures a Follower. Fields left zero take the defaults
// named.
type FollowConfig struct {
	// Refs are the followed references, registry/repository:tag (checked
	// for changes) or registry/repository@digest (fixed).
	Refs []string
	// Watch are local rule directories, rule files or compiled rulesets
	// (.fcr) to reload when they change, for development. They are not
	// verified.
	Watch []string

	// Trust decides which pulled rulesets may be activated. It is
	// required when Refs is not empty.
	Trust TrustPolicy
	// Remote says how to reach the registries; Limits bound what a pull
	// accepts.
	Remote registry.Remote
	Limits registry.Limits

	// Interval is how often each reference is checked (default
	// DefaultInterval), varied by ±Jitter (a fraction, default 0.1;
	// negative for none) so that a fleet does not poll in step. After
	// failed checks the wait doubles, up to MaxBackoff (default 8
	// intervals); a registry's Retry-After is honoured.
	Interval   time.Duration
	Jitter     float64
	MaxBackoff time.Duration
	// WatchInterval is how often watched paths are checked (default 1s).
	WatchInterval time.Duration

	// CacheDir keeps the last-known-good artifact of each reference, so
	// that the agent starts offline with it (it is verified again on
	// load). Empty disables the cache.
	CacheDir string
	// AllowRollback accepts rulesets older than the active one.
	AllowRollback bool
	// EngineVersion is the engine version requirements are checked
	// against (default EngineVersion).
	EngineVersion string

	// Log receives progress and error messages (default os.Stderr).
	Log io.Writer
}

// Ruleset is a merged ruleset ready to activate.
type Ruleset struct {
	Program *ir.Program
	// Digest and Version describe it: those of the one source, or the
	// sources' joined by commas, in merge order.
	Digest, Version string
}

// A Target takes the rulesets a Follower accepts and hears about those it
// refuses. *Agent is one; Callbacks adapts plain functions (a simulation,
// a test).
type Target interface {
	// Activate switches to r and returns the pause it caused. An error
	// leaves the previous ruleset active; the Follower reports it as a
	// rejection.
	Activate(r *Ruleset) (time.Duration, error)
	// Rejected reports a refused update.
	Rejected(Rejection)
}

// Callbacks is a Target made of functions; nil ones accept and ignore.
type Callbacks struct {
	OnActivate func(*Ruleset) (time.Duration, error)
	OnReject   func(Rejection)
}

// Activate implements Target.
func (c Callbacks) Activate(r *Ruleset) (time.Duration, error) {
	if c.OnActivate == nil {
		return 0, nil
	}
	return c.OnActivate(r)
}

// Rejected implements Target.
func (c Callbacks) Rejected(r Rejection) {
	if c.OnReject != nil {
		c.OnReject(r)
	}
}

// Follower keeps a ruleset in step with followed registry references and
// watched local paths. Every new digest is pulled, verified against the
// trust policy, checked (engine version, rollback), decoded and merged
// with the other sources' rulesets before it is handed to the Target; a
// ruleset failing any step is refused and the previous one stays active.
//
// Sources merge in a fixed order: the references in the order given,
// then the watched paths. Rules keep the position of their first
// definition; a later source defining (or disabling) a rule of the same
// name replaces it. See docs/follow.md.
type Follower struct {
	cfg    FollowConfig
	log    io.Writer
	head   *headClient
	base   http.RoundTripper
	cache  *cache
	engine string

	actMu sync.Mutex // serialises activations

	mu      sync.Mutex // guards what follows and every source's state
	sources []*source
	active  *ActiveRuleset
	pending []Rejection // refused before Run had a Target
	inited  bool
}

// source is one followed reference or watched path.
type source struct {
	kind string // "registry" or "local"
	ref  reference
	path string

	cur         *candidate
	from        string
	activatedAt time.Time
	failures    int
	rejDigest   string // last refused digest and why
	rejReason   string
	pullForHead bool   // the HEAD check is denied: detect changes by pulling
	fp          string // local: fingerprint of the active files
	st          SourceStatus
}

// NewFollower checks cfg and prepares a Follower; Init loads the first
// ruleset and Run follows changes.
func NewFollower(cfg FollowConfig) (*Follower, error) {
	if len(cfg.Refs) == 0 && len(cfg.Watch) == 0 {
		return nil, errors.New("follow: nothing to follow")
	}
	if len(cfg.Refs) > 0 {
		if err := cfg.Trust.check(); err != nil {
			return nil, fmt.Errorf("follow: %w", err)
		}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Jitter == 0 {
		cfg.Jitter = 0.1
	}
	cfg.Jitter = min(cfg.Jitter, 0.5)
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 8 * cfg.Interval
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.Interval)
	if cfg.WatchInterval <= 0 {
		cfg.WatchInterval = time.Second
	}
	if cfg.EngineVersion == "" {
		cfg.EngineVersion = EngineVersion
	}
	if !semver.IsValid("v" + cfg.EngineVersion) {
		return nil, fmt.Errorf("follow: engine version %q is not a semantic version", cfg.EngineVersion)
	}
	f := &Follower{cfg: cfg, log: cfg.Log, engine: cfg.EngineVersion}
	if f.log == nil {
		f.log = os.Stderr
	}
	var err error
	if f.head, f.base, err = newHeadClient(cfg.Remote); err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	if cfg.CacheDir != "" {
		f.cache = &cache{dir: cfg.CacheDir}
	}
	seen := map[string]bool{}
	for _, r := range cfg.Refs {
		ref, err := parseReference(r)
		if err != nil {
			return nil, fmt.Errorf("follow: %w", err)
		}
		if seen[ref.String()] {
			return nil, fmt.Errorf("follow: %s given twice", ref)
		}
		seen[ref.String()] = true
		f.sources = append(f.sources, &source{kind: "registry", ref: ref, st: SourceStatus{Ref: ref.String(), Kind: "registry"}})
	}
	for _, p := range cfg.Watch {
		if seen[p] {
			return nil, fmt.Errorf("follow: %s given twice", p)
		}
		seen[p] = true
		f.sources = append(f.sources, &source{kind: "local", path: p, st: SourceStatus{Ref: p, Kind: "local"}})
	}
	return f, nil
}

func (f *Follower) logf(format string, args ...any) {
	fmt.Fprintf(f.log, "falconer-agent: "+format+"\n", args...)
}

// Init loads the first ruleset of every source and returns their merge,
// without activating anything. A reference whose last-known-good artifact
// is cached (and still verifies) starts from it when the registry cannot
// be reached or offers nothing acceptable; otherwise Init keeps trying,
// with the backoff of Run, until it gets a ruleset or ctx is done. A
// watched path that does not load is an error.
func (f *Follower) Init(ctx context.Context) (*Ruleset, error) {
	f.mu.Lock()
	if f.inited {
		f.mu.Unlock()
		return nil, errors.New("follow: Init called twice")
	}
	f.mu.Unlock()
	for _, s := range f.sources {
		var err error
		if s.kind == "local" {
			err = f.initLocal(s)
		} else {
			err = f.initRegistry(ctx, s)
		}
		if err != nil {
			return nil, err
		}
	}
	f.actMu.Lock()
	defer f.actMu.Unlock()
	rs, err := f.merged(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sources {
		s.activatedAt = now
	}
	f.active = &ActiveRuleset{Digest: rs.Digest, Version: rs.Version, Rules: len(rs.Program.Rules), ActivatedAt: now}
	f.inited = true
	return rs, nil
}

// initRegistry gets the first ruleset of a reference: from the cache,
// then from the registry (which wins when it offers an acceptable newer
// one).
func (f *Follower) initRegistry(ctx context.Context, s *source) error {
	if f.cache != nil {
		c, err := f.loadCache(ctx, s)
		switch {
		case err == nil:
			f.mu.Lock()
			s.cur, s.from = c, "cache"
			f.mu.Unlock()
			f.logf("%s: last-known-good %s (version %s) verified from the cache", s.ref, c.digest, c.version)
		case !errors.Is(err, errNoCache):
			f.logf("%s: cached ruleset not used: %v", s.ref, err)
		}
	}
	for {
		wait := f.poll(ctx, s, nil)
		f.mu.Lock()
		have, failures, lastErr := s.cur != nil, s.failures, s.st.LastError
		f.mu.Unlock()
		if have {
			if lastErr != "" {
				f.logf("%s: starting from the cached ruleset: %s", s.ref, lastErr)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("follow %s: %w (last error: %s)", s.ref, ctx.Err(), lastErr)
		}
		d := f.delay(failures, wait)
		f.logf("%s: no ruleset yet (%s); retrying in %s", s.ref, lastErr, d.Round(time.Millisecond))
		f.setNext(s, d)
		if !sleep(ctx, d) {
			return fmt.Errorf("follow %s: %w (last error: %s)", s.ref, ctx.Err(), lastErr)
		}
	}
}

// Run checks every source until ctx is done, hands each accepted ruleset
// to t, and reports refused ones to it. Init must have been called.
func (f *Follower) Run(ctx context.Context, t Target) error {
	f.mu.Lock()
	if !f.inited {
		f.mu.Unlock()
		return errors.New("follow: Run before Init")
	}
	pending := f.pending
	f.pending = nil
	f.mu.Unlock()
	for _, r := range pending {
		t.Rejected(r)
	}
	var wg sync.WaitGroup
	for _, s := range f.sources {
		wg.Go(func() { f.loop(ctx, s, t) })
	}
	wg.Wait()
	return nil
}

// loop checks one source until ctx is done.
func (f *Follower) loop(ctx context.Context, s *source, t Target) {
	if s.kind == "registry" && s.ref.Digest != "" {
		return // a digest reference never changes
	}
	f.mu.Lock()
	fromCache := s.from == "cache"
	f.mu.Unlock()
	var wait time.Duration
	switch {
	case s.kind == "local":
		wait = f.cfg.WatchInterval
	case fromCache:
		wait = 0 // started offline: look at the registry now
	default:
		// Init just checked. Start anywhere in the first interval, so
		// that nodes started together (a rollout) do not poll in step.
		wait = time.Duration(rand.Int64N(int64(f.cfg.Interval)) + 1)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		f.setNext(s, wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if s.kind == "local" {
			f.pollLocal(ctx, s, t)
			wait = f.cfg.WatchInterval
		} else {
			ra := f.poll(ctx, s, t)
			f.mu.Lock()
			failures := s.failures
			f.mu.Unlock()
			wait = f.delay(failures, ra)
		}
		timer.Reset(wait)
	}
}

// delay is the wait before the next check: the interval, doubled for
// each consecutive failure after the first up to MaxBackoff, jittered, and
// never shorter than what the registry asked for.
func (f *Follower) delay(failures int, retryAfter time.Duration) time.Duration {
	d := f.cfg.Interval
	if failures > 1 {
		shift := min(failures-1, 20)
		d <<= shift
		if d <= 0 || d > f.cfg.MaxBackoff {
			d = f.cfg.MaxBackoff
		}
	}
	if j := f.cfg.Jitter; j > 0 {
		d = time.Duration(float64(d) * (1 + j*(2*rand.Float64()-1)))
	}
	return max(d, retryAfter)
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// poll checks a reference once: one HEAD request, and when the digest is
// new, pull, verify, check and activate. With t nil (during Init) an
// accepted ruleset is only recorded. It returns the wait a rate-limiting
// registry asked for.
func (f *Follower) poll(ctx context.Context, s *source, t Target) time.Duration {
	f.mu.Lock()
	s.st.LastCheck = time.Now()
	s.st.Checks++
	cur := s.cur
	rejDigest, rejReason := s.rejDigest, s.rejReason
	f.mu.Unlock()

	d, err := f.resolve(ctx, s)
	if ctx.Err() != nil {
		return 0 // stopping: not a failure of the registry
	}
	if err != nil {
		return f.failed(s, err)
	}
	if cur != nil && d == cur.digest {
		f.succeeded(s)
		return 0
	}
	if d == rejDigest && final(rejReason) {
		// Refused for good: nothing to fetch again until the tag moves.
		f.mu.Lock()
		s.failures = 0
		f.mu.Unlock()
		return 0
	}
	c, rec, err := f.fetchLive(ctx, s, d)
	if ctx.Err() != nil {
		return 0
	}
	if err != nil {
		if transient(err) {
			return f.failed(s, err)
		}
		f.reject(s, t, d, "", err)
		return 0
	}
	if cur != nil && !f.cfg.AllowRollback {
		if err := checkRollback(cur.version, cur.created, c); err != nil {
			f.reject(s, t, d, c.version, err)
			return 0
		}
	}
	if err := f.activate(s, c, "registry", t); err != nil {
		f.reject(s, t, d, c.version, err)
		return 0
	}
	f.succeeded(s)
	f.logf("%s: activated %s (version %s, %d rules), verified by %s", s.ref, c.digest, c.version, len(c.program.Rules), c.verifiedBy)
	f.saveCache(ctx, s, c, rec)
	return 0
}

// resolve returns the digest s's tag points at.
func (f *Follower) resolve(ctx context.Context, s *source) (string, error) {
	f.mu.Lock()
	byPull := s.pullForHead
	f.mu.Unlock()
	if !byPull {
		d, err := f.head.digest(ctx, s.ref)
		r := f.cfg.Remote
		explicit := r.Token != "" || r.Username != "" || r.Password != ""
		if !errors.Is(err, registry.ErrDenied) || explicit {
			return d, err
		}
		// The registry wants credentials the HEAD check does not have
		// (docker config, credsStore, credHelpers): the registry client has
		// them, at the cost of a pull per check.
		f.logf("%s: change detection by HEAD is denied (%v); detecting changes by pulling with the docker credentials", s.ref, err)
		f.mu.Lock()
		s.pullForHead = true
		f.mu.Unlock()
	}
	remote := f.cfg.Remote
	remote.Transport = f.base
	p, err := registry.Pull(ctx, s.ref.String(), registry.PullOptions{Remote: remote, Limits: f.cfg.Limits})
	if err != nil {
		return "", err
	}
	return p.Digest, nil
}

// fetchLive verifies and pulls digest d of s from the registry, recording
// the answers for the cache when there is one.
func (f *Follower) fetchLive(ctx context.Context, s *source, d string) (*candidate, *recorder, error) {
	remote := f.cfg.Remote
	remote.Transport = f.base
	var rec *recorder
	// With a CA file the transport already trusts it; a loopback registry
	// on TLS is the one case the registry client must see the CA file
	// itself (it would use plain HTTP otherwise), and is not recorded.
	if f.cache != nil && !(remote.CAFile != "" && !remote.PlainHTTP && registry.IsLoopback(s.ref.Host)) {
		rec = newRecorder(f.base)
		remote.Transport, remote.CAFile = rec, ""
	}
	c, err := fetch(ctx, s.ref.at(d), f.cfg.Trust, remote, f.cfg.Limits, f.engine)
	return c, rec, err
}

// replayRemote is the registry configuration that answers from a cache
// entry.
func (f *Follower) replayRemote(e *cacheEntry) registry.Remote {
	return registry.Remote{
		PlainHTTP: f.cfg.Remote.PlainHTTP,
		Transport: newReplayer(e.Exchanges),
		Retries:   -1,
		UserAgent: f.cfg.Remote.UserAgent,
		// No credentials: the answers are recorded.
		DockerConfig: os.DevNull,
	}
}

// loadCache verifies s's cached artifact again, offline, and returns it.
func (f *Follower) loadCache(ctx context.Context, s *source) (*candidate, error) {
	e, err := f.cache.load(s.ref.String())
	if err != nil {
		return nil, err
	}
	c, err := fetch(ctx, s.ref.at(e.Digest), f.cfg.Trust, f.replayRemote(e), f.cfg.Limits, f.engine)
	if err != nil {
		return nil, fmt.Errorf("cached %s: %w", e.Digest, err)
	}
	return c, nil
}

// saveCache stores the recording of an activated ruleset as s's
// last-known-good, after checking that it verifies on its own.
func (f *Follower) saveCache(ctx context.Context, s *source, c *candidate, rec *recorder) {
	if rec == nil {
		return
	}
	exs, err := rec.exchanges()
	if err != nil {
		f.logf("%s: %v", s.ref, err)
		return
	}
	e := &cacheEntry{Ref: s.ref.String(), Digest: c.digest, Version: c.version, Created: c.created, Saved: time.Now().UTC(), Exchanges: exs}
	// Offline and quick: finish it even when the follower is stopping.
	ctx = context.WithoutCancel(ctx)
	if _, err := fetch(ctx, s.ref.at(e.Digest), f.cfg.Trust, f.replayRemote(e), f.cfg.Limits, f.engine); err != nil {
		f.logf("%s: not cached: the recorded answers do not verify on their own: %v", s.ref, err)
		return
	}
	if err := f.cache.save(e); err != nil {
		f.logf("%s: %v", s.ref, err)
	}
}

// activate merges c (as s's new ruleset) with the other sources' and hands
// the result to t; on success c becomes s's active ruleset. With t nil it
// only records c.
func (f *Follower) activate(s *source, c *candidate, from string, t Target) error {
	f.actMu.Lock()
	defer f.actMu.Unlock()
	if t != nil {
		rs, err := f.merged(s, c)
		if err != nil {
			return fmt.Errorf("%w: merge: %v", ErrActivate, err)
		}
		pause, err := t.Activate(rs)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrActivate, err)
		}
		now := time.Now()
		f.mu.Lock()
		swaps := uint64(0)
		if f.active != nil {
			swaps = f.active.Swaps
		}
		f.active = &ActiveRuleset{Digest: rs.Digest, Version: rs.Version, Rules: len(rs.Program.Rules), ActivatedAt: now, Swaps: swaps + 1, LastPause: pause}
		s.activatedAt = now
		f.mu.Unlock()
	}
	f.mu.Lock()
	s.cur, s.from = c, from
	s.st.Updates++
	f.mu.Unlock()
	return nil
}

// merged merges the sources' active rulesets, with c in place of s's.
// actMu must be held.
func (f *Follower) merged(s *source, c *candidate) (*Ruleset, error) {
	f.mu.Lock()
	progs := make([]*ir.Program, 0, len(f.sources))
	var digests, versions []string
	for _, o := range f.sources {
		cur := o.cur
		if o == s {
			cur = c
		}
		if cur == nil {
			f.mu.Unlock()
			return nil, fmt.Errorf("%s has no ruleset", o.st.Ref)
		}
		progs = append(progs, cur.program)
		digests = append(digests, cur.digest)
		versions = append(versions, cur.version)
	}
	f.mu.Unlock()
	p, err := Merge(progs...)
	if err != nil {
		return nil, err
	}
	return &Ruleset{Program: p, Digest: strings.Join(digests, ","), Version: strings.Join(versions, ",")}, nil
}

// succeeded records a check that went well.
func (f *Follower) succeeded(s *source) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.failures = 0
	s.st.LastError = ""
}

// failed records a check that could not be made (registry unreachable,
// denied, not found) and returns the wait the registry asked for.
func (f *Follower) failed(s *source, err error) time.Duration {
	f.mu.Lock()
	s.failures++
	s.st.LastError = err.Error()
	s.st.LastErrorAt = time.Now()
	n := s.failures
	f.mu.Unlock()
	if n == 1 || n%10 == 0 {
		f.logf("%s: check failed (%d in a row): %v", s.st.Ref, n, err)
	}
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.Wait
	}
	return 0
}

// reject records a refused update and reports it to t (or keeps it for
// Run when t is nil). The same refusal of the same digest is reported once.
func (f *Follower) reject(s *source, t Target, digest, version string, err error) {
	reason := reasonOf(err)
	now := time.Now()
	f.mu.Lock()
	s.failures = 0
	s.st.LastError = "rejected: " + err.Error()
	s.st.LastErrorAt = now
	repeat := s.rejDigest == digest && s.rejReason == reason && digest != ""
	s.rejDigest, s.rejReason = digest, reason
	r := Rejection{Ref: s.st.Ref, Digest: digest, Version: version, Reason: reason, Err: err.Error(), At: now}
	if s.cur != nil {
		r.ActiveDigest = s.cur.digest
	}
	if !repeat {
		s.st.Rejections++
		s.st.LastRejection = &r
	}
	if t == nil && !repeat {
		f.pending = append(f.pending, r)
	}
	f.mu.Unlock()
	if repeat {
		return
	}
	f.logf("%s: REJECTED %s (%s): %v; keeping %s", s.st.Ref, orUnknown(digest), reason, err, orUnknown(r.ActiveDigest))
	if t != nil {
		t.Rejected(r)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (f *Follower) setNext(s *source, d time.Duration) {
	f.mu.Lock()
	s.st.NextCheck = time.Now().Add(d)
	f.mu.Unlock()
}

// Status returns the follower's state.
func (f *Follower) Status() FollowStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := FollowStatus{Trust: f.cfg.Trust.String(), Interval: f.cfg.Interval.String()}
	if len(f.cfg.Refs) == 0 {
		st.Trust = "local rules only"
	}
	if f.active != nil {
		a := *f.active
		st.Active = &a
	}
	for _, s := range f.sources {
		ss := s.st
		if s.cur != nil {
			ss.Digest, ss.Version, ss.Created = s.cur.digest, s.cur.version, s.cur.created
			ss.Rules, ss.VerifiedBy, ss.From = len(s.cur.program.Rules), s.cur.verifiedBy, s.from
		}
		ss.ActivatedAt = s.activatedAt
		ss.Failures = s.failures
		if s.st.LastRejection != nil {
			r := *s.st.LastRejection
			ss.LastRejection = &r
		}
		st.Sources = append(st.Sources, ss)
	}
	return st
}

// RejectRule is the rule name of the internal alert raised when a ruleset
// update is refused.
const RejectRule = "Falconer internal: ruleset update rejected"

// Activate implements Target: it swaps the agent to r (see Swap).
func (a *Agent) Activate(r *Ruleset) (time.Duration, error) {
	return a.Swap(r.Program, r.Digest, r.Version)
}

// Rejected implements Target: it raises the internal alert RejectRule
// through the agent's alert path. Refusals that suggest tampering
// (signature invalid, content not matching its digest, rollback) are
// Critical, others Error.
func (a *Agent) Rejected(r Rejection) {
	pri := ir.Error
	switch r.Reason {
	case ReasonSignatureInvalid, ReasonInvalidArtifact, ReasonDecode, ReasonRollback:
		pri = ir.Critical
	}
	a.emit(&eval.Alert{
		Time:     r.At.UnixNano(),
		Rule:     RejectRule,
		Priority: pri,
		Source:   "internal",
		Hostname: a.cfg.Hostname,
		Message: fmt.Sprintf("Falconer internal: ruleset update rejected (ref=%s digest=%s version=%s reason=%s active=%s): %s",
			r.Ref, orUnknown(r.Digest), orUnknown(r.Version), r.Reason, orUnknown(r.ActiveDigest), r.Err),
		Fields: []eval.OutputField{
			{Name: "ref", Value: r.Ref},
			{Name: "digest", Value: r.Digest},
			{Name: "version", Value: r.Version},
			{Name: "reason", Value: r.Reason},
			{Name: "error", Value: r.Err},
			{Name: "active_digest", Value: r.ActiveDigest},
		},
	})
	a.out.flush()
}

// Follow keeps the agent's ruleset in step with f, whose Init gave the
// agent its first ruleset: it waits until Run has attached the probe (so
// that each swap also updates the kernel's syscall set), then runs f until
// ctx is done.
func (a *Agent) Follow(ctx context.Context, f *Follower) error {
	select {
	case <-a.ready:
	case <-a.done:
		return errors.New("follow: the agent stopped")
	case <-ctx.Done():
		return nil
	}
	return f.Run(ctx, a)
}
