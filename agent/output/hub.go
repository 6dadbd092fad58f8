package output

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// Defaults for HubOptions.
const (
	// DefaultBuffer is the per-subscriber buffer length.
	DefaultBuffer = 1024
	// DefaultReplay is the number of recent alerts kept for resumption.
	DefaultReplay = 4096
)

// ErrClosed is returned by Subscribe and Subscription.Next once the hub or
// the subscription is closed.
var ErrClosed = errors.New("output: closed")

// HubOptions configures NewHub. The zero value is ready to use.
type HubOptions struct {
	// Buffer is the default per-subscriber buffer length, in alerts
	// (DefaultBuffer if zero).
	Buffer int
	// Replay is the number of most recent alerts kept for resuming
	// subscribers and for Falco's get (DefaultReplay if zero, none if
	// negative).
	Replay int
	// Observers see every published alert, synchronously, before Publish
	// returns. They must be fast and must not block (Metrics is one).
	Observers []Observer
}

// Observer sees every alert published to a Hub.
type Observer interface {
	// ObserveAlert is called once per alert, possibly from several
	// goroutines at once. It must not modify a nor keep it past return.
	ObserveAlert(a *eval.Alert)
}

// Hub fans alerts out to subscribers. Every subscriber receives every
// alert that passes its filter, through a bounded buffer of its own: when
// a subscriber reads too slowly its buffer fills and further alerts for it
// are dropped and counted, while the publisher and the other subscribers
// go on at full speed. Publish never blocks on a subscriber.
//
// Each published alert gets a sequence number, from 1 without gaps, and
// the most recent ones are kept in a replay window so a subscriber can
// resume after a reconnect.
//
// A Hub is safe for concurrent use.
type Hub struct {
	buffer    int
	observers []Observer

	mu        sync.Mutex
	seq       uint64
	ring      []Entry // the replay window, oldest at ring[start]
	start     int
	n         int
	subs      []*Subscription
	getCursor uint64 // Falco's get: the last seq handed out
	outputs   map[string]*outputCounters
	closed    bool
}

// outputCounters counts one kind of output, including its closed
// subscriptions.
type outputCounters struct {
	subscribers atomic.Int64
	delivered   atomic.Uint64
	dropped     atomic.Uint64
}

// NewHub returns a hub with no subscribers.
func NewHub(opts HubOptions) *Hub {
	h := &Hub{buffer: opts.Buffer, observers: opts.Observers, outputs: map[string]*outputCounters{}}
	if h.buffer <= 0 {
		h.buffer = DefaultBuffer
	}
	switch {
	case opts.Replay == 0:
		h.ring = make([]Entry, DefaultReplay)
	case opts.Replay > 0:
		h.ring = make([]Entry, opts.Replay)
	}
	return h
}

// Entry is one alert as a subscriber receives it.
type Entry struct {
	// Seq is the alert's sequence number.
	Seq uint64
	// Alert is the alert, shared by every subscriber: do not modify it.
	// It is nil in an entry that only reports a loss (the first entry
	// of a resumed subscription whose resume point left the window).
	Alert *eval.Alert
	// Lost is the number of alerts for this subscription lost just
	// before this entry, after sequence number LostAfter, for Reason.
	Lost      uint64
	LostAfter uint64
	Reason    LossReason

	enc *encodings // the alert's wire forms, shared by all subscribers
}

// LossReason says why a subscription lost alerts.
type LossReason int

// The loss reasons.
const (
	// LossNone: nothing was lost.
	LossNone LossReason = iota
	// LossSlowConsumer: the subscriber's buffer was full.
	LossSlowConsumer
	// LossReplayWindow: the resume point is older than the replay
	// window. The count includes alerts the filter would have rejected.
	LossReplayWindow
)

// String names the reason.
func (r LossReason) String() string {
	switch r {
	case LossNone:
		return "none"
	case LossSlowConsumer:
		return "slow consumer"
	case LossReplayWindow:
		return "replay window exceeded"
	}
	return "unknown"
}

// Filter selects alerts. The zero Filter selects every alert; every
// criterion that is set must hold.
type Filter struct {
	// MinPriority, if not nil, keeps alerts at least this severe
	// (ir.Warning keeps Emergency through Warning).
	MinPriority *ir.Priority
	// Rules keeps the alerts of these rules (exact names).
	Rules []string
	// Tags keeps alerts whose rule has at least one of these tags.
	Tags []string
	// Sources keeps alerts from these event sources.
	Sources []string
}

// matcher is a Filter prepared for matching.
type matcher struct {
	hasMin  bool
	min     ir.Priority
	rules   map[string]bool
	tags    map[string]bool
	sources map[string]bool
}

func setOf(ss []string) map[string]bool {
	if len(ss) == 0 {
		return nil
	}
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func (f Filter) matcher() matcher {
	m := matcher{rules: setOf(f.Rules), tags: setOf(f.Tags), sources: setOf(f.Sources)}
	if f.MinPriority != nil {
		m.hasMin, m.min = true, *f.MinPriority
	}
	return m
}

// Match reports whether a passes the filter.
func (f Filter) Match(a *eval.Alert) bool {
	m := f.matcher()
	return m.match(a)
}

func (m *matcher) match(a *eval.Alert) bool {
	if m.hasMin && a.Priority > m.min {
		return false
	}
	if m.rules != nil && !m.rules[a.Rule] {
		return false
	}
	if m.sources != nil && !m.sources[a.Source] {
		return false
	}
	if m.tags != nil {
		for _, t := range a.Tags {
			if m.tags[t] {
				return true
			}
		}
		return false
	}
	return true
}

// SubscribeOptions configures Hub.Subscribe. The zero value subscribes to
// every alert from now on.
type SubscribeOptions struct {
	// Output names the kind of output the subscription feeds ("grpc",
	// "http"), for the drop and delivery counters; "" counts as "other".
	Output string
	// Filter selects the alerts to receive.
	Filter Filter
	// Buffer overrides the hub's buffer length for this subscription.
	Buffer int
	// Resume asks for the alerts still in the replay window with a
	// sequence number greater than After, ahead of the live alerts. An
	// After beyond the latest sequence number (the agent restarted)
	// counts as 0. Alerts after After that already left the window are
	// reported as lost (LossReplayWindow) in the first entry.
	Resume bool
	After  uint64
}

// Subscription receives alerts from a Hub. Next must be called from one
// goroutine at a time; Close and the counters may be called from any.
type Subscription struct {
	hub     *Hub
	counter *outputCounters
	match   matcher
	ch      chan Entry
	replay  []Entry // entries owed from the replay window, read by Next first

	// Guarded by hub.mu.
	lost       uint64
	lastQueued uint64
	removed    bool

	dropped   atomic.Uint64
	delivered atomic.Uint64
}

// Subscribe adds a subscriber. It fails only when the hub is closed.
func (h *Hub) Subscribe(opts SubscribeOptions) (*Subscription, error) {
	buf := opts.Buffer
	if buf <= 0 {
		buf = h.buffer
	}
	kind := opts.Output
	if kind == "" {
		kind = "other"
	}
	s := &Subscription{hub: h, match: opts.Filter.matcher(), ch: make(chan Entry, buf)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	s.counter = h.outputsLocked(kind)
	s.counter.subscribers.Add(1)
	s.lastQueued = h.seq
	if opts.Resume {
		s.replay = h.replayLocked(opts.After, &s.match)
	}
	h.subs = append(h.subs, s)
	return s, nil
}

func (h *Hub) outputsLocked(kind string) *outputCounters {
	c := h.outputs[kind]
	if c == nil {
		c = &outputCounters{}
		h.outputs[kind] = c
	}
	return c
}

// oldestLocked returns the oldest sequence number in the window, or the
// next one to be published if the window is empty.
func (h *Hub) oldestLocked() uint64 {
	if h.n == 0 {
		return h.seq + 1
	}
	return h.ring[h.start].Seq
}

// replayLocked returns the window's entries after seq after that m
// accepts, preceded by a loss entry when after is older than the window.
func (h *Hub) replayLocked(after uint64, m *matcher) []Entry {
	if after > h.seq {
		after = 0
	}
	var out []Entry
	if oldest := h.oldestLocked(); oldest > after+1 {
		out = append(out, Entry{Seq: oldest - 1, Lost: oldest - 1 - after, LostAfter: after, Reason: LossReplayWindow})
	}
	for i := 0; i < h.n; i++ {
		e := h.ring[(h.start+i)%len(h.ring)]
		if e.Seq > after && (m == nil || m.match(e.Alert)) {
			out = append(out, Entry{Seq: e.Seq, Alert: e.Alert, enc: e.enc})
		}
	}
	return out
}

// Publish assigns a the next sequence number and hands it to every
// subscriber whose filter accepts it, without waiting for any of them.
// A nil alert is ignored. The hub keeps a; do not modify it afterwards.
func (h *Hub) Publish(a *eval.Alert) {
	if a == nil {
		return
	}
	h.mu.Lock()
	h.seq++
	seq := h.seq
	var enc *encodings // shared wire forms, worth it only with subscribers
	if len(h.subs) > 0 {
		enc = &encodings{}
	}
	if len(h.ring) > 0 {
		if h.n < len(h.ring) {
			h.ring[(h.start+h.n)%len(h.ring)] = Entry{Seq: seq, Alert: a, enc: enc}
			h.n++
		} else {
			h.ring[h.start] = Entry{Seq: seq, Alert: a, enc: enc}
			h.start = (h.start + 1) % len(h.ring)
		}
	}
	for _, s := range h.subs {
		if !s.match.match(a) {
			continue
		}
		e := Entry{Seq: seq, Alert: a, enc: enc}
		if s.lost > 0 {
			e.Lost, e.LostAfter, e.Reason = s.lost, s.lastQueued, LossSlowConsumer
		}
		select {
		case s.ch <- e:
			s.lost = 0
			s.lastQueued = seq
		default:
			s.lost++
			s.dropped.Add(1)
			s.counter.dropped.Add(1)
		}
	}
	obs := h.observers
	h.mu.Unlock()
	for _, o := range obs {
		o.ObserveAlert(a)
	}
}

// addObserver adds o to the observers of later alerts.
func (h *Hub) addObserver(o Observer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.observers = append(h.observers[:len(h.observers):len(h.observers)], o)
}

// Next returns the subscription's next entry, waiting for one if needed.
// It returns ErrClosed once the subscription or the hub is closed and
// the buffered entries are drained, or ctx's error when ctx ends first.
func (s *Subscription) Next(ctx context.Context) (Entry, error) {
	if len(s.replay) > 0 {
		e := s.replay[0]
		s.replay[0] = Entry{}
		s.replay = s.replay[1:]
		if e.Alert != nil {
			s.delivered.Add(1)
			s.counter.delivered.Add(1)
		}
		return e, nil
	}
	select {
	case e, ok := <-s.ch:
		if !ok {
			return Entry{}, ErrClosed
		}
		s.delivered.Add(1)
		s.counter.delivered.Add(1)
		return e, nil
	case <-ctx.Done():
		return Entry{}, ctx.Err()
	}
}

// Close removes the subscription from the hub. Entries already buffered
// can still be read with Next. Close is idempotent.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(s)
}

func (h *Hub) removeLocked(s *Subscription) {
	if s.removed {
		return
	}
	s.removed = true
	for i, x := range h.subs {
		if x == s {
			h.subs = append(h.subs[:i:i], h.subs[i+1:]...)
			break
		}
	}
	s.counter.subscribers.Add(-1)
	close(s.ch)
}

// Dropped returns the number of alerts this subscription lost because its
// buffer was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Delivered returns the number of alerts Next has returned.
func (s *Subscription) Delivered() uint64 { return s.delivered.Load() }

// Close closes every subscription; later Subscribe calls fail with
// ErrClosed and later alerts reach only the observers and the replay
// window.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for len(h.subs) > 0 {
		h.removeLocked(h.subs[len(h.subs)-1])
	}
}

// takeQueued implements Falco's get: it returns the alerts in the window
// published since the previous call (every call shares one cursor, as
// Falco's single queue did) and advances the cursor.
func (h *Hub) takeQueued() []Entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.replayLocked(h.getCursor, nil)
	if len(out) > 0 && out[0].Alert == nil {
		out = out[1:]
	}
	h.getCursor = h.seq
	return out
}

// HubStats is a snapshot of a hub's counters.
type HubStats struct {
	// LastSeq is the sequence number of the latest alert (0 if none).
	LastSeq uint64
	// OldestSeq is the oldest sequence number in the replay window (0
	// if it is empty); ReplayCapacity is the window's size.
	OldestSeq      uint64
	ReplayCapacity int
	// Outputs has one entry per kind of output, sorted by name.
	Outputs []OutputStats
}

// OutputStats counts the subscriptions of one kind of output, closed ones
// included.
type OutputStats struct {
	Output      string
	Subscribers int
	// Delivered counts the alerts the output took from its buffers;
	// Dropped counts the alerts lost because a buffer was full.
	Delivered, Dropped uint64
}

// Stats returns the hub's counters.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	st := HubStats{LastSeq: h.seq, ReplayCapacity: len(h.ring)}
	if h.n > 0 {
		st.OldestSeq = h.ring[h.start].Seq
	}
	for name, c := range h.outputs {
		st.Outputs = append(st.Outputs, OutputStats{
			Output:      name,
			Subscribers: int(c.subscribers.Load()),
			Delivered:   c.delivered.Load(),
			Dropped:     c.dropped.Load(),
		})
	}
	h.mu.Unlock()
	sort.Slice(st.Outputs, func(i, j int) bool { return st.Outputs[i].Output < st.Outputs[j].Output })
	return st
}

// Dropped returns the number of alerts lost by every subscription so far.
func (st HubStats) Dropped() uint64 {
	var n uint64
	for _, o := range st.Outputs {
		n += o.Dropped
	}
	return n
}
