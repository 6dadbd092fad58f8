package scap_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/agent/scap"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func dump(t *testing.T, data []byte) string {
	t.Helper()
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out bytes.Buffer
	if err := scap.Dump(&out, r); err != nil {
		t.Fatalf("Dump: %v", err)
	}
	return out.String()
}

// TestGolden writes each scenario, plain and gzipped, and compares what the
// reader decodes with testdata/golden/NAME.golden. Refresh with -update.
func TestGolden(t *testing.T) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			plain := build(t, s, scap.WriterOptions{})
			gz := build(t, s, scap.WriterOptions{Compress: true})
			if bytes.Equal(plain, gz) || gz[0] != 0x1f || gz[1] != 0x8b {
				t.Fatalf("compressed capture is not gzip")
			}
			got := dump(t, plain)
			if gzGot := dump(t, gz); gzGot != got {
				t.Errorf("gzip and plain captures decode differently (-plain +gzip):\n%s", cmp.Diff(got, gzGot))
			}
			path := filepath.Join("testdata", "golden", s.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("Dump(%s) mismatch (-want +got):\n%s", s.name, diff)
			}
		})
	}
}

// copyCapture re-encodes everything r decodes through w: tables with the
// Write* methods and events with WriteRawEvent.
func copyCapture(r *scap.Reader, w *scap.Writer) error {
	tables := func() error {
		if m := r.Machine(); m != nil {
			if err := w.WriteMachine(*m); err != nil {
				return err
			}
		}
		if len(r.Interfaces()) > 0 {
			if err := w.WriteInterfaces(r.Interfaces()); err != nil {
				return err
			}
		}
		if len(r.Users())+len(r.Groups()) > 0 {
			if err := w.WriteUsers(r.Users(), r.Groups()); err != nil {
				return err
			}
		}
		if len(r.Processes()) > 0 {
			if err := w.WriteProcesses(r.Processes()); err != nil {
				return err
			}
		}
		for _, l := range r.FDs() {
			if err := w.WriteFDs(l); err != nil {
				return err
			}
		}
		return nil
	}
	if err := tables(); err != nil {
		return err
	}
	for {
		ev, err := r.Next()
		switch {
		case err == io.EOF:
			return w.Close()
		case errors.Is(err, scap.ErrNewSection):
			if err := w.NewSection(); err != nil {
				return err
			}
			if err := tables(); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		if err := w.WriteRawEvent(ev); err != nil {
			return err
		}
	}
}

// TestRoundTripBytes reads each scenario and writes it back: the copy must
// be byte for byte the original, tables and events alike.
func TestRoundTripBytes(t *testing.T) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			orig := build(t, s, scap.WriterOptions{})
			r, err := scap.NewReader(bytes.NewReader(orig), scap.ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := copyCapture(r, scap.NewWriter(&out, scap.WriterOptions{})); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), orig) {
				i := 0
				for i < len(orig) && i < out.Len() && orig[i] == out.Bytes()[i] {
					i++
				}
				t.Errorf("re-encoded capture differs from the original at byte %d (lengths %d and %d)", i, out.Len(), len(orig))
			}
		})
	}
}
