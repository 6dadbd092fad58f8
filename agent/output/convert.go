package output

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/falconer-sec/falconer/agent/output/falcopb/outputs"
	"github.com/falconer-sec/falconer/agent/output/falcopb/schema"
	"github.com/falconer-sec/falconer/agent/output/falcopb/version"
	"github.com/falconer-sec/falconer/agent/output/v1pb"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// falcoResponse converts an alert to Falco's falco.outputs.response, as
// Falco 0.43 fills it: output is the text line, output_fields values that
// are not strings are written as JSON (numbers, true/false, null).
func falcoResponse(a *eval.Alert) *outputs.Response {
	r := &outputs.Response{
		Time:         timestamppb.New(timeOf(a.Time)),
		Priority:     schema.Priority(a.Priority),
		Rule:         validUTF8(a.Rule),
		Output:       validUTF8(a.Text()),
		OutputFields: make(map[string]string, len(a.Fields)),
		Hostname:     validUTF8(a.Hostname),
		Tags:         validUTF8s(a.Tags),
		Source:       validUTF8(a.Source),
	}
	switch a.Source {
	case "syscall", "":
		r.SourceDeprecated = schema.Source_SYSCALL
	case "k8s_audit":
		r.SourceDeprecated = schema.Source_K8S_AUDIT
	case "internal":
		r.SourceDeprecated = schema.Source_INTERNAL
	default:
		r.SourceDeprecated = schema.Source_PLUGIN
	}
	for _, f := range a.Fields {
		r.OutputFields[validUTF8(f.Name)] = validUTF8(fieldString(f.Value))
	}
	return r
}

// fieldString renders an output field value as Falco's gRPC output does:
// strings as they are, anything else as its JSON text.
func fieldString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return ""
}

// validUTF8 makes s valid UTF-8, as protobuf strings must be: each run
// of invalid bytes becomes U+FFFD. Alert text carries file names and
// command lines, which need not be UTF-8, and one bad string must not make
// an alert unsendable.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// validUTF8s applies validUTF8 to every string, copying only if needed.
func validUTF8s(ss []string) []string {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			out := make([]string, len(ss))
			for i := range ss {
				out[i] = validUTF8(ss[i])
			}
			return out
		}
	}
	return ss
}

// timeOf converts nanoseconds since the epoch to a UTC time.
func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// v1Priority converts a priority to the v1 enum (Falco's value plus one).
func v1Priority(p ir.Priority) v1pb.Priority {
	if !p.Valid() {
		return v1pb.Priority_PRIORITY_UNSPECIFIED
	}
	return v1pb.Priority(p + 1)
}

// v1Alert converts an alert with its sequence number to the v1 message.
func v1Alert(seq uint64, a *eval.Alert) *v1pb.Alert {
	m := &v1pb.Alert{
		Seq:      seq,
		Time:     timestamppb.New(timeOf(a.Time)),
		Rule:     validUTF8(a.Rule),
		Priority: v1Priority(a.Priority),
		Source:   validUTF8(a.Source),
		Tags:     validUTF8s(a.Tags),
		Hostname: validUTF8(a.Hostname),
		Message:  validUTF8(a.Message),
		Output:   validUTF8(a.Text()),
		Fields:   make([]*v1pb.Field, len(a.Fields)),
	}
	for i, f := range a.Fields {
		fm := &v1pb.Field{Name: validUTF8(f.Name)}
		switch v := f.Value.(type) {
		case string:
			fm.Value = &v1pb.Field_StringValue{StringValue: validUTF8(v)}
		case int64:
			fm.Value = &v1pb.Field_IntValue{IntValue: v}
		case bool:
			fm.Value = &v1pb.Field_BoolValue{BoolValue: v}
		}
		m.Fields[i] = fm
	}
	return m
}

// v1Filter converts a v1 filter to a Filter.
func v1Filter(f *v1pb.Filter) Filter {
	var out Filter
	if f == nil {
		return out
	}
	if p := f.GetMinPriority(); p != v1pb.Priority_PRIORITY_UNSPECIFIED {
		floor := ir.Priority(p - 1)
		out.MinPriority = &floor
	}
	out.Rules = f.GetRules()
	out.Tags = f.GetTags()
	out.Sources = f.GetSources()
	return out
}

// v1Loss converts an entry's loss report.
func v1Loss(e Entry) *v1pb.Loss {
	l := &v1pb.Loss{Count: e.Lost, AfterSeq: e.LostAfter, BeforeSeq: e.Seq}
	switch e.Reason {
	case LossSlowConsumer:
		l.Reason = v1pb.Loss_REASON_SLOW_CONSUMER
	case LossReplayWindow:
		l.Reason = v1pb.Loss_REASON_REPLAY_WINDOW
		if e.Alert == nil {
			// A pure loss entry sits just before the oldest
			// alert still held.
			l.BeforeSeq = e.Seq + 1
		}
	}
	return l
}

// falcoVersionResponse fills Falco's version response, splitting semantic
// versions into their parts ("v1.2.3-rc.1+abc": 1, 2, 3, "rc.1", "abc").
func falcoVersionResponse(v Version) *version.Response {
	r := &version.Response{
		Version:              v.Version,
		EngineVersion:        v.EngineVersion,
		EngineFieldsChecksum: v.EngineFieldsChecksum,
	}
	r.Major, r.Minor, r.Patch, r.Prerelease, r.Build = splitSemver(v.Version)
	r.EngineMajor, r.EngineMinor, r.EnginePatch, _, _ = splitSemver(v.EngineVersion)
	return r
}

// splitSemver splits "v1.2.3-pre+build"; parts that do not parse are zero.
func splitSemver(s string) (major, minor, patch uint32, pre, build string) {
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s, build = s[:i], s[i+1:]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		s, pre = s[:i], s[i+1:]
	}
	nums := strings.SplitN(s, ".", 3)
	dst := []*uint32{&major, &minor, &patch}
	for i, n := range nums {
		v, err := strconv.ParseUint(n, 10, 32)
		if err != nil {
			return 0, 0, 0, pre, build
		}
		*dst[i] = uint32(v)
	}
	return major, minor, patch, pre, build
}
