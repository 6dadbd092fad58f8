package output

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/agent/output/falcopb/outputs"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// BenchmarkPublish measures Publish, the cost on the detection path, with
// subscribers that keep up and with one that never reads.
func BenchmarkPublish(b *testing.B) {
	for _, tc := range []struct {
		name             string
		draining, stalls int
	}{
		{"0subs", 0, 0},
		{"10draining", 10, 0},
		{"9draining+1stalled", 9, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := NewHub(HubOptions{})
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for range tc.draining {
				s, _ := h.Subscribe(SubscribeOptions{})
				wg.Go(func() {
					for {
						if _, err := s.Next(ctx); err != nil {
							return
						}
					}
				})
			}
			var stalled []*Subscription
			for range tc.stalls {
				s, _ := h.Subscribe(SubscribeOptions{})
				stalled = append(stalled, s)
			}
			alerts := make([]*eval.Alert, 64)
			for i := range alerts {
				alerts[i] = testAlert(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				h.Publish(alerts[i%len(alerts)])
			}
			b.StopTimer()
			cancel()
			wg.Wait()
			var drops uint64
			for _, s := range stalled {
				drops += s.Dropped()
			}
			b.ReportMetric(float64(drops), "stalled-drops")
		})
	}
}

// BenchmarkFanout measures alerts per second delivered over Falco's gRPC
// sub stream (unix socket) to each of 10 subscribers, side by side with
// the same setup in which one of the 10 is stalled (it never reads, so the
// server cannot send to it and its alerts are dropped and counted). Both
// setups run in the same process and take turns in rounds of 2048 alerts,
// so that load from elsewhere on the machine hits both alike; b.N alerts
// go through each. The publisher paces itself to the slowest healthy
// subscriber, so healthy subscribers lose nothing (healthy-drops must be
// 0), and the stalled one must not lower the healthy ones' rate
// (stalled/healthy close to 1).
func BenchmarkFanout(b *testing.B) {
	healthy := newFanout(b, 10, 0)
	stalled := newFanout(b, 9, 1)
	stalled.stall(b)
	dropsBefore := stalled.hub.Stats().Dropped()

	const round = 2048
	var tHealthy, tStalled time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += round {
		n := min(round, b.N-done)
		tHealthy += healthy.publish(n)
		tStalled += stalled.publish(n)
	}
	b.StopTimer()

	rateHealthy := float64(b.N) / tHealthy.Seconds()
	rateStalled := float64(b.N) / tStalled.Seconds()
	b.ReportMetric(rateHealthy, "alerts/s-10healthy")
	b.ReportMetric(rateStalled, "alerts/s-9healthy+1stalled")
	b.ReportMetric(rateStalled/rateHealthy, "stalled/healthy")
	b.ReportMetric(float64(healthy.hub.Stats().Dropped()), "healthy-drops")
	b.ReportMetric(float64(stalled.hub.Stats().Dropped()-dropsBefore), "stalled-drops")
	// In the stalled setup every drop must be the stalled subscriber's.
	if d := stalled.hub.Stats().Dropped() - dropsBefore; d != uint64(b.N) {
		b.Errorf("stalled setup dropped %d alerts during the run, want %d (all the stalled subscriber's)", d, b.N)
	}
	healthy.close()
	stalled.close()
}

// fanout is a hub with a gRPC server and subscribers on its unix socket.
type fanout struct {
	hub       *Hub
	received  []atomic.Int64
	progress  chan struct{}
	published int64
	alerts    []*eval.Alert
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

func newFanout(b *testing.B, healthy, stalled int) *fanout {
	const buffer = 4096
	f := &fanout{
		hub:      NewHub(HubOptions{Buffer: buffer, Replay: -1}),
		received: make([]atomic.Int64, healthy),
		// progress wakes the publisher when a subscriber received
		// something (time.Sleep is too coarse: about 1 ms here).
		progress: make(chan struct{}, 1),
	}
	for i := range 64 {
		f.alerts = append(f.alerts, testAlert(i))
	}
	s := startGRPC(b, GRPCOptions{Hub: f.hub, StallTimeout: -1})
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	for i := range healthy {
		stream, err := outputs.NewServiceClient(dialUnix(b, s)).Sub(ctx)
		if err != nil {
			b.Fatal(err)
		}
		stream.Send(&outputs.Request{})
		f.wg.Go(func() {
			for {
				if _, err := stream.Recv(); err != nil {
					return
				}
				f.received[i].Add(1)
				select {
				case f.progress <- struct{}{}:
				default:
				}
			}
		})
	}
	for range stalled {
		stream, err := outputs.NewServiceClient(dialUnix(b, s)).Sub(ctx)
		if err != nil {
			b.Fatal(err)
		}
		stream.Send(&outputs.Request{}) // and never Recv
	}
	waitFor(b, 10*time.Second, "the subscribers", func() bool { return subscribers(f.hub, OutputGRPC) == healthy+stalled })
	return f
}

func (f *fanout) minReceived() int64 {
	m := f.received[0].Load()
	for i := range f.received {
		m = min(m, f.received[i].Load())
	}
	return m
}

func (f *fanout) waitUntil(cond func() bool) {
	for !cond() {
		select {
		case <-f.progress:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// publish publishes n alerts, keeping the healthy subscribers at most
// 2048 behind, and returns once they all have every alert.
func (f *fanout) publish(n int) time.Duration {
	const window = 2048
	start := time.Now()
	for range n {
		f.hub.Publish(f.alerts[f.published%int64(len(f.alerts))])
		f.published++
		if f.published%256 == 0 {
			f.waitUntil(func() bool { return f.published-f.minReceived() <= window })
		}
	}
	f.waitUntil(func() bool { return f.minReceived() >= f.published })
	return time.Since(start)
}

// stall publishes until the stalled subscriber really is stalled: the
// server cannot send to it any more and its buffer overflows.
func (f *fanout) stall(b *testing.B) {
	deadline := time.Now().Add(60 * time.Second)
	for f.hub.Stats().Dropped() == 0 {
		if time.Now().After(deadline) {
			b.Fatal("the stalled subscriber never stalled")
		}
		f.publish(1024)
	}
}

func (f *fanout) close() {
	f.cancel()
	f.wg.Wait()
}
