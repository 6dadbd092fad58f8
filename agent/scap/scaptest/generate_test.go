package scaptest_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/scap/scaptest"
)

func generate(t *testing.T, cfg scaptest.Config) ([]byte, scaptest.Stats) {
	t.Helper()
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, scap.WriterOptions{})
	st, err := scaptest.Generate(w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

// TestGenerate reads a generated capture back and checks its event mix
// against the generator's counts and the intended proportions.
func TestGenerate(t *testing.T) {
	const n = 50000
	data, st := generate(t, scaptest.Config{Events: n, Seed: 42})
	again, _ := generate(t, scaptest.Config{Events: n, Seed: 42})
	if !bytes.Equal(data, again) {
		t.Errorf("equal configs wrote different captures")
	}
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Processes()) != 5 || len(r.FDs()) != 5 || len(r.Users()) != 3 || r.Machine() == nil {
		t.Errorf("tables: %d processes, %d fd lists, %d users, machine %v", len(r.Processes()), len(r.FDs()), len(r.Users()), r.Machine())
	}
	counts := map[scap.EventCode]uint64{}
	var total uint64
	var lastTS uint64
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.NParams() != len(ev.Info().Params) {
			t.Fatalf("%s has %d params, the table %d", ev.Code, ev.NParams(), len(ev.Info().Params))
		}
		if ev.Timestamp <= lastTS {
			t.Fatalf("timestamps not increasing at event %d", total)
		}
		lastTS = ev.Timestamp
		counts[ev.Code]++
		total++
	}
	if total != st.Events {
		t.Errorf("read %d events, Stats.Events = %d", total, st.Events)
	}
	opens := counts[scap.SyscallOpenatV2X] + counts[scap.SyscallOpenX]
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"opens", opens, st.Opens},
		{"closes", counts[scap.SyscallCloseX], st.Closes},
		{"clones", counts[scap.SyscallCloneV20X], st.Clones},
		{"execs", counts[scap.SyscallExecveV19X], st.Execs},
		{"exits", counts[scap.ProcexitV1E], st.Exits},
		{"connects", counts[scap.SocketConnectX], st.Connects},
		{"meta", counts[scap.UserAddedE] + counts[scap.GroupAddedE], 6},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: read %d, Stats says %d", c.name, c.got, c.want)
		}
	}
	if frac := float64(opens+st.Closes) / float64(total); frac < 0.85 {
		t.Errorf("open+close are %.0f%% of events, want most of them", 100*frac)
	}
	if st.Execs < n/400 || st.Clones != 2*st.Execs || st.Exits == 0 || st.Connects == 0 {
		t.Errorf("process activity too low: %+v", st)
	}
}
