package bpf

import (
	"encoding/binary"
	"fmt"
)

// HeaderSize is the size of an event header: ts u64, tid u64, len u32,
// type u16, nparams u32, packed little-endian.
const HeaderSize = 26

// splitRecords cuts a stream of concatenated events (the task iterator's
// output) at each header's len field.
func splitRecords(buf []byte) ([][]byte, error) {
	var recs [][]byte
	for off := 0; off < len(buf); {
		rest := buf[off:]
		if len(rest) < HeaderSize {
			return recs, fmt.Errorf("truncated event header at offset %d: %d bytes", off, len(rest))
		}
		n := int(binary.LittleEndian.Uint32(rest[16:20]))
		if n < HeaderSize || n > len(rest) {
			return recs, fmt.Errorf("event at offset %d: bad length %d (%d bytes left)", off, n, len(rest))
		}
		recs = append(recs, rest[:n:n])
		off += n
	}
	return recs, nil
}
