package scap_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/falconer-sec/falconer/agent/scap"
	"github.com/falconer-sec/falconer/agent/scap/scaptest"
)

var cmpAddrs = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
}

// cmpBytes compares byte slices as wholes; go-cmp's element-wise walk is
// slow on large payloads.
var cmpBytes = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

// event is the comparable content of a scap.Event.
type event struct {
	Code   scap.EventCode
	TS     uint64
	Tid    int64
	CPU    uint16
	Flags  uint32
	Params [][]byte
}

func snapshot(ev *scap.Event) event {
	e := event{Code: ev.Code, TS: ev.Timestamp, Tid: ev.Tid, CPU: ev.CPU, Flags: ev.Flags}
	for i := 0; i < ev.NParams(); i++ {
		e.Params = append(e.Params, bytes.Clone(ev.Param(i)))
	}
	return e
}

// TestRoundTripTables writes tables and events and checks that the reader
// returns exactly what was written.
func TestRoundTripTables(t *testing.T) {
	procs := []scap.Process{proc(1, 1, 0, "systemd", "/usr/lib/systemd/systemd", "--system"), proc(42, 42, 1, "app", "/app")}
	procs[1].ExeWritable, procs[1].ExeUpperLayer, procs[1].ExeLowerLayer, procs[1].ExeFromMemfd = true, true, true, true
	procs[1].Tty, procs[1].LoginUID, procs[1].Pgid, procs[1].Vpgid, procs[1].Sid = 34816, 1000, 40, 41, 39
	procs[1].Args = "no-trailing-nul\x00x" // kept byte for byte
	fds := []scap.FDList{
		stdio(1),
		{Tid: 42, FDs: []scap.FD{
			{Num: 3, Ino: 1, Type: scap.FDDirectory, Name: "/srv"},
			{Num: 4, Ino: 2, Type: scap.FDIPv6Sock, SrcIP: netip.MustParseAddr("2001:db8::1"), DstIP: netip.MustParseAddr("2001:db8::2"), SrcPort: 1, DstPort: 2, L4Proto: scap.L4TCP},
			{Num: 5, Ino: 3, Type: scap.FDMemfd, Name: "memfd:x"},
			{Num: 6, Ino: 4, Type: scap.FDPidfd, Name: "anon_inode:[pidfd]"},
			{Num: 7, Ino: 5, Type: scap.FDUnknown},
		}},
	}
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, scap.WriterOptions{Compress: true, Level: 1})
	if err := tables(w, procs, fds); err != nil {
		t.Fatal(err)
	}
	b := scaptest.NewBuilder(w, t0)
	b.CPU = 3
	var want []event
	write := func(code scap.EventCode, tid int64, flags uint32, params ...scap.Param) {
		t.Helper()
		if err := w.WriteEventFlags(code, b.TS, tid, b.CPU, flags, params...); err != nil {
			t.Fatal(err)
		}
		b.TS++
	}
	write(scap.SyscallOpenatV2X, 42, 0, scap.Int(3), scap.Int(scap.AtFDCWD), scap.Str("a"), scap.Uint(1), scap.Uint(0), scap.Uint(0), scap.Uint(7))
	write(scap.SyscallCloseX, 42, scap.DumpStateOnly, scap.Int(-9), scap.Int(3))
	write(scap.PlugineventE, scap.NoTid, scap.DumpStateOnly, scap.Uint(999), scap.Bytes(bytes.Repeat([]byte{7}, 70000)))
	write(scap.ContainerJSONV2E, scap.NoTid, 0, scap.Str(`{"container":{"id":"abc"}}`))
	write(scap.SyscallUnlinkatV2X, 42, 0, scap.Int(0), scap.Int(3), scap.Empty(), scap.Uint(0x200))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want = []event{
		{scap.SyscallOpenatV2X, t0, 42, 3, 0, [][]byte{i64(3), i64(-100), []byte("a\x00"), {1, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, i64(7)}},
		{scap.SyscallCloseX, t0 + 1, 42, 3, 1, [][]byte{i64(-9), i64(3)}},
		{scap.PlugineventE, t0 + 2, -1, 3, 1, [][]byte{{0xe7, 3, 0, 0}, bytes.Repeat([]byte{7}, 70000)}},
		{scap.ContainerJSONV2E, t0 + 3, -1, 3, 0, [][]byte{[]byte(`{"container":{"id":"abc"}}` + "\x00")}},
		{scap.SyscallUnlinkatV2X, t0 + 4, 42, 3, 0, [][]byte{i64(0), i64(3), {}, {0, 2, 0, 0}}},
	}

	r, err := scap.NewReader(bytes.NewReader(buf.Bytes()), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Compressed() {
		t.Errorf("Compressed() = false for a gzip capture")
	}
	if got := r.Header(); got.Major != 1 || got.Minor != 2 || got.SectionLength != ^uint64(0) {
		t.Errorf("Header() = %+v, want version 1.2 with unspecified length", got)
	}
	if diff := cmp.Diff(&machine, r.Machine()); diff != "" {
		t.Errorf("Machine() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ifaces, r.Interfaces(), cmpAddrs); diff != "" {
		t.Errorf("Interfaces() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(users, r.Users()); diff != "" {
		t.Errorf("Users() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(groups, r.Groups()); diff != "" {
		t.Errorf("Groups() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(procs, r.Processes()); diff != "" {
		t.Errorf("Processes() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fds, r.FDs(), cmpAddrs); diff != "" {
		t.Errorf("FDs() mismatch (-want +got):\n%s", diff)
	}
	var got []event
	var blocks []scap.BlockType
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, snapshot(ev))
		blocks = append(blocks, ev.Block)
	}
	if diff := cmp.Diff(want, got, cmpBytes); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	wantBlocks := []scap.BlockType{scap.BlockEVv2, scap.BlockEVFv2, scap.BlockEVFv2Large, scap.BlockEVv2Large, scap.BlockEVv2}
	if diff := cmp.Diff(wantBlocks, blocks); diff != "" {
		t.Errorf("block types mismatch (-want +got):\n%s", diff)
	}
}

// TestRoundTripEventsOfScenarios checks, for every scenario, that reading,
// cloning and re-reading events agree, and that Clone survives Next.
func TestCloneSurvivesNext(t *testing.T) {
	data := build(t, scenarios[1], scap.WriterOptions{})
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{BufferSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	first, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	kept := first.Clone()
	want := snapshot(first)
	for {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	if diff := cmp.Diff(want, snapshot(kept)); diff != "" {
		t.Errorf("cloned event changed after Next (-want +got):\n%s", diff)
	}
	if kept.String(2) != "config/app.yaml" {
		t.Errorf("kept.String(2) = %q", kept.String(2))
	}
}

func TestSections(t *testing.T) {
	data := build(t, scenarios[6], scap.WriterOptions{Compress: true})
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, scap.ErrNewSection) {
			seen = append(seen, "section "+r.Machine().Hostname)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, r.Processes()[0].Comm+" "+ev.String(2))
	}
	want := []string{"first /etc/first", "section other", "second /etc/second"}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("sections mismatch (-want +got):\n%s", diff)
	}
	if r.Section() != 1 || len(r.Interfaces()) != 0 || len(r.FDs()) != 1 {
		t.Errorf("second section state: section %d, %d interfaces, %d fd lists", r.Section(), len(r.Interfaces()), len(r.FDs()))
	}
}

// TestLegacyBlocks reads the older block layouts libscap still accepts.
func TestLegacyBlocks(t *testing.T) {
	str := func(s string) []byte { return append(le.AppendUint16(nil, uint16(len(s))), s...) }
	u32 := func(v uint32) []byte { return le.AppendUint32(nil, v) }
	u16 := func(v uint16) []byte { return le.AppendUint16(nil, v) }
	// PL V5: no entry length, no sid/vpgid/exepath, root but no V9 tail.
	plV5 := cat(i64(10), i64(10), i64(1), str("sh"), str("/bin/sh"), str("-c\x00x\x00"), str("/srv"), i64(1024),
		u32(0), u32(1000), u32(1000), u32(1), u32(2), u32(3), i64(4), i64(5), str("A=1\x00"), i64(10), i64(10), str("cpu=/\x00"), str("/"))
	// PL V9 from a writer before libs 0.10: the tail is only loginuid,
	// exe_writable and the capability sets (29 bytes).
	v9old := cat(i64(11), i64(11), i64(1), i64(11), i64(11), str("old"), str("old"), str("/old"), str(""), str("/"), i64(1024),
		u32(0), u32(0), u32(0), u32(0), u32(0), u32(0), i64(0), i64(0), str(""), i64(11), i64(11), str(""), str("/"),
		u32(1000), []byte{1}, i64(1), i64(2), i64(3))
	v9old = cat(u32(uint32(4+len(v9old))), v9old)
	// PL V9 from a newer writer: an extra trailing field is skipped.
	v9new := cat(i64(12), i64(12), i64(1), i64(12), i64(12), str("new"), str("new"), str("/new"), str(""), str("/"), i64(1024),
		u32(0), u32(0), u32(0), u32(0), u32(0), u32(0), i64(0), i64(0), str(""), i64(12), i64(12), str(""), str("/"),
		i64(5), u32(7), u32(1001), []byte{0}, i64(0), i64(0), i64(0), []byte{1}, i64(9), i64(8), i64(7), []byte{0}, []byte{1}, i64(12),
		[]byte("future field"))
	v9new = cat(u32(uint32(4+len(v9new))), v9new)
	ilV1 := cat(u16(uint16(scap.IfIPv4NoLinkSpeed)), u16(2), []byte{127, 0, 0, 1}, []byte{255, 0, 0, 0}, []byte{127, 255, 255, 255}, []byte("lo"),
		u16(uint16(scap.IfIPv6)), u16(4), make([]byte, 48), i64(100), []byte("eth0"))
	ulV1 := cat([]byte{0}, u32(0), u32(0), str("root"), str("/root"), str("/bin/sh"), []byte{1}, u32(0), str("root"))
	fdlV1 := cat(i64(10), i64(0), i64(5), []byte{byte(scap.FDFile)}, str("/dev/null"),
		i64(4), i64(6), []byte{byte(scap.FDIPv4ServSock)}, []byte{0, 0, 0, 0}, u16(80), []byte{scap.L4TCP},
		i64(5), i64(7), []byte{byte(scap.FDFileV2)}, u32(uint32(scap.OpenReadWrite)), str("/var/x")) // V1 file_v2: no dev
	// EV V1: no nparams; the reader infers 2 for close.
	evV1 := cat(u16(1), i64(100), i64(10), u32(22+2*2+16), u16(uint16(scap.SyscallCloseX)), u16(8), u16(8), i64(0), i64(4))
	// EVF V1 with fewer params than today's table (an old layout).
	evfV1 := cat(u16(0), u32(1), i64(101), i64(10), u32(22+2+8), u16(uint16(scap.SyscallCloseX)), u16(8), i64(5))
	shbOpts := blk(uint32(scap.BlockSHB), cat(shbBody(scap.ByteOrderMagic, 1, 0), []byte("pcapng-style options")))
	data := cat(shbOpts,
		blk(uint32(scap.BlockMILegacy), cat(u32(4), i64(1<<30), i64(100), append([]byte("legacy"), make([]byte, 122)...), i64(1), i64(0), i64(0), i64(0))),
		blk(uint32(scap.BlockILv1Legacy), ilV1),
		blk(uint32(scap.BlockULv1), ulV1),
		blk(uint32(scap.BlockPLv5), plV5),
		blk(uint32(scap.BlockPLv9), cat(v9old, v9new)),
		blk(uint32(scap.BlockFDLv1), fdlV1),
		blk(uint32(scap.BlockEVv1), evV1),
		blk(uint32(scap.BlockEVFv1), evfV1),
	)
	r, err := scap.NewReader(bytes.NewReader(data), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Minor != 0 {
		t.Errorf("Header().Minor = %d, want 0", h.Minor)
	}
	if m := r.Machine(); m == nil || m.Hostname != "legacy" || m.NumCPUs != 4 {
		t.Errorf("Machine() = %+v", m)
	}
	wantIfaces := []scap.Interface{
		{Type: scap.IfIPv4NoLinkSpeed, Name: "lo", Addr: netip.MustParseAddr("127.0.0.1"), Netmask: netip.MustParseAddr("255.0.0.0"), Broadcast: netip.MustParseAddr("127.255.255.255")},
		{Type: scap.IfIPv6, Name: "eth0", Addr: netip.IPv6Unspecified(), Netmask: netip.IPv6Unspecified(), Broadcast: netip.IPv6Unspecified(), LinkSpeed: 100},
	}
	if diff := cmp.Diff(wantIfaces, r.Interfaces(), cmpAddrs); diff != "" {
		t.Errorf("Interfaces() mismatch (-want +got):\n%s", diff)
	}
	if len(r.Users()) != 1 || r.Users()[0].Shell != "/bin/sh" || len(r.Groups()) != 1 {
		t.Errorf("Users() = %+v, Groups() = %+v", r.Users(), r.Groups())
	}
	wantProcs := []scap.Process{
		{Tid: 10, Pid: 10, Ptid: 1, Sid: -1, Vpgid: -1, Pgid: -1, Comm: "sh", Exe: "/bin/sh", Args: "-c\x00x\x00", Cwd: "/srv", FdLimit: 1024,
			UID: 1000, GID: 1000, VmSizeKB: 1, VmRSSKB: 2, VmSwapKB: 3, PfMajor: 4, PfMinor: 5, Env: "A=1\x00", Vtid: 10, Vpid: 10,
			Cgroups: "cpu=/\x00", Root: "/", LoginUID: 0xFFFFFFFF},
		{Tid: 11, Pid: 11, Ptid: 1, Sid: 11, Vpgid: 11, Pgid: -1, Comm: "old", Exe: "old", ExePath: "/old", Cwd: "/", FdLimit: 1024,
			Vtid: 11, Vpid: 11, Root: "/", LoginUID: 1000, ExeWritable: true, CapInheritable: 1, CapPermitted: 2, CapEffective: 3},
		{Tid: 12, Pid: 12, Ptid: 1, Sid: 12, Vpgid: 12, Pgid: 12, Comm: "new", Exe: "new", ExePath: "/new", Cwd: "/", FdLimit: 1024,
			Vtid: 12, Vpid: 12, Root: "/", PidnsInitStartTs: 5, Tty: 7, LoginUID: 1001, ExeUpperLayer: true, ExeIno: 9, ExeInoCtime: 8,
			ExeInoMtime: 7, ExeLowerLayer: true},
	}
	if diff := cmp.Diff(wantProcs, r.Processes()); diff != "" {
		t.Errorf("Processes() mismatch (-want +got):\n%s", diff)
	}
	wantFDs := []scap.FDList{{Tid: 10, FDs: []scap.FD{
		{Num: 0, Ino: 5, Type: scap.FDFile, Name: "/dev/null"},
		{Num: 4, Ino: 6, Type: scap.FDIPv4ServSock, SrcIP: netip.MustParseAddr("0.0.0.0"), SrcPort: 80, L4Proto: scap.L4TCP},
		{Num: 5, Ino: 7, Type: scap.FDFileV2, Name: "/var/x", OpenFlags: uint32(scap.OpenReadWrite)},
	}}}
	if diff := cmp.Diff(wantFDs, r.FDs(), cmpAddrs); diff != "" {
		t.Errorf("FDs() mismatch (-want +got):\n%s", diff)
	}
	var got []event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, snapshot(ev))
	}
	want := []event{
		{scap.SyscallCloseX, 100, 10, 1, 0, [][]byte{i64(0), i64(4)}},
		{scap.SyscallCloseX, 101, 10, 0, 1, [][]byte{i64(5)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
}

func TestWriterErrors(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 5000))
	tests := []struct {
		name  string
		write func(w *scap.Writer) error
		want  string
	}{
		{"param count", func(w *scap.Writer) error { return w.WriteEvent(scap.SyscallCloseX, 1, 1, 0, scap.Int(0)) },
			"scap: write PPME_SYSCALL_CLOSE_X: 1 params, the table has 2"},
		{"int overflow", func(w *scap.Writer) error {
			return w.WriteEvent(scap.SyscallFcntlX, 1, 1, 0, scap.Int(0), scap.Int(1), scap.Uint(300), scap.Uint(0))
		}, "param 2 (cmd): value 300 does not fit ENUMFLAGS8"},
		{"string for int", func(w *scap.Writer) error {
			return w.WriteEvent(scap.SyscallCloseX, 1, 1, 0, scap.Str("x"), scap.Int(1))
		},
			"param 0 (res): string for ERRNO parameter"},
		{"bytes of wrong size", func(w *scap.Writer) error {
			return w.WriteEvent(scap.SyscallCloseX, 1, 1, 0, scap.Bytes([]byte{1, 2}), scap.Int(1))
		}, "2 bytes for ERRNO parameter of 8 bytes"},
		{"int for string", func(w *scap.Writer) error {
			return w.WriteEvent(scap.SyscallChdirX, 1, 1, 0, scap.Int(0), scap.Int(1))
		}, "integer for CHARBUF parameter"},
		{"unknown code", func(w *scap.Writer) error { return w.WriteEvent(scap.EventCode(9999), 1, 1, 0) }, "code 9999 is not in the event table"},
		{"too large for u16 lengths", func(w *scap.Writer) error {
			return w.WriteEvent(scap.SyscallChdirX, 1, 1, 0, scap.Int(0), scap.Str(string(make([]byte, 70000))))
		}, "param 1 is 70001 bytes, more than a u16 length allows"},
		{"metadata after events", func(w *scap.Writer) error {
			if err := w.WriteEvent(scap.SyscallCloseX, 1, 1, 0, scap.Int(0), scap.Int(1)); err != nil {
				return err
			}
			return w.WriteMachine(machine)
		}, "metadata after events (call NewSection first)"},
		{"env too long", func(w *scap.Writer) error { return w.WriteProcesses([]scap.Process{{Tid: 1, Env: long}}) },
			"process 0 (tid 1) env of 5000 bytes exceeds 4096"},
		{"hostname too long", func(w *scap.Writer) error { return w.WriteMachine(scap.MachineInfo{Hostname: long[:128]}) },
			"hostname of 128 bytes exceeds 127"},
		{"interface family", func(w *scap.Writer) error {
			return w.WriteInterfaces([]scap.Interface{{Type: scap.IfIPv4, Name: "x", Addr: netip.MustParseAddr("::1")}})
		}, "address ::1 does not match type 1"},
		{"user name", func(w *scap.Writer) error { return w.WriteUsers([]scap.User{{Name: long[:256]}}, nil) },
			"user 0 name of 256 bytes exceeds 255"},
		{"fd name", func(w *scap.Writer) error {
			return w.WriteFDs(scap.FDList{Tid: 1, FDs: []scap.FD{{Num: 3, Type: scap.FDFIFO, Name: long[:1024]}}})
		}, "fd 3 name of 1024 bytes exceeds 1023"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := scap.NewWriter(io.Discard, scap.WriterOptions{})
			err := tt.write(w)
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestWriterClosed(t *testing.T) {
	w := scap.NewWriter(io.Discard, scap.WriterOptions{})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent(scap.SyscallCloseX, 1, 1, 0, scap.Int(0), scap.Int(1)); err == nil {
		t.Errorf("WriteEvent after Close succeeded")
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterIOError(t *testing.T) {
	w := scap.NewWriter(&failWriter{n: 100}, scap.WriterOptions{BufferSize: 16})
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = w.WriteEvent(scap.SyscallCloseX, 1, 1, 0, scap.Int(0), scap.Int(1))
	}
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk full")) {
		t.Fatalf("error = %v, want disk full", err)
	}
	if err2 := w.Close(); err2 != err {
		t.Errorf("Close() = %v, want the sticky %v", err2, err)
	}
}

// TestSockAddrs decodes the socket address encodings, including the doc's
// example SOCKADDR 02 7f 00 00 01 09 00 = 127.0.0.1 port 9.
func TestSockAddrs(t *testing.T) {
	a, ok := scap.DecodeSockAddr([]byte{2, 0x7f, 0, 0, 1, 9, 0})
	if !ok || a.Family != 2 || a.Addr != netip.MustParseAddrPort("127.0.0.1:9") || a.String() != "127.0.0.1:9" {
		t.Errorf("DecodeSockAddr(127.0.0.1:9) = %+v, %v", a, ok)
	}
	for _, want := range []scap.SockAddr{
		scap.InetAddr(netip.MustParseAddrPort("[2001:db8::1]:443")),
		{Family: uint8(scap.AFUnix), Path: "/run/x.sock"},
	} {
		got, ok := scap.DecodeSockAddr(want.Encode())
		if !ok || !cmp.Equal(want, got, cmpAddrs) {
			t.Errorf("DecodeSockAddr(Encode(%+v)) = %+v, %v", want, got, ok)
		}
	}
	for _, want := range []scap.SockTuple{
		scap.InetTuple(netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")),
		scap.InetTuple(netip.MustParseAddrPort("[::1]:1"), netip.MustParseAddrPort("[::2]:2")),
		{Family: uint8(scap.AFUnix), Source: 1, Dest: 2, Path: "@abstract"},
	} {
		got, ok := scap.DecodeSockTuple(want.Encode())
		if !ok || !cmp.Equal(want, got, cmpAddrs) {
			t.Errorf("DecodeSockTuple(Encode(%+v)) = %+v, %v", want, got, ok)
		}
	}
	for _, bad := range [][]byte{nil, {2, 1, 2}, {10, 1}, {1, 2, 3}} {
		if _, ok := scap.DecodeSockTuple(bad); ok {
			t.Errorf("DecodeSockTuple(%x) ok", bad)
		}
	}
	if _, ok := scap.DecodeSockAddr([]byte{2, 1}); ok {
		t.Errorf("DecodeSockAddr of a short inet address ok")
	}
}

// TestNextDoesNotAllocate pins the zero-allocation decoding path.
func TestNextDoesNotAllocate(t *testing.T) {
	var buf bytes.Buffer
	w := scap.NewWriter(&buf, scap.WriterOptions{})
	if _, err := scaptest.Generate(w, scaptest.Config{Events: 20000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := scap.NewReader(bytes.NewReader(buf.Bytes()), scap.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sink int64
	allocs := testing.AllocsPerRun(10000, func() {
		ev, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		sink += ev.Int64(0) + int64(len(ev.StringBytes(2))) + int64(ev.Uint32(3))
	})
	if allocs != 0 {
		t.Errorf("Next allocates %.2f times per event, want 0", allocs)
	}
	_ = sink
}
