package scap_test

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/scap/scaptest"
)

const benchEvents = 1_000_000

var (
	benchOnce  sync.Once
	benchPlain []byte
	benchGzip  []byte
	benchStats scaptest.Stats
)

// benchCaptures generates the benchmark capture once, plain and gzipped.
func benchCaptures(b *testing.B) ([]byte, []byte) {
	benchOnce.Do(func() {
		var plain, gz bytes.Buffer
		for _, c := range []struct {
			buf  *bytes.Buffer
			opts scap.WriterOptions
		}{{&plain, scap.WriterOptions{}}, {&gz, scap.WriterOptions{Compress: true, Level: 1}}} {
			w := scap.NewWriter(c.buf, c.opts)
			st, err := scaptest.Generate(w, scaptest.Config{Events: benchEvents, Seed: 1})
			if err != nil {
				panic(err)
			}
			if err := w.Close(); err != nil {
				panic(err)
			}
			benchStats = st
		}
		benchPlain, benchGzip = plain.Bytes(), gz.Bytes()
	})
	return benchPlain, benchGzip
}

func readAll(b *testing.B, data []byte) uint64 {
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var sum uint64
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		// Touch what a decoder touches: the header and one parameter.
		sum += ev.Timestamp + uint64(ev.Int64(0))
	}
	return r.Events()
}

// BenchmarkReader decodes an uncompressed synthetic capture of a million
// events (45% openat/open, 45% close, the rest clone/execve/exit/connect)
// on one goroutine and reports events/s.
func BenchmarkReader(b *testing.B) {
	plain, _ := benchCaptures(b)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var n uint64
	for i := 0; i < b.N; i++ {
		n += readAll(b, plain)
	}
	reportRate(b, n, cpuTime()-cpu0)
}

// BenchmarkReaderGzip is BenchmarkReader on the gzip-compressed capture,
// the form Falco writes: decompression dominates.
func BenchmarkReaderGzip(b *testing.B) {
	_, gz := benchCaptures(b)
	b.SetBytes(int64(len(gz)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var n uint64
	for i := 0; i < b.N; i++ {
		n += readAll(b, gz)
	}
	reportRate(b, n, cpuTime()-cpu0)
}

// BenchmarkGenerate writes the synthetic capture uncompressed.
func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	cpu0 := cpuTime()
	var n uint64
	for i := 0; i < b.N; i++ {
		w := scap.NewWriter(io.Discard, scap.WriterOptions{})
		st, err := scaptest.Generate(w, scaptest.Config{Events: 200_000, Seed: uint64(i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		n += st.Events
	}
	reportRate(b, n, cpuTime()-cpu0)
}

// reportRate reports events per wall-clock second and, where measured,
// per CPU second of the process.
func reportRate(b *testing.B, events uint64, cpu time.Duration) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	if cpu > 0 {
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
}
