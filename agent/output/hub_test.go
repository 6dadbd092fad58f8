package output

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// drain reads n entries from s.
func drain(t *testing.T, s *Subscription, n int) []Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []Entry
	for len(out) < n {
		e, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %d entries: %v", len(out), err)
		}
		out = append(out, e)
	}
	return out
}

// seqs returns the sequence numbers of the entries that carry an alert.
func seqs(es []Entry) []uint64 {
	var out []uint64
	for _, e := range es {
		if e.Alert != nil {
			out = append(out, e.Seq)
		}
	}
	return out
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestHubFanOut(t *testing.T) {
	h := NewHub(HubOptions{})
	var subs []*Subscription
	for range 3 {
		s, err := h.Subscribe(SubscribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	for i := range 10 {
		h.Publish(testAlert(i))
	}
	for i, s := range subs {
		got := seqs(drain(t, s, 10))
		if diff := cmp.Diff(seqRange(1, 10), got); diff != "" {
			t.Errorf("subscriber %d: seqs (-want +got):\n%s", i, diff)
		}
		if s.Dropped() != 0 || s.Delivered() != 10 {
			t.Errorf("subscriber %d: Dropped, Delivered = %d, %d, want 0, 10", i, s.Dropped(), s.Delivered())
		}
	}
}

func TestFilter(t *testing.T) {
	warning, emergency := ir.Warning, ir.Emergency
	tests := []struct {
		name   string
		filter Filter
		want   []int // indexes of testAlert(0..2) that pass
	}{
		{"zero", Filter{}, []int{0, 1, 2}},
		{"min warning", Filter{MinPriority: &warning}, []int{1, 2}},
		{"min emergency", Filter{MinPriority: &emergency}, nil},
		{"rule", Filter{Rules: []string{"Read sensitive file untrusted"}}, []int{1}},
		{"tags any", Filter{Tags: []string{"network", "shell"}}, []int{0, 2}},
		{"tag none", Filter{Tags: []string{"nope"}}, nil},
		{"source", Filter{Sources: []string{"k8s_audit"}}, []int{2}},
		{"all criteria", Filter{MinPriority: &warning, Tags: []string{"filesystem", "shell"}, Sources: []string{"syscall"}}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for i := range 3 {
				if tt.filter.Match(testAlert(i)) {
					got = append(got, i)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("matching alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHubSlowConsumer(t *testing.T) {
	h := NewHub(HubOptions{Buffer: 4})
	slow, _ := h.Subscribe(SubscribeOptions{Output: "grpc"})
	fast, _ := h.Subscribe(SubscribeOptions{Output: "grpc", Buffer: 100})
	for i := range 10 {
		h.Publish(testAlert(i))
	}
	if got := slow.Dropped(); got != 6 {
		t.Errorf("slow.Dropped() = %d, want 6", got)
	}
	if got := fast.Dropped(); got != 0 {
		t.Errorf("fast.Dropped() = %d, want 0", got)
	}
	if got := seqs(drain(t, fast, 10)); !cmp.Equal(got, seqRange(1, 10)) {
		t.Errorf("fast got %v", got)
	}
	// The slow subscriber got 1-4; the next alert it receives reports
	// the 6 it missed in between.
	first := drain(t, slow, 4)
	if got := seqs(first); !cmp.Equal(got, seqRange(1, 4)) {
		t.Errorf("slow got %v, want 1-4", got)
	}
	h.Publish(testAlert(10))
	e := drain(t, slow, 1)[0]
	want := Entry{Seq: 11, Lost: 6, LostAfter: 4, Reason: LossSlowConsumer}
	got := Entry{Seq: e.Seq, Lost: e.Lost, LostAfter: e.LostAfter, Reason: e.Reason}
	if got != want {
		t.Errorf("entry after the loss = %+v, want %+v", got, want)
	}
	st := h.Stats()
	if diff := cmp.Diff([]OutputStats{{Output: "grpc", Subscribers: 2, Delivered: 15, Dropped: 6}}, st.Outputs); diff != "" {
		t.Errorf("Stats().Outputs (-want +got):\n%s", diff)
	}
	if st.Dropped() != 6 || st.LastSeq != 11 {
		t.Errorf("Stats() = %+v", st)
	}
}

// TestHubPublishNeverBlocks publishes far more than a stalled
// subscriber's buffer from several goroutines: Publish must return and
// count every alert the stalled subscriber could not take.
func TestHubPublishNeverBlocks(t *testing.T) {
	h := NewHub(HubOptions{Buffer: 16, Replay: 64})
	stalled, _ := h.Subscribe(SubscribeOptions{})
	const goroutines, per = 4, 5000
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range per {
					h.Publish(testAlert(g*per + i))
				}
			})
		}
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Publish blocked on a stalled subscriber")
	}
	if got, want := stalled.Dropped(), uint64(goroutines*per-16); got != want {
		t.Errorf("Dropped() = %d, want %d", got, want)
	}
	if got := h.Stats().LastSeq; got != goroutines*per {
		t.Errorf("LastSeq = %d, want %d", got, goroutines*per)
	}
}

func TestHubResume(t *testing.T) {
	warning := ir.Warning
	tests := []struct {
		name      string
		after     uint64
		filter    Filter
		wantLoss  Entry // zero if no loss entry expected
		wantSeqs  []uint64
		published int
	}{
		{name: "inside window", after: 7, published: 10, wantSeqs: seqRange(8, 10)},
		{name: "at the end", after: 10, published: 10, wantSeqs: nil},
		{name: "whole window", after: 5, published: 10, wantSeqs: seqRange(6, 10)},
		{
			name: "older than window", after: 2, published: 10,
			wantLoss: Entry{Seq: 5, Lost: 3, LostAfter: 2, Reason: LossReplayWindow},
			wantSeqs: seqRange(6, 10),
		},
		{
			name: "filtered", after: 5, published: 10, filter: Filter{MinPriority: &warning},
			// testAlert(i) has seq i+1; Warning or worse are i%3 != 0.
			wantSeqs: []uint64{6, 8, 9},
		},
		{
			name: "beyond latest (restart)", after: 999, published: 10,
			wantLoss: Entry{Seq: 5, Lost: 5, LostAfter: 0, Reason: LossReplayWindow},
			wantSeqs: seqRange(6, 10),
		},
		{name: "empty hub", after: 0, published: 0, wantSeqs: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHub(HubOptions{Replay: 5})
			for i := range tt.published {
				h.Publish(testAlert(i))
			}
			s, err := h.Subscribe(SubscribeOptions{Resume: true, After: tt.after, Filter: tt.filter})
			if err != nil {
				t.Fatal(err)
			}
			n := len(tt.wantSeqs)
			if tt.wantLoss != (Entry{}) {
				n++
			}
			got := drain(t, s, n)
			if tt.wantLoss != (Entry{}) {
				if got[0] != tt.wantLoss {
					t.Errorf("first entry = %+v, want %+v", got[0], tt.wantLoss)
				}
				got = got[1:]
			}
			if diff := cmp.Diff(tt.wantSeqs, seqs(got)); diff != "" {
				t.Errorf("replayed seqs (-want +got):\n%s", diff)
			}
			// Live alerts follow the replay without a gap.
			h.Publish(testAlert(1))
			if e := drain(t, s, 1)[0]; e.Seq != uint64(tt.published)+1 || e.Lost != 0 {
				t.Errorf("live entry = %+v, want seq %d without loss", e, tt.published+1)
			}
		})
	}
}

func TestHubTakeQueued(t *testing.T) {
	h := NewHub(HubOptions{Replay: 4})
	if got := h.takeQueued(); len(got) != 0 {
		t.Errorf("first get on an empty hub = %v", seqs(got))
	}
	for i := range 6 {
		h.Publish(testAlert(i))
	}
	if got := seqs(h.takeQueued()); !cmp.Equal(got, seqRange(3, 6)) {
		t.Errorf("get = %v, want 3-6 (the window)", got)
	}
	if got := h.takeQueued(); len(got) != 0 {
		t.Errorf("second get = %v, want nothing new", seqs(got))
	}
	h.Publish(testAlert(6))
	if got := seqs(h.takeQueued()); !cmp.Equal(got, []uint64{7}) {
		t.Errorf("third get = %v, want [7]", got)
	}
}

func TestHubClose(t *testing.T) {
	h := NewHub(HubOptions{})
	s, _ := h.Subscribe(SubscribeOptions{})
	h.Publish(testAlert(0))
	h.Close()
	if e := drain(t, s, 1)[0]; e.Seq != 1 {
		t.Errorf("buffered entry after Close = %+v", e)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
	if _, err := h.Subscribe(SubscribeOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
	s.Close() // idempotent
	h.Publish(testAlert(1))
	if got := h.Stats(); got.LastSeq != 2 || got.Outputs[0].Subscribers != 0 {
		t.Errorf("Stats after Close = %+v", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	h2 := NewHub(HubOptions{})
	s2, _ := h2.Subscribe(SubscribeOptions{})
	cancel()
	if _, err := s2.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next with a cancelled context = %v", err)
	}
}

type countObserver struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countObserver) ObserveAlert(a *eval.Alert) {
	c.mu.Lock()
	c.n[a.Rule]++
	c.mu.Unlock()
}

func TestHubObservers(t *testing.T) {
	obs := &countObserver{n: map[string]int{}}
	h := NewHub(HubOptions{Observers: []Observer{obs}, Replay: -1})
	for i := range 6 {
		h.Publish(testAlert(i))
	}
	h.Publish(nil)
	want := map[string]int{"Terminal shell in container": 2, "Read sensitive file untrusted": 2, "Outbound connection to C2": 2}
	if diff := cmp.Diff(want, obs.n); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
	if st := h.Stats(); st.LastSeq != 6 || st.OldestSeq != 0 || st.ReplayCapacity != 0 {
		t.Errorf("Stats with replay disabled = %+v", st)
	}
}
