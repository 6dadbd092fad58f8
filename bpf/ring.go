package bpf

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// BPF ring buffer record header (kernel ABI, include/uapi/linux/bpf.h):
// u32 len with the busy and discard bits, u32 page offset; records are
// 8-byte aligned.
const (
	ringBusyBit    = 1 << 31
	ringDiscardBit = 1 << 30
	ringHeaderSize = 8
)

// ring walks a BPF ring buffer's records in place. data is the data area
// mapped twice in a row (2*size bytes), so a record that wraps around the
// end is still contiguous. The reader keeps its own consumer position and
// publishes it once per batch, and re-reads the producer position only when
// it has caught up: no per-record atomics on shared cache lines.
type ring struct {
	consPos *uint64 // shared consumer position (written by us)
	prodPos *uint64 // shared producer position (written by the kernel)
	data    []byte
	mask    uint64
	cons    uint64 // local consumer position
	prod    uint64 // cached producer position
}

func newRing(consPos, prodPos *uint64, data []byte) (*ring, error) {
	size := uint64(len(data) / 2)
	if size == 0 || size&(size-1) != 0 || uint64(len(data)) != 2*size {
		return nil, fmt.Errorf("ring data of %d bytes: want twice a power of two", len(data))
	}
	r := &ring{consPos: consPos, prodPos: prodPos, data: data, mask: size - 1}
	r.cons = atomic.LoadUint64(consPos)
	r.prod = atomic.LoadUint64(prodPos)
	return r, nil
}

// drain appends to batch[:0] up to max committed records available now and
// returns it. The slices alias the ring: they stay valid until commit.
func (r *ring) drain(batch [][]byte, max int) ([][]byte, error) {
	batch = batch[:0]
	if r.cons >= r.prod {
		r.prod = atomic.LoadUint64(r.prodPos)
	}
	for len(batch) < max && r.cons < r.prod {
		off := r.cons & r.mask
		hdr := atomic.LoadUint32((*uint32)(unsafe.Pointer(&r.data[off])))
		if hdr&ringBusyBit != 0 {
			break // reserved, not yet submitted
		}
		n := uint64(hdr &^ (ringBusyBit | ringDiscardBit))
		if n > r.mask+1-ringHeaderSize || r.cons+ringHeaderSize+n > r.prod {
			return batch, fmt.Errorf("corrupt ring record at %d: length %d", r.cons, n)
		}
		if hdr&ringDiscardBit == 0 {
			start := off + ringHeaderSize
			batch = append(batch, r.data[start:start+n:start+n])
		}
		r.cons += (n + ringHeaderSize + 7) &^ 7
		if r.cons >= r.prod {
			r.prod = atomic.LoadUint64(r.prodPos)
		}
	}
	return batch, nil
}

// commit hands the space of the drained records back to the kernel.
func (r *ring) commit() {
	atomic.StoreUint64(r.consPos, r.cons)
}

// pending reports how many bytes are waiting, from the shared positions.
func (r *ring) pending() uint64 {
	return atomic.LoadUint64(r.prodPos) - r.cons
}
