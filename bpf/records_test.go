package bpf

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func rec(typ uint16, payload string) []byte {
	b := make([]byte, HeaderSize+len(payload))
	binary.LittleEndian.PutUint32(b[16:], uint32(len(b)))
	binary.LittleEndian.PutUint16(b[20:], typ)
	copy(b[HeaderSize:], payload)
	return b
}

func TestSplitRecords(t *testing.T) {
	two := append(rec(430, "abc"), rec(430, "")...)
	bad := rec(430, "abc")
	binary.LittleEndian.PutUint32(bad[16:], 5)
	tests := []struct {
		name    string
		in      []byte
		want    int
		wantErr bool
	}{
		{name: "empty", in: nil, want: 0},
		{name: "two", in: two, want: 2},
		{name: "truncated header", in: two[:HeaderSize+3+10], want: 1, wantErr: true},
		{name: "length too small", in: bad, want: 0, wantErr: true},
		{name: "length past the end", in: rec(430, "abc")[:HeaderSize+1], want: 0, wantErr: true},
	}
	for _, tt := range tests {
		got, err := splitRecords(tt.in)
		if (err != nil) != tt.wantErr || len(got) != tt.want {
			t.Errorf("%s: splitRecords() = %d records, %v; want %d records, error %v", tt.name, len(got), err, tt.want, tt.wantErr)
		}
	}
}

// FuzzSplitRecords: no panic, and on success the records are the input.
func FuzzSplitRecords(f *testing.F) {
	f.Add(append(rec(430, "abc"), rec(430, "")...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		recs, err := splitRecords(in)
		var joined []byte
		for _, r := range recs {
			if len(r) < HeaderSize {
				t.Fatalf("record of %d bytes", len(r))
			}
			joined = append(joined, r...)
		}
		if !bytes.HasPrefix(in, joined) {
			t.Fatalf("records are not a prefix of the input")
		}
		if err == nil && !bytes.Equal(joined, in) {
			t.Fatalf("no error but %d of %d bytes used", len(joined), len(in))
		}
	})
}
