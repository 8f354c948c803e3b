package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lethehq/lethe"
	"github.com/spf13/cobra"
)

// What lethe users bulk, lethe jobs and lethe audit dormant share: they
// talk to a running server and print a summary, JSON or CSV.

// errPartial is returned (exit status 1) when some users were not changed
// as asked; the output says which.
var errPartial = errors.New("some users failed")

// outputFlag is --output of cmd: "" (a human summary), json or csv.
func outputFlag(cmd *cobra.Command) *string {
	p := cmd.Flags().String("output", "", "machine-readable output `FORMAT`: json or csv (default: a summary)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "csv"}, cobra.ShellCompDirectiveNoFileComp))
	return p
}

func checkOutput(cmd, o string) error {
	if o != "" && o != "json" && o != "csv" {
		return usageError{cmd + ": --output must be json or csv"}
	}
	return nil
}

func dryNote(dry bool) string {
	if dry {
		return " (dry run: nothing changed)"
	}
	return ""
}

func summary(m map[string]int) string {
	var parts []string
	for _, o := range []string{lethe.ItemDone, lethe.ItemUnchanged, lethe.ItemSkipped, lethe.ItemFailed} {
		parts = append(parts, fmt.Sprintf("%d %s", m[o], o))
	}
	if n := m[lethe.OutcomeExcluded]; n > 0 { // a dormant audit's reviewer took them out
		parts = append(parts, fmt.Sprintf("%d %s", n, lethe.OutcomeExcluded))
	}
	return strings.Join(parts, ", ")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func readInput(name string) (string, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	return string(b), err
}

func writeJSONOut(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
