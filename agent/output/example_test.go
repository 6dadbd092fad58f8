package output_test

import (
	"context"
	"fmt"

	"github.com/falconer-sec/falconer/agent/output"
	"github.com/falconer-sec/falconer/compiler/eval"
	"github.com/falconer-sec/falconer/compiler/ir"
)

// A hub fans alerts out to subscribers, each with its own bounded buffer;
// one that falls behind loses alerts (counted) without slowing anyone.
func ExampleHub() {
	hub := output.NewHub(output.HubOptions{Buffer: 2})
	warning := ir.Warning
	severe, _ := hub.Subscribe(output.SubscribeOptions{Filter: output.Filter{MinPriority: &warning}, Buffer: 10})
	small, _ := hub.Subscribe(output.SubscribeOptions{})

	for i, p := range []ir.Priority{ir.Notice, ir.Critical, ir.Warning, ir.Debug} {
		hub.Publish(&eval.Alert{Rule: fmt.Sprintf("rule %d", i), Priority: p, Source: "syscall"})
	}

	ctx := context.Background()
	for range 2 {
		e, _ := severe.Next(ctx)
		fmt.Println("severe:", e.Seq, e.Alert.Rule, e.Alert.Priority)
	}
	fmt.Println("small dropped:", small.Dropped())

	// Resume after seq 2 from the replay window.
	resumed, _ := hub.Subscribe(output.SubscribeOptions{Resume: true, After: 2})
	for range 2 {
		e, _ := resumed.Next(ctx)
		fmt.Println("resumed:", e.Seq, e.Alert.Rule)
	}
	// Output:
	// severe: 2 rule 1 Critical
	// severe: 3 rule 2 Warning
	// small dropped: 2
	// resumed: 3 rule 2
	// resumed: 4 rule 3
}
