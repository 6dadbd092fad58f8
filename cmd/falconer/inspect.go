package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/compiler/fields"
	"github.com/falconer-sec/falconer/compiler/ir"
)

func newInspectCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "inspect [flags] RULESET.fcr",
		Short: "Summarise a compiled ruleset",
		Long: `Inspect decodes a compiled ruleset (strictly, as the agent does) and prints
its digest, sources, rules with priorities and event types, and the syscall
set the kernel probe will capture.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			p, err := ir.Decode(data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			switch format {
			case "text":
				writeInspect(c.OutOrStdout(), p, ir.Digest(data), len(data))
				return nil
			case "json":
				return writeJSON(c.OutOrStdout(), p)
			}
			return usagef(c.CommandPath(), "--format must be text or json, not %q", format)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json (the decoded program)")
	return c
}

func writeInspect(w io.Writer, p *ir.Program, digest string, size int) {
	fmt.Fprintf(w, "digest:   %s\n", digest)
	fmt.Fprintf(w, "size:     %d bytes\n", size)
	fmt.Fprintf(w, "format:   %d (%s)\n", p.Format, p.Compiler)
	if p.RequiredEngineVersion != "" {
		fmt.Fprintf(w, "engine:   >= %s\n", p.RequiredEngineVersion)
	}
	for _, r := range p.PluginRequirements {
		fmt.Fprintf(w, "plugin:   %s >= %s\n", r.Name, r.Version)
	}
	fmt.Fprintf(w, "sources:\n")
	for _, s := range p.Sources {
		fmt.Fprintf(w, "  %s  sha256:%s\n", s.Name, s.SHA256)
	}
	byPri := map[ir.Priority]int{}
	for _, r := range p.Rules {
		byPri[r.Priority]++
	}
	var pris []string
	for pr := ir.Emergency; pr <= ir.Debug; pr++ {
		if byPri[pr] > 0 {
			pris = append(pris, fmt.Sprintf("%s %d", pr, byPri[pr]))
		}
	}
	fmt.Fprintf(w, "rules:    %d (%s)\n", len(p.Rules), strings.Join(pris, ", "))
	for _, r := range p.Rules {
		fmt.Fprintf(w, "  %-13s %s  [%s]  %s:%d\n", r.Priority, r.Name, eventTypes(r), r.Origin.File, r.Origin.Line)
	}
	fmt.Fprintf(w, "syscalls: %d\n  %s\n", len(p.Syscalls), strings.Join(p.Syscalls, " "))
}

// eventTypes renders a rule's event-type index as names.
func eventTypes(r ir.Rule) string {
	if r.AllEvents {
		return "all events"
	}
	set := map[string]bool{}
	for _, c := range r.EventCodes {
		set[fields.EventName(fields.EventCode(c))] = true
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}
