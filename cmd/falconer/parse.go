package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/falconer-sec/falconer/compiler/syntax"
)

const parseLong = `Parse checks the grammar of one Falco condition and prints its syntax
tree, one node per line with its line:col, or as JSON with --format json.

Only the grammar is checked: field names are not looked up, a bare
identifier is a macro reference, and lists are not substituted.

Exit status: 0 when the condition parses, 1 on a syntax error (printed as
<input>:LINE:COL: error: MESSAGE [condition-syntax]), 2 on a usage error.`

// parseFormats are the values --format accepts for falconer parse.
var parseFormats = []string{"text", "json"}

func newParseCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "parse [flags] CONDITION",
		Short: "Parse a condition and print its syntax tree",
		Long:  parseLong,
		Example: `  falconer parse 'evt.type = execve and proc.name in (bash, sh)'
  falconer parse --format json 'not fd.name startswith /etc'`,
		Args:          exactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(c *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef(c.CommandPath(), "--format must be one of %v, not %q", parseFormats, format)
			}
			src := args[0]
			x, err := syntax.ParseCondition(src, syntax.ConditionOptions{Map: inputPos(src)})
			if err != nil {
				var e *syntax.Error
				if !errors.As(err, &e) {
					return err
				}
				if err := writeDiagnostics(c.OutOrStdout(), format, syntax.ErrorList{e}); err != nil {
					return err
				}
				return errFindings
			}
			if format == "json" {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(treeJSON(x))
			}
			return writeTree(c.OutOrStdout(), x)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(parseFormats, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// inputPos maps byte offsets of a command-line condition to positions in
// the file "<input>", counting lines at each line feed.
func inputPos(src string) func(off int) syntax.Pos {
	return func(off int) syntax.Pos {
		if off > len(src) {
			off = len(src)
		}
		line := 1 + strings.Count(src[:off], "\n")
		col := off + 1
		if i := strings.LastIndexByte(src[:off], '\n'); i >= 0 {
			col = off - i
		}
		return syntax.Pos{File: "<input>", Line: line, Col: col, Offset: off}
	}
}

// writeTree prints the tree rooted at x, one node per line, indented by
// depth: the node kind, its details, and its line:col.
func writeTree(w io.Writer, x syntax.Expr) error {
	var b strings.Builder
	depth := 0
	syntax.Inspect(x, func(n syntax.Node) bool {
		if n == nil {
			depth--
			return false
		}
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(nodeLine(n))
		fmt.Fprintf(&b, " @%d:%d\n", n.Pos().Line, n.Pos().Col)
		depth++
		return true
	})
	_, err := io.WriteString(w, b.String())
	return err
}

// nodeLine describes one node for writeTree.
func nodeLine(n syntax.Node) string {
	switch n := n.(type) {
	case *syntax.LogicalExpr:
		return n.Op.String()
	case *syntax.NotExpr:
		return "not"
	case *syntax.MacroRef:
		return "macro " + n.Name
	case *syntax.CheckExpr:
		s := "check " + n.Op
		if n.Modifier != "" {
			s += " " + n.Modifier
		}
		return s
	case *syntax.FieldRef:
		s := "field " + n.Name
		if n.HasArg {
			s += " arg " + strconv.Quote(n.Arg)
		}
		return s
	case *syntax.Transformer:
		s := "transformer " + n.Name
		if n.HasArg {
			s += " arg " + strconv.Quote(n.Arg)
		}
		return s
	case *syntax.StringLit:
		return "value " + strconv.Quote(n.Value)
	case *syntax.ListLit:
		return "list"
	case *syntax.ListRef:
		return "listref " + n.Name
	case *syntax.ArgList:
		return "arglist"
	}
	return fmt.Sprintf("%T", n)
}

// jsonNode is the stable JSON shape of a syntax tree node. Kind is one of
// and, or, not, macro, check, field, transformer, value, list, listref,
// arglist; the other members are set as the kind needs them.
type jsonNode struct {
	Kind     string      `json:"kind"`
	Line     int         `json:"line"`
	Col      int         `json:"col"`
	Op       string      `json:"op,omitempty"`       // check: the operator
	Modifier string      `json:"modifier,omitempty"` // check: oneof, anyof or allof
	Name     string      `json:"name,omitempty"`     // macro, transformer, listref
	Field    string      `json:"field,omitempty"`    // field: the field name
	Arg      *string     `json:"arg,omitempty"`      // field, transformer: the [argument]
	Value    *string     `json:"value,omitempty"`    // value: the decoded text
	Quoted   bool        `json:"quoted,omitempty"`   // value: written in quotes
	Operands []*jsonNode `json:"operands,omitempty"` // and, or, not
	Left     *jsonNode   `json:"left,omitempty"`     // check
	Right    *jsonNode   `json:"right,omitempty"`    // check, except exists
	Args     []*jsonNode `json:"args,omitempty"`     // transformer, arglist
	Values   *[]jsonNode `json:"values,omitempty"`   // list: always present
}

func treeJSON(n syntax.Node) *jsonNode {
	j := &jsonNode{Line: n.Pos().Line, Col: n.Pos().Col}
	switch n := n.(type) {
	case *syntax.LogicalExpr:
		j.Kind = n.Op.String()
		for _, o := range n.Operands {
			j.Operands = append(j.Operands, treeJSON(o))
		}
	case *syntax.NotExpr:
		j.Kind = "not"
		j.Operands = []*jsonNode{treeJSON(n.X)}
	case *syntax.MacroRef:
		j.Kind, j.Name = "macro", n.Name
	case *syntax.CheckExpr:
		j.Kind, j.Op, j.Modifier = "check", n.Op, n.Modifier
		j.Left = treeJSON(n.Left)
		if n.Right != nil {
			j.Right = treeJSON(n.Right)
		}
	case *syntax.FieldRef:
		j.Kind, j.Field = "field", n.Name
		if n.HasArg {
			j.Arg = &n.Arg
		}
	case *syntax.Transformer:
		j.Kind, j.Name = "transformer", n.Name
		for _, a := range n.Args {
			j.Args = append(j.Args, treeJSON(a))
		}
		if n.HasArg {
			j.Arg = &n.Arg
		}
	case *syntax.StringLit:
		j.Kind, j.Value, j.Quoted = "value", &n.Value, n.Quoted
	case *syntax.ListLit:
		j.Kind = "list"
		vs := make([]jsonNode, 0, len(n.Items))
		for _, s := range n.Items {
			vs = append(vs, *treeJSON(s))
		}
		j.Values = &vs
	case *syntax.ListRef:
		j.Kind, j.Name = "listref", n.Name
	case *syntax.ArgList:
		j.Kind = "arglist"
		for _, a := range n.Items {
			j.Args = append(j.Args, treeJSON(a))
		}
	}
	return j
}
