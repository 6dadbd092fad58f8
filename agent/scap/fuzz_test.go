package scap_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/agent/scap"
)

// section is everything a Reader decodes from one capture section.
type section struct {
	Machine    *scap.MachineInfo
	Interfaces []scap.Interface
	Users      []scap.User
	Groups     []scap.Group
	Processes  []scap.Process
	FDs        []scap.FDList
	Events     []event
}

// decodeAll reads a whole capture, exercising every accessor on every
// parameter. It stops at the first error other than ErrNewSection.
func decodeAll(data []byte) ([]section, error) {
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{BufferSize: 512})
	if (r == nil) == (err == nil) {
		panic("NewReader must return a reader or an error, not both or neither")
	}
	if err != nil {
		return nil, err
	}
	cur := func() section {
		return section{Machine: r.Machine(), Interfaces: r.Interfaces(), Users: r.Users(), Groups: r.Groups(), Processes: r.Processes(), FDs: r.FDs()}
	}
	secs := []section{cur()}
	for {
		ev, err := r.Next()
		switch {
		case err == io.EOF:
			return secs, nil
		case errors.Is(err, scap.ErrNewSection):
			secs = append(secs, cur())
			continue
		case err != nil:
			if ev != nil {
				panic("Next returned an event with an error")
			}
			return secs, err
		}
		for i := -1; i <= ev.NParams(); i++ {
			_ = ev.Uint64(i) + uint64(ev.Int64(i)) + uint64(ev.Errno(i))
			_ = ev.String(i) + ev.FormatParam(i)
			ev.SockAddr(i)
			ev.SockTuple(i)
			ev.Dyn(i)
		}
		e := snapshot(ev)
		e.Flags &^= scap.DumpLarge // never stored by writers
		secs[len(secs)-1].Events = append(secs[len(secs)-1].Events, e)
	}
}

// FuzzReader feeds arbitrary bytes to the reader: it must never panic, and
// whatever it reads without error must survive a write and a second read
// unchanged.
func FuzzReader(f *testing.F) {
	for _, s := range scenarios {
		if s.name == "meta" {
			continue // its 75 KB payload slows the fuzzer down
		}
		f.Add(build(f, s, scap.WriterOptions{}))
	}
	f.Add(build(f, scenarios[6], scap.WriterOptions{Compress: true}))
	f.Add(cat(shb(), closeEv(1, 3), closeEv(2, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		secs, err := decodeAll(data)
		if err != nil {
			return
		}
		var out bytes.Buffer
		r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
		if err != nil {
			t.Fatalf("second NewReader failed: %v", err)
		}
		if err := copyCapture(r, scap.NewWriter(&out, scap.WriterOptions{})); err != nil {
			return // valid input the writer refuses (e.g. a 128-byte hostname)
		}
		again, err := decodeAll(out.Bytes())
		if err != nil {
			t.Fatalf("re-encoded capture does not read back: %v", err)
		}
		if diff := cmp.Diff(secs, again, cmpAddrs, cmpBytes); diff != "" {
			t.Fatalf("re-encoded capture decodes differently (-first +second):\n%s", diff)
		}
	})
}
