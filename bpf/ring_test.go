package bpf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// fakeRing lays records out the way the kernel does, over Go memory: a
// data area of size bytes seen twice in a row, 8-byte aligned records with
// an 8-byte header.
type fakeRing struct {
	pos  []uint64 // [0] consumer, [1] producer
	mem  []uint64
	data []byte
	size uint64
}

func newFakeRing(size uint64) *fakeRing {
	f := &fakeRing{pos: make([]uint64, 2), mem: make([]uint64, 2*size/8), size: size}
	f.data = unsafe.Slice((*byte)(unsafe.Pointer(&f.mem[0])), 2*size)
	return f
}

func (f *fakeRing) set(pos uint64, b byte) {
	off := pos % f.size
	f.data[off] = b
	f.data[off+f.size] = b
}

// put appends a record with the given header bits.
func (f *fakeRing) put(payload []byte, bits uint32) {
	var hdr [8]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(payload))|bits)
	p := f.pos[1]
	for i, b := range hdr {
		f.set(p+uint64(i), b)
	}
	for i, b := range payload {
		f.set(p+8+uint64(i), b)
	}
	f.pos[1] = p + (uint64(len(payload))+8+7)&^7
}

func (f *fakeRing) ring(t testing.TB) *ring {
	r, err := newRing(&f.pos[0], &f.pos[1], f.data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func strs(batch [][]byte) []string {
	var out []string
	for _, b := range batch {
		out = append(out, string(b))
	}
	return out
}

func TestRingDrain(t *testing.T) {
	tests := []struct {
		name  string
		skip  uint64 // advance both positions first, to place records at the wrap
		recs  []string
		bits  []uint32
		max   int
		want  []string
		cons  uint64 // consumer position after commit, relative to skip
		fails bool
	}{
		{name: "empty", want: nil},
		{name: "one", recs: []string{"hello"}, max: 10, want: []string{"hello"}, cons: 16},
		{name: "several", recs: []string{"a", "bb", "ccccccccc"}, max: 10, want: []string{"a", "bb", "ccccccccc"}, cons: 16 + 16 + 24},
		{name: "max", recs: []string{"a", "b", "c"}, max: 2, want: []string{"a", "b"}, cons: 32},
		{name: "discarded", recs: []string{"a", "gone", "c"}, bits: []uint32{0, ringDiscardBit, 0}, max: 10, want: []string{"a", "c"}, cons: 48},
		{name: "busy stops", recs: []string{"a", "pending", "c"}, bits: []uint32{0, ringBusyBit, 0}, max: 10, want: []string{"a"}, cons: 16},
		{name: "wraps", skip: 64 - 16, recs: []string{"across-the-end!!"}, max: 10, want: []string{"across-the-end!!"}, cons: 24},
		{name: "corrupt length", recs: []string{string(make([]byte, 40))}, bits: []uint32{0}, max: 10, fails: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRing(64)
			f.pos[0], f.pos[1] = tt.skip, tt.skip
			for i, r := range tt.recs {
				var bits uint32
				if i < len(tt.bits) {
					bits = tt.bits[i]
				}
				f.put([]byte(r), bits)
			}
			if tt.name == "corrupt length" {
				f.pos[1] = tt.skip + 16 // producer says less than the record holds
			}
			r := f.ring(t)
			got, err := r.drain(nil, tt.max)
			if tt.fails {
				if err == nil {
					t.Fatalf("drain() = %q, want an error", strs(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("drain() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, strs(got)); diff != "" {
				t.Errorf("drain() (-want +got):\n%s", diff)
			}
			if f.pos[0] != tt.skip {
				t.Errorf("consumer moved before commit: %d", f.pos[0])
			}
			r.commit()
			if got := f.pos[0] - tt.skip; got != tt.cons {
				t.Errorf("consumer advanced %d, want %d", got, tt.cons)
			}
		})
	}
}

// A record submitted after the reader caught up is picked up by the next
// drain: the producer position is re-read.
func TestRingDrainFollowsProducer(t *testing.T) {
	f := newFakeRing(4096)
	r := f.ring(t)
	var got []string
	for i := range 100 {
		f.put([]byte(fmt.Sprint(i)), 0)
		batch, err := r.drain(nil, 8)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strs(batch)...)
		r.commit()
	}
	if len(got) != 100 || got[99] != "99" {
		t.Errorf("read %d records, last %q", len(got), got[len(got)-1])
	}
}

func TestNewRingRejectsBadSizes(t *testing.T) {
	var c, p uint64
	for _, n := range []int{0, 24, 2 * 24} {
		if _, err := newRing(&c, &p, make([]byte, n)); err == nil {
			t.Errorf("newRing(%d bytes) succeeded", n)
		}
	}
}

// FuzzRingDrain: whatever the ring holds, drain neither panics nor hands out
// bytes outside the data area or beyond the producer position.
func FuzzRingDrain(f *testing.F) {
	f.Add([]byte{5, 0, 0, 0, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}, uint16(16))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, uint16(64))
	f.Add([]byte{1, 0, 0, 0x40, 0, 0, 0, 0, 'x'}, uint16(16))
	f.Fuzz(func(t *testing.T, raw []byte, prod uint16) {
		fr := newFakeRing(256)
		for i := uint64(0); i < 256 && int(i) < len(raw); i++ {
			fr.set(i, raw[i])
		}
		fr.pos[1] = uint64(prod)
		r := fr.ring(t)
		total := uint64(0)
		for range 4 {
			batch, err := r.drain(nil, 16)
			for _, rec := range batch {
				total += uint64(len(rec)) + ringHeaderSize
				start := uintptr(unsafe.Pointer(unsafe.SliceData(rec)))
				base := uintptr(unsafe.Pointer(&fr.data[0]))
				if start < base || start+uintptr(len(rec)) > base+uintptr(len(fr.data)) {
					t.Fatalf("record outside the ring")
				}
			}
			if total > uint64(prod) {
				t.Fatalf("read %d bytes, producer at %d", total, prod)
			}
			r.commit()
			if err != nil || len(batch) == 0 {
				break
			}
		}
	})
}

// BenchmarkRingDrain measures walking a full ring of 64-byte records (the
// filling is not timed).
func BenchmarkRingDrain(b *testing.B) {
	f := newFakeRing(1 << 20)
	payload := bytes.Repeat([]byte{1}, 64)
	batch := make([][]byte, 0, 4096)
	b.ReportAllocs()
	n := 0
	var drained time.Duration
	for b.Loop() {
		b.StopTimer()
		for f.pos[1]-f.pos[0] < (1<<20)-128 {
			f.put(payload, 0)
		}
		r := f.ring(b)
		b.StartTimer()
		start := time.Now()
		for {
			var err error
			batch, err = r.drain(batch, 4096)
			if err != nil {
				b.Fatal(err)
			}
			if len(batch) == 0 {
				break
			}
			n += len(batch)
			r.commit()
		}
		drained += time.Since(start)
	}
	b.ReportMetric(float64(n)/drained.Seconds(), "records/s")
}
