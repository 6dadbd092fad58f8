package output

import (
	"sync"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/falconer-sec/falconer/agent/output/v1pb"
	"github.com/falconer-sec/falconer/compiler/eval"
)

// preEncoded is a message already in protobuf wire form. The server codec
// sends its bytes as they are, so an alert that goes to many subscribers
// is converted and marshalled once, not once per subscriber.
type preEncoded []byte

// serverCodec is gRPC's protobuf codec that also passes preEncoded
// messages through.
type serverCodec struct{ proto encoding.CodecV2 }

func newServerCodec() serverCodec {
	return serverCodec{proto: encoding.GetCodecV2(grpcproto.Name)}
}

func (c serverCodec) Marshal(v any) (mem.BufferSlice, error) {
	if p, ok := v.(preEncoded); ok {
		return mem.BufferSlice{mem.SliceBuffer(p)}, nil
	}
	return c.proto.Marshal(v)
}

func (c serverCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return c.proto.Unmarshal(data, v)
}

func (c serverCodec) Name() string { return grpcproto.Name }

// encodings caches the wire forms of one published alert, shared by the
// entries every subscriber receives.
type encodings struct {
	falcoOnce sync.Once
	falco     preEncoded
	falcoErr  error
	v1Once    sync.Once
	v1        preEncoded
	v1Err     error
}

// falcoMessage returns the entry's alert as an encoded
// falco.outputs.response.
func (e Entry) falcoMessage() (preEncoded, error) {
	if e.enc == nil {
		return marshalFalco(e.Alert)
	}
	e.enc.falcoOnce.Do(func() { e.enc.falco, e.enc.falcoErr = marshalFalco(e.Alert) })
	return e.enc.falco, e.enc.falcoErr
}

// v1Message returns the entry's alert as an encoded v1 SubscribeResponse.
func (e Entry) v1Message() (preEncoded, error) {
	if e.enc == nil {
		return marshalV1(e.Seq, e.Alert)
	}
	e.enc.v1Once.Do(func() { e.enc.v1, e.enc.v1Err = marshalV1(e.Seq, e.Alert) })
	return e.enc.v1, e.enc.v1Err
}

func marshalFalco(a *eval.Alert) (preEncoded, error) {
	return proto.Marshal(falcoResponse(a))
}

func marshalV1(seq uint64, a *eval.Alert) (preEncoded, error) {
	return proto.Marshal(&v1pb.SubscribeResponse{Event: &v1pb.SubscribeResponse_Alert{Alert: v1Alert(seq, a)}})
}
