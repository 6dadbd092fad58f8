package output

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/falconer-sec/falconer/agent/output/falcopb/outputs"
	"github.com/falconer-sec/falconer/agent/output/falcopb/version"
	"github.com/falconer-sec/falconer/agent/output/v1pb"
)

// Defaults for GRPCOptions.
const (
	// DefaultSocket is where the gRPC unix socket is created. Point
	// Falco clients that expect unix:///run/falco/falco.sock at it, or
	// set GRPCOptions.Socket to that path.
	DefaultSocket = "/run/falconer/falconer.sock"
	// DefaultStallTimeout is how long a subscriber may leave the server
	// unable to send before it is disconnected.
	DefaultStallTimeout = time.Minute
	// DefaultMaxSubscribers caps the concurrent streaming subscribers.
	DefaultMaxSubscribers = 64
)

// OutputGRPC names gRPC subscriptions in the hub's counters (the output
// label of the metrics).
const OutputGRPC = "grpc"

// GRPCOptions configures the gRPC servers. The zero value (plus a Hub)
// serves on DefaultSocket with mode 0600 and no TCP listener.
type GRPCOptions struct {
	// Hub is the source of alerts (required).
	Hub *Hub

	// Socket is the unix socket path (DefaultSocket if empty). Its
	// directory is created if missing. An existing socket at the path
	// is replaced; any other kind of file is an error.
	Socket string
	// DisableSocket turns the unix socket off (TCP only).
	DisableSocket bool
	// SocketMode is the socket's permission bits: 0600 (the default)
	// or 0660 together with SocketGroup. Access for other users is
	// refused, as anyone who can connect reads every alert.
	SocketMode os.FileMode
	// SocketGroup is the group (name or numeric id) that owns the
	// socket, for mode 0660.
	SocketGroup string

	// Addr is a TCP address to listen on as well ("127.0.0.1:5060");
	// empty means none. TCP always requires mutual TLS: set TLS or
	// TLSFiles.
	Addr string
	// TLS is the server's TLS configuration for Addr. It must require
	// and verify client certificates.
	TLS *tls.Config
	// TLSFiles are used to build the TLS configuration when TLS is nil.
	TLSFiles TLSFiles

	// Status supplies the agent's state to the v1 Status method (may
	// be nil).
	Status StatusSource
	// Version is reported by falco.version.service and v1 Status.
	Version Version

	// Buffer overrides the hub's per-subscriber buffer for gRPC
	// subscribers.
	Buffer int
	// StallTimeout disconnects a subscriber that has left the server
	// unable to send for this long (its alerts are dropped and counted
	// meanwhile either way). Zero means DefaultStallTimeout, negative
	// never.
	StallTimeout time.Duration
	// MaxSubscribers caps the concurrent streaming subscribers
	// (DefaultMaxSubscribers if zero).
	MaxSubscribers int
}

// GRPCServer serves the alert APIs over a unix socket and, optionally,
// over TCP with mutual TLS:
//
//   - falco.outputs.service (sub, get) and falco.version.service, wire
//     compatible with Falco 0.43's gRPC API, so existing clients
//     (falco-exporter, client-go) work unchanged;
//   - falconer.output.v1.AlertService, the versioned API with filters,
//     resumption and status;
//   - grpc.health.v1.Health and server reflection.
type GRPCServer struct {
	hub     *Hub
	opts    GRPCOptions
	stall   time.Duration
	started time.Time
	health  *health.Server

	servers   []*grpc.Server
	listeners []net.Listener
	socket    string
	tcpAddr   net.Addr

	done      chan struct{} // closed when Run stops serving
	streams   atomic.Int64
	closeOnce sync.Once
}

// NewGRPCServer validates opts and opens the listeners, so that address
// and permission errors surface before Run.
func NewGRPCServer(opts GRPCOptions) (*GRPCServer, error) {
	if opts.Hub == nil {
		return nil, errors.New("grpc output: no hub")
	}
	if opts.DisableSocket && opts.Addr == "" {
		return nil, errors.New("grpc output: no listener (socket disabled and no TCP address)")
	}
	s := &GRPCServer{hub: opts.Hub, opts: opts, stall: opts.StallTimeout, started: time.Now(), done: make(chan struct{})}
	if s.stall == 0 {
		s.stall = DefaultStallTimeout
	}
	if s.opts.MaxSubscribers <= 0 {
		s.opts.MaxSubscribers = DefaultMaxSubscribers
	}
	s.health = health.NewServer()

	var tcpTLS *tls.Config
	if opts.Addr != "" {
		tcpTLS = opts.TLS
		if tcpTLS == nil {
			var err error
			if tcpTLS, err = opts.TLSFiles.ServerConfig(); err != nil {
				return nil, fmt.Errorf("grpc output: %w", err)
			}
		}
		if err := checkMutualTLS(tcpTLS); err != nil {
			return nil, fmt.Errorf("grpc output: %w", err)
		}
	}
	if !opts.DisableSocket {
		path := opts.Socket
		if path == "" {
			path = DefaultSocket
		}
		l, err := listenUnix(path, opts.SocketMode, opts.SocketGroup)
		if err != nil {
			return nil, fmt.Errorf("grpc output: %w", err)
		}
		s.socket = path
		s.add(l, nil)
	}
	if opts.Addr != "" {
		l, err := net.Listen("tcp", opts.Addr)
		if err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("grpc output: %w", err)
		}
		s.tcpAddr = l.Addr()
		s.add(l, credentials.NewTLS(tcpTLS))
	}
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range []string{"falco.outputs.service", "falco.version.service", "falconer.output.v1.AlertService"} {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	return s, nil
}

// add creates a grpc.Server for l with the given transport credentials
// (nil for the unix socket) and registers every service on it.
func (s *GRPCServer) add(l net.Listener, creds credentials.TransportCredentials) {
	sopts := []grpc.ServerOption{
		grpc.ForceServerCodecV2(newServerCodec()),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	}
	if creds != nil {
		sopts = append(sopts, grpc.Creds(creds))
	}
	srv := grpc.NewServer(sopts...)
	outputs.RegisterServiceServer(srv, falcoOutputs{s: s})
	version.RegisterServiceServer(srv, falcoVersion{s: s})
	v1pb.RegisterAlertServiceServer(srv, alertService{s: s})
	healthpb.RegisterHealthServer(srv, s.health)
	reflection.Register(srv)
	s.servers = append(s.servers, srv)
	s.listeners = append(s.listeners, l)
}

// listenUnix creates a unix socket at path with mode perm (0600 if zero)
// and the given group. The socket is bound under a temporary name,
// restricted, then renamed into place, so it is never reachable with
// wider permissions.
func listenUnix(path string, perm os.FileMode, group string) (net.Listener, error) {
	if perm == 0 {
		perm = 0o600
	}
	if perm&^0o770 != 0 || perm&0o600 != 0o600 {
		return nil, fmt.Errorf("socket mode %#o: want 0600 or 0660 (no access for other users)", perm)
	}
	gid := -1
	if group != "" {
		g, err := lookupGroup(group)
		if err != nil {
			return nil, err
		}
		gid = g
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("socket %s: exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.tmp", filepath.Base(path), os.Getpid()))
	_ = os.Remove(tmp)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on socket: %w", err)
	}
	l.SetUnlinkOnClose(false)
	fail := func(err error) (net.Listener, error) {
		l.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Chmod(tmp, perm); err != nil {
		return fail(fmt.Errorf("socket permissions: %w", err))
	}
	if gid >= 0 {
		if err := os.Chown(tmp, -1, gid); err != nil {
			return fail(fmt.Errorf("socket group: %w", err))
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(fmt.Errorf("socket: %w", err))
	}
	return l, nil
}

func lookupGroup(name string) (int, error) {
	if id, err := strconv.Atoi(name); err == nil {
		return id, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("socket group: %w", err)
	}
	return strconv.Atoi(g.Gid)
}

// SocketPath returns the unix socket's path ("" if disabled).
func (s *GRPCServer) SocketPath() string { return s.socket }

// TCPAddr returns the TCP listener's address (nil if none).
func (s *GRPCServer) TCPAddr() net.Addr { return s.tcpAddr }

// Run serves until ctx ends, then ends the open streams, stops the
// servers and removes the socket. It returns nil after a shutdown caused
// by ctx, or the first serving error.
func (s *GRPCServer) Run(ctx context.Context) error {
	errc := make(chan error, len(s.servers))
	for i, srv := range s.servers {
		go func() {
			errc <- srv.Serve(s.listeners[i])
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("grpc output: %w", err)
	}
	s.stop()
	return err
}

// stop ends the streams, then the servers (forcibly after 5 s).
func (s *GRPCServer) stop() {
	s.closeOnce.Do(func() {
		s.health.Shutdown()
		close(s.done)
		var wg sync.WaitGroup
		for _, srv := range s.servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := time.AfterFunc(5*time.Second, srv.Stop)
				srv.GracefulStop()
				t.Stop()
			}()
		}
		wg.Wait()
		s.closeListeners()
	})
}

func (s *GRPCServer) closeListeners() {
	for _, l := range s.listeners {
		l.Close()
	}
	if s.socket != "" {
		os.Remove(s.socket)
	}
}

// ServeGRPC serves the gRPC alert APIs until ctx ends (NewGRPCServer then
// Run).
func ServeGRPC(ctx context.Context, opts GRPCOptions) error {
	s, err := NewGRPCServer(opts)
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// subscribe opens a hub subscription for a stream, enforcing the
// subscriber cap.
func (s *GRPCServer) subscribe(opts SubscribeOptions) (*Subscription, error) {
	if n := s.streams.Add(1); n > int64(s.opts.MaxSubscribers) {
		s.streams.Add(-1)
		return nil, status.Errorf(codes.ResourceExhausted, "too many subscribers (limit %d)", s.opts.MaxSubscribers)
	}
	opts.Output = OutputGRPC
	if s.opts.Buffer > 0 {
		opts.Buffer = s.opts.Buffer
	}
	sub, err := s.hub.Subscribe(opts)
	if err != nil {
		s.streams.Add(-1)
		return nil, status.Error(codes.Unavailable, "server is shutting down")
	}
	return sub, nil
}

// pump sends the subscription's entries with send until the stream or the
// server ends. A subscriber that leaves send blocked for longer than the
// stall timeout is disconnected with RESOURCE_EXHAUSTED.
func (s *GRPCServer) pump(ctx context.Context, sub *Subscription, send func(Entry) error) error {
	defer s.streams.Add(-1)
	defer sub.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()

	var sendingSince atomic.Int64 // UnixNano when the current send began; 0 when idle
	loop := func() error {
		for {
			e, err := sub.Next(ctx)
			if err != nil {
				return err
			}
			sendingSince.Store(time.Now().UnixNano())
			err = send(e)
			sendingSince.Store(0)
			if err != nil {
				return err
			}
		}
	}
	end := func(err error) error {
		select {
		case <-s.done:
			return status.Error(codes.Unavailable, "server is shutting down")
		default:
		}
		if errors.Is(err, ErrClosed) {
			return status.Error(codes.Unavailable, "server is shutting down")
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return status.FromContextError(err).Err()
		}
		return err
	}
	if s.stall < 0 {
		return end(loop())
	}
	errc := make(chan error, 1)
	go func() { errc <- loop() }()
	tick := time.NewTicker(min(s.stall/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case err := <-errc:
			return end(err)
		case <-tick.C:
			if since := sendingSince.Load(); since != 0 && time.Since(time.Unix(0, since)) > s.stall {
				// Returning ends the RPC, which unblocks the
				// pending send in loop.
				return status.Errorf(codes.ResourceExhausted, "subscriber stopped reading for over %v; %d alerts dropped", s.stall, sub.Dropped())
			}
		}
	}
}

// falcoOutputs implements falco.outputs.service.
type falcoOutputs struct {
	outputs.UnimplementedServiceServer
	s *GRPCServer
}

// Sub streams every alert to the subscriber from the time of the call.
// Falco 0.43 put all subscribers on one shared queue (each alert went to
// one of them) and answered only after a request message; here every
// subscriber gets every alert, through its own bounded buffer, from the
// start of the stream. Request messages are read and ignored.
func (f falcoOutputs) Sub(stream grpc.BidiStreamingServer[outputs.Request, outputs.Response]) error {
	sub, err := f.s.subscribe(SubscribeOptions{})
	if err != nil {
		return err
	}
	go func() {
		for {
			if _, err := stream.Recv(); err != nil {
				return // EOF (half-close) or the stream ended
			}
		}
	}()
	return f.s.pump(stream.Context(), sub, func(e Entry) error {
		if e.Alert == nil {
			return nil
		}
		return sendEncoded(stream, e.falcoMessage)
	})
}

// Get streams the alerts published since the previous get that are still
// in the replay window, then ends.
func (f falcoOutputs) Get(_ *outputs.Request, stream grpc.ServerStreamingServer[outputs.Response]) error {
	for _, e := range f.s.hub.takeQueued() {
		if err := sendEncoded(stream, e.falcoMessage); err != nil {
			return err
		}
	}
	return nil
}

// falcoVersion implements falco.version.service.
type falcoVersion struct {
	version.UnimplementedServiceServer
	s *GRPCServer
}

// Version reports the agent's version.
func (v falcoVersion) Version(context.Context, *version.Request) (*version.Response, error) {
	return falcoVersionResponse(v.s.opts.Version), nil
}

// alertService implements falconer.output.v1.AlertService.
type alertService struct {
	v1pb.UnimplementedAlertServiceServer
	s *GRPCServer
}

// Subscribe streams filtered alerts, optionally resuming from the replay
// window, with loss reports.
func (a alertService) Subscribe(req *v1pb.SubscribeRequest, stream grpc.ServerStreamingServer[v1pb.SubscribeResponse]) error {
	opts := SubscribeOptions{Filter: v1Filter(req.GetFilter())}
	if req.ResumeAfter != nil {
		opts.Resume, opts.After = true, req.GetResumeAfter()
	}
	sub, err := a.s.subscribe(opts)
	if err != nil {
		return err
	}
	return a.s.pump(stream.Context(), sub, func(e Entry) error {
		if e.Lost > 0 {
			if err := stream.Send(&v1pb.SubscribeResponse{Event: &v1pb.SubscribeResponse_Loss{Loss: v1Loss(e)}}); err != nil {
				return err
			}
		}
		if e.Alert == nil {
			return nil
		}
		return sendEncoded(stream, e.v1Message)
	})
}

// sendEncoded sends a pre-encoded message on a server stream.
func sendEncoded(stream grpc.ServerStream, encode func() (preEncoded, error)) error {
	msg, err := encode()
	if err != nil {
		return status.Errorf(codes.Internal, "encode alert: %v", err)
	}
	return stream.SendMsg(msg)
}

// Status reports the agent's state.
func (a alertService) Status(context.Context, *v1pb.StatusRequest) (*v1pb.StatusResponse, error) {
	st := a.s.hub.Stats()
	r := &v1pb.StatusResponse{
		AgentVersion:   a.s.opts.Version.Version,
		StartTime:      timestamppb.New(a.s.started),
		LastSeq:        st.LastSeq,
		OldestSeq:      st.OldestSeq,
		ReplayCapacity: uint64(st.ReplayCapacity),
	}
	for _, o := range st.Outputs {
		r.Outputs = append(r.Outputs, &v1pb.OutputStats{Output: o.Output, Subscribers: uint64(o.Subscribers), Delivered: o.Delivered, Dropped: o.Dropped})
	}
	if a.s.opts.Status != nil {
		as := a.s.opts.Status.Status()
		r.Ruleset = &v1pb.Ruleset{Digest: as.Ruleset.Digest, Version: as.Ruleset.Version}
		if !as.Ruleset.LoadedAt.IsZero() {
			r.Ruleset.LoadedAt = timestamppb.New(as.Ruleset.LoadedAt)
		}
		for _, k := range as.Kernel {
			r.Kernel = append(r.Kernel, &v1pb.KernelStats{Category: k.Category, Events: k.Events, Drops: k.Drops})
		}
		r.ProcessTableSize = uint64(max(as.ProcessTableSize, 0))
	}
	return r, nil
}
