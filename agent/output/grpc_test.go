package output

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/falconer-sec/falconer/agent/output/falcopb/outputs"
	"github.com/falconer-sec/falconer/agent/output/falcopb/schema"
	"github.com/falconer-sec/falconer/agent/output/falcopb/version"
	"github.com/falconer-sec/falconer/agent/output/v1pb"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// falcoSub opens Falco's sub stream and sends one request, as Falco
// clients do, and waits until the server has registered it.
func falcoSub(t *testing.T, ctx context.Context, h *Hub, conn *grpc.ClientConn) grpc.BidiStreamingClient[outputs.Request, outputs.Response] {
	t.Helper()
	before := subscribers(h, OutputGRPC)
	stream, err := outputs.NewServiceClient(conn).Sub(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&outputs.Request{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the subscription", func() bool { return subscribers(h, OutputGRPC) > before })
	return stream
}

func TestFalcoSubFanOut(t *testing.T) {
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h})
	ctx := testContext(t)
	conn := dialUnix(t, s)
	a := falcoSub(t, ctx, h, conn)
	b := falcoSub(t, ctx, h, dialUnix(t, s))
	for i := range 6 {
		h.Publish(testAlert(i))
	}
	for name, stream := range map[string]grpc.BidiStreamingClient[outputs.Request, outputs.Response]{"a": a, "b": b} {
		var rules []string
		for range 6 {
			r, err := stream.Recv()
			if err != nil {
				t.Fatalf("%s: Recv: %v", name, err)
			}
			rules = append(rules, r.GetRule())
		}
		want := []string{"Terminal shell in container", "Read sensitive file untrusted", "Outbound connection to C2"}
		want = append(want, want...)
		if diff := cmp.Diff(want, rules); diff != "" {
			t.Errorf("%s: rules (-want +got):\n%s", name, diff)
		}
	}
}

func TestFalcoResponseFields(t *testing.T) {
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h})
	ctx := testContext(t)
	stream := falcoSub(t, ctx, h, dialUnix(t, s))
	a := testAlert(2)
	h.Publish(a)
	got, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	want := &outputs.Response{
		Time:             timestamppb.New(time.Date(2026, 8, 21, 10, 0, 0, 2, time.UTC)),
		Priority:         schema.Priority_CRITICAL,
		SourceDeprecated: schema.Source_K8S_AUDIT,
		Rule:             "Outbound connection to C2",
		Output:           a.Text(),
		OutputFields: map[string]string{
			"evt.time":             "1787306400000000002",
			"user.name":            "root",
			"proc.pid":             "1002",
			"proc.is_exe_writable": "false",
			"container.id":         "null",
			"k8s.ns.name":          "prod",
			"k8s.pod.name":         "web-0",
		},
		Hostname: "node-1",
		Tags:     []string{"network"},
		Source:   "k8s_audit",
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestFalcoGet(t *testing.T) {
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h})
	ctx := testContext(t)
	client := outputs.NewServiceClient(dialUnix(t, s))
	get := func() []string {
		stream, err := client.Get(ctx, &outputs.Request{})
		if err != nil {
			t.Fatal(err)
		}
		var rules []string
		for {
			r, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return rules
			}
			if err != nil {
				t.Fatalf("Recv: %v", err)
			}
			rules = append(rules, r.GetRule())
		}
	}
	h.Publish(testAlert(0))
	h.Publish(testAlert(1))
	if got := get(); len(got) != 2 {
		t.Errorf("first get = %q, want 2 alerts", got)
	}
	if got := get(); len(got) != 0 {
		t.Errorf("second get = %q, want none", got)
	}
	h.Publish(testAlert(2))
	if got := get(); !cmp.Equal(got, []string{"Outbound connection to C2"}) {
		t.Errorf("third get = %q", got)
	}
}

func TestFalcoVersion(t *testing.T) {
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h, Version: Version{Version: "v0.4.2-rc.1+abc", EngineVersion: "0.50.0"}})
	got, err := version.NewServiceClient(dialUnix(t, s)).Version(testContext(t), &version.Request{})
	if err != nil {
		t.Fatal(err)
	}
	want := &version.Response{
		Version: "v0.4.2-rc.1+abc", Major: 0, Minor: 4, Patch: 2, Prerelease: "rc.1", Build: "abc",
		EngineVersion: "0.50.0", EngineMajor: 0, EngineMinor: 50, EnginePatch: 0,
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("version (-want +got):\n%s", diff)
	}
}

func TestSplitSemver(t *testing.T) {
	tests := []struct {
		in                  string
		major, minor, patch uint32
		pre, build          string
	}{
		{"1.2.3", 1, 2, 3, "", ""},
		{"v0.43.1", 0, 43, 1, "", ""},
		{"v1.2.3-rc.1+g1234", 1, 2, 3, "rc.1", "g1234"},
		{"devel", 0, 0, 0, "", ""},
		{"", 0, 0, 0, "", ""},
		{"1.x.3", 0, 0, 0, "", ""},
	}
	for _, tt := range tests {
		major, minor, patch, pre, build := splitSemver(tt.in)
		if major != tt.major || minor != tt.minor || patch != tt.patch || pre != tt.pre || build != tt.build {
			t.Errorf("splitSemver(%q) = %d %d %d %q %q, want %d %d %d %q %q", tt.in, major, minor, patch, pre, build, tt.major, tt.minor, tt.patch, tt.pre, tt.build)
		}
	}
}

// v1Events reads n responses from a v1 subscription.
func v1Events(t *testing.T, stream grpc.ServerStreamingClient[v1pb.SubscribeResponse], n int) []*v1pb.SubscribeResponse {
	t.Helper()
	var out []*v1pb.SubscribeResponse
	for len(out) < n {
		r, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv after %d: %v", len(out), err)
		}
		out = append(out, r)
	}
	return out
}

func TestV1SubscribeFilterAndResume(t *testing.T) {
	h := NewHub(HubOptions{Replay: 4})
	s := startGRPC(t, GRPCOptions{Hub: h})
	ctx := testContext(t)
	client := v1pb.NewAlertServiceClient(dialUnix(t, s))

	// Live, filtered: Warning or worse, tagged network or filesystem.
	stream, err := client.Subscribe(ctx, &v1pb.SubscribeRequest{Filter: &v1pb.Filter{
		MinPriority: v1pb.Priority_PRIORITY_WARNING,
		Tags:        []string{"network", "filesystem", "shell"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the subscription", func() bool { return subscribers(h, OutputGRPC) == 1 })
	for i := range 6 {
		h.Publish(testAlert(i))
	}
	var got []uint64
	for _, r := range v1Events(t, stream, 4) {
		got = append(got, r.GetAlert().GetSeq())
	}
	if diff := cmp.Diff([]uint64{2, 3, 5, 6}, got); diff != "" {
		t.Errorf("filtered seqs (-want +got):\n%s", diff)
	}

	// Resume after 1: 2 left the 4-alert window (3-6 remain).
	resumed, err := client.Subscribe(ctx, &v1pb.SubscribeRequest{ResumeAfter: ptr[uint64](1)})
	if err != nil {
		t.Fatal(err)
	}
	evs := v1Events(t, resumed, 5)
	wantLoss := &v1pb.Loss{Count: 1, Reason: v1pb.Loss_REASON_REPLAY_WINDOW, AfterSeq: 1, BeforeSeq: 3}
	if diff := cmp.Diff(wantLoss, evs[0].GetLoss(), protocmp.Transform()); diff != "" {
		t.Errorf("loss report (-want +got):\n%s", diff)
	}
	got = nil
	for _, r := range evs[1:] {
		got = append(got, r.GetAlert().GetSeq())
	}
	if diff := cmp.Diff([]uint64{3, 4, 5, 6}, got); diff != "" {
		t.Errorf("replayed seqs (-want +got):\n%s", diff)
	}
	a := evs[1].GetAlert()
	_, isBool := a.GetFields()[3].GetValue().(*v1pb.Field_BoolValue)
	if a.GetPriority() != v1pb.Priority_PRIORITY_CRITICAL || a.GetMessage() != testAlert(2).Message ||
		a.GetFields()[2].GetIntValue() != 1002 || !isBool || a.GetFields()[4].GetValue() != nil {
		t.Errorf("alert 3 = %v", a)
	}
}

func ptr[T any](v T) *T { return &v }

type fixedStatus Status

func (f fixedStatus) Status() Status { return Status(f) }

func TestV1Status(t *testing.T) {
	h := NewHub(HubOptions{Replay: 3})
	loaded := time.Date(2026, 8, 20, 9, 0, 0, 0, time.UTC)
	src := fixedStatus{
		Ruleset:          RulesetInfo{Digest: "sha256:abc", Version: "v3", LoadedAt: loaded},
		Kernel:           []KernelCounters{{Category: "syscall", Events: 100, Drops: 2}},
		ProcessTableSize: 42,
	}
	s := startGRPC(t, GRPCOptions{Hub: h, Status: src, Version: Version{Version: "v0.1.0"}})
	for i := range 5 {
		h.Publish(testAlert(i))
	}
	got, err := v1pb.NewAlertServiceClient(dialUnix(t, s)).Status(testContext(t), &v1pb.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := &v1pb.StatusResponse{
		AgentVersion:     "v0.1.0",
		Ruleset:          &v1pb.Ruleset{Digest: "sha256:abc", Version: "v3", LoadedAt: timestamppb.New(loaded)},
		LastSeq:          5,
		OldestSeq:        3,
		ReplayCapacity:   3,
		Kernel:           []*v1pb.KernelStats{{Category: "syscall", Events: 100, Drops: 2}},
		ProcessTableSize: 42,
	}
	if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&v1pb.StatusResponse{}, "start_time")); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if got.GetStartTime().AsTime().IsZero() {
		t.Error("start_time not set")
	}
}

func TestHealth(t *testing.T) {
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h})
	client := healthpb.NewHealthClient(dialUnix(t, s))
	for _, svc := range []string{"", "falco.outputs.service", "falconer.output.v1.AlertService"} {
		r, err := client.Check(testContext(t), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil {
			t.Fatalf("Check(%q): %v", svc, err)
		}
		if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Check(%q) = %v", svc, r.GetStatus())
		}
	}
}

func TestSocketPermissions(t *testing.T) {
	gid := os.Getgid()
	tests := []struct {
		name    string
		mode    os.FileMode
		group   string
		want    os.FileMode
		wantErr string
	}{
		{name: "default", want: 0o600},
		{name: "group", mode: 0o660, group: strconv.Itoa(gid), want: 0o660},
		{name: "world", mode: 0o666, wantErr: "no access for other users"},
		{name: "not owner", mode: 0o060, wantErr: "want 0600 or 0660"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := socketPath(t)
			s, err := NewGRPCServer(GRPCOptions{Hub: NewHub(HubOptions{}), Socket: path, SocketMode: tt.mode, SocketGroup: tt.group})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewGRPCServer = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.stop()
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != tt.want {
				t.Errorf("socket mode = %v, want socket with %#o", fi.Mode(), tt.want)
			}
		})
	}
}

func TestSocketReplacesStaleSocketOnly(t *testing.T) {
	path := socketPath(t)
	if err := os.WriteFile(path, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewGRPCServer(GRPCOptions{Hub: NewHub(HubOptions{}), Socket: path}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("NewGRPCServer over a regular file = %v, want refusal", err)
	}
	os.Remove(path)
	// A stale socket left by a crashed agent is replaced.
	first, err := NewGRPCServer(GRPCOptions{Hub: NewHub(HubOptions{}), Socket: path})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range first.listeners {
		l.Close()
	}
	second, err := NewGRPCServer(GRPCOptions{Hub: NewHub(HubOptions{}), Socket: path})
	if err != nil {
		t.Fatalf("NewGRPCServer over a stale socket: %v", err)
	}
	second.stop()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket still present after stop: %v", err)
	}
}

func TestTCPRequiresMutualTLS(t *testing.T) {
	certs := testCerts(t)
	srvFiles := serverFiles(certs)
	serverOnly, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts GRPCOptions
	}{
		{"no TLS at all", GRPCOptions{Addr: "127.0.0.1:0"}},
		{"no client CA file", GRPCOptions{Addr: "127.0.0.1:0", TLSFiles: TLSFiles{CertFile: srvFiles.CertFile, KeyFile: srvFiles.KeyFile}}},
		{"TLS without client auth", GRPCOptions{Addr: "127.0.0.1:0", TLS: &tls.Config{Certificates: []tls.Certificate{serverOnly}}}},
		{"optional client certs", GRPCOptions{Addr: "127.0.0.1:0", TLS: &tls.Config{Certificates: []tls.Certificate{serverOnly}, ClientAuth: tls.VerifyClientCertIfGiven}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Hub = NewHub(HubOptions{})
			tt.opts.DisableSocket = true
			if _, err := NewGRPCServer(tt.opts); !errors.Is(err, ErrNoMutualTLS) {
				t.Errorf("NewGRPCServer = %v, want ErrNoMutualTLS", err)
			}
		})
	}
}

func TestMutualTLS(t *testing.T) {
	certs := testCerts(t)
	other := testCerts(t) // a second, untrusted CA
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h, DisableSocket: true, Addr: "127.0.0.1:0", TLSFiles: serverFiles(certs)})
	if s.SocketPath() != "" {
		t.Errorf("SocketPath() = %q with the socket disabled", s.SocketPath())
	}
	ctx := testContext(t)

	t.Run("valid client certificate", func(t *testing.T) {
		stream := falcoSub(t, ctx, h, dialTLS(t, s, clientFiles(certs)))
		h.Publish(testAlert(0))
		r, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r.GetRule() != "Terminal shell in container" {
			t.Errorf("rule = %q", r.GetRule())
		}
	})

	refused := []struct {
		name string
		dial func(t *testing.T) *grpc.ClientConn
	}{
		{"no client certificate", func(t *testing.T) *grpc.ClientConn {
			return dialTLS(t, s, TLSFiles{CAFile: certs.CACert})
		}},
		{"certificate from another CA", func(t *testing.T) *grpc.ClientConn {
			return dialTLS(t, s, TLSFiles{CertFile: other.ClientCert, KeyFile: other.ClientKey, CAFile: certs.CACert})
		}},
		{"server certificate as client certificate", func(t *testing.T) *grpc.ClientConn {
			return dialTLS(t, s, TLSFiles{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, CAFile: certs.CACert})
		}},
		{"plaintext", func(t *testing.T) *grpc.ClientConn {
			conn, err := grpc.NewClient(s.TCPAddr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			return conn
		}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			conn := tt.dial(t)
			_, err := version.NewServiceClient(conn).Version(ctx, &version.Request{})
			if status.Code(err) != codes.Unavailable {
				t.Errorf("Version over %s = %v, want Unavailable (handshake refused)", tt.name, err)
			}
		})
	}

	t.Run("client refuses a server from another CA", func(t *testing.T) {
		cfg, err := TLSFiles{CertFile: certs.ClientCert, KeyFile: certs.ClientKey, CAFile: other.CACert}.ClientConfig("localhost")
		if err != nil {
			t.Fatal(err)
		}
		conn, err := grpc.NewClient(s.TCPAddr().String(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := version.NewServiceClient(conn).Version(ctx, &version.Request{}); status.Code(err) != codes.Unavailable {
			t.Errorf("Version = %v, want Unavailable", err)
		}
	})
}

// TestStalledSubscriberIsDisconnected stalls a subscriber (it never reads)
// until the server cannot send to it, and checks that it is cut off after
// the stall timeout while a healthy subscriber keeps receiving.
func TestStalledSubscriberIsDisconnected(t *testing.T) {
	h := NewHub(HubOptions{Buffer: 64})
	s := startGRPC(t, GRPCOptions{Hub: h, StallTimeout: 300 * time.Millisecond})
	ctx := testContext(t)
	stalledConn := dialUnix(t, s, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	stalled := falcoSub(t, ctx, h, stalledConn)
	healthy := falcoSub(t, ctx, h, dialUnix(t, s))

	received := 0
	deadline := time.Now().Add(15 * time.Second)
	for subscribers(h, OutputGRPC) == 2 {
		if time.Now().After(deadline) {
			t.Fatal("stalled subscriber was never disconnected")
		}
		for range 32 {
			h.Publish(testAlert(received))
		}
		for range 32 {
			if _, err := healthy.Recv(); err != nil {
				t.Fatalf("healthy Recv: %v", err)
			}
			received++
		}
	}
	// The stalled client finds its buffered alerts, then the error.
	var err error
	for err == nil {
		_, err = stalled.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("stalled stream ended with %v, want ResourceExhausted", err)
	}
	h.Publish(testAlert(0))
	if _, err := healthy.Recv(); err != nil {
		t.Errorf("healthy subscriber after the disconnect: %v", err)
	}
	var drops uint64
	for _, o := range h.Stats().Outputs {
		drops += o.Dropped
	}
	if drops == 0 {
		t.Error("no drops counted for the stalled subscriber")
	}
}

func TestMaxSubscribers(t *testing.T) {
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h, MaxSubscribers: 1})
	ctx := testContext(t)
	conn := dialUnix(t, s)
	falcoSub(t, ctx, h, conn)
	stream, err := v1pb.NewAlertServiceClient(conn).Subscribe(ctx, &v1pb.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("second subscriber: %v, want ResourceExhausted", err)
	}
}

func TestShutdownEndsStreams(t *testing.T) {
	h := NewHub(HubOptions{})
	srv, err := NewGRPCServer(GRPCOptions{Hub: h, Socket: socketPath(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	stream := falcoSub(t, testContext(t), h, dialUnix(t, srv))
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
		t.Errorf("Recv after shutdown = %v, want Unavailable", err)
	}
	if _, err := os.Lstat(srv.SocketPath()); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}

func TestFalcoPriorityNumbers(t *testing.T) {
	// Falco's schema.priority numbers equal ir.Priority values.
	for p := ir.Emergency; p <= ir.Debug; p++ {
		if got := schema.Priority(p).String(); !strings.EqualFold(got, p.String()) {
			t.Errorf("schema.Priority(%d) = %s, want %s", p, got, p)
		}
	}
}

// TestInvalidUTF8 sends an alert whose file name is not UTF-8 (Linux paths
// need not be): protobuf strings must be UTF-8, so the server replaces the
// bad bytes instead of failing the stream.
func TestInvalidUTF8(t *testing.T) {
	h := NewHub(HubOptions{})
	s := startGRPC(t, GRPCOptions{Hub: h})
	ctx := testContext(t)
	conn := dialUnix(t, s)
	falco := falcoSub(t, ctx, h, conn)
	v1, err := v1pb.NewAlertServiceClient(conn).Subscribe(ctx, &v1pb.SubscribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the v1 subscription", func() bool { return subscribers(h, OutputGRPC) == 2 })
	a := testAlert(0)
	a.Message = "file=/srv/data/\xff\xfeevil"
	a.Tags = []string{"ok", "bad\xc3"}
	a.Fields = append(a.Fields, eval.OutputField{Name: "fd.name", Value: "/srv/data/\xff\xfeevil"})
	h.Publish(a)
	h.Publish(testAlert(1))

	r, err := falco.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if got := r.GetOutputFields()["fd.name"]; got != "/srv/data/\uFFFDevil" {
		t.Errorf("falco fd.name = %q", got)
	}
	if !strings.HasSuffix(r.GetOutput(), "file=/srv/data/\uFFFDevil") || r.GetTags()[1] != "bad\uFFFD" {
		t.Errorf("falco response = %v", r)
	}
	if r, err := falco.Recv(); err != nil || r.GetRule() != testAlert(1).Rule {
		t.Errorf("next alert after the bad one: %v, %v", r, err)
	}
	ev, err := v1.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.GetAlert().GetMessage(); got != "file=/srv/data/\uFFFDevil" {
		t.Errorf("v1 message = %q", got)
	}
}
