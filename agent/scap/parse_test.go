package scap

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// rawEvent builds a raw driver event with 2-byte parameter lengths.
func rawEvent(code EventCode, ts uint64, tid int64, params ...[]byte) []byte {
	n := len(params)
	size := evHeaderLenV2 + 2*n
	for _, p := range params {
		size += len(p)
	}
	b := make([]byte, 0, size)
	b = binary.LittleEndian.AppendUint64(b, ts)
	b = binary.LittleEndian.AppendUint64(b, uint64(tid))
	b = binary.LittleEndian.AppendUint32(b, uint32(size))
	b = binary.LittleEndian.AppendUint16(b, uint16(code))
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	for _, p := range params {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(p)))
	}
	for _, p := range params {
		b = append(b, p...)
	}
	return b
}

func le64(v int64) []byte  { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func TestParse(t *testing.T) {
	raw := rawEvent(SyscallOpenatV2X, 1700000000000000000, 4242,
		le64(3), le64(-100), []byte("/etc/shadow\x00"), le32(uint32(OpenReadOnly|OpenCloexec)), le32(0), le32(2049), le64(77))
	var e Event
	if err := e.Parse(raw, 1); err != nil {
		t.Fatal(err)
	}
	if e.Code != SyscallOpenatV2X || e.Tid != 4242 || e.Timestamp != 1700000000000000000 || e.CPU != 1 {
		t.Errorf("header = %v %d %d %d", e.Code, e.Tid, e.Timestamp, e.CPU)
	}
	if e.Int64(0) != 3 || e.Int64(1) != -100 || e.String(2) != "/etc/shadow" || OpenFlags(e.Uint32(3)) != OpenReadOnly|OpenCloexec || e.Uint64(6) != 77 {
		t.Errorf("params = %d %d %q %v %d", e.Int64(0), e.Int64(1), e.String(2), OpenFlags(e.Uint32(3)), e.Uint64(6))
	}

	bad := []struct {
		name string
		raw  []byte
		want string
	}{
		{"short", raw[:10], "shorter than its header"},
		{"length lie", append(append([]byte{}, raw[:16]...), append(le32(9999), raw[20:]...)...), "does not fit"},
		{"param lengths lie", rawEvent(SyscallOpenatV2X, 1, 1, le64(3), []byte("x"))[:evHeaderLenV2+4], "does not fit"},
		{"unknown code", rawEvent(EventCode(len(eventTable)+5), 1, 1), "unknown event code"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var e Event
			err := e.Parse(tt.raw, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse() error = %v, want %q", err, tt.want)
			}
		})
	}
	var e2 Event
	if err := e2.Parse(rawEvent(EventCode(len(eventTable)+5), 1, 1), 0); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("unknown code: error %v is not ErrUnknownEvent", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(rawEvent(SyscallOpenatV2X, 1, 2, le64(3), le64(-100), []byte("/x\x00"), le32(1), le32(0), le32(0), le64(0)))
	f.Add(rawEvent(SyscallCloseX, 1, 2, le64(0), le64(3)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var e Event
		if err := e.Parse(raw, 0); err != nil {
			return
		}
		for i := 0; i < e.NParams()+2; i++ {
			_ = e.Param(i)
			_ = e.Uint64(i)
			_ = e.String(i)
		}
	})
}
