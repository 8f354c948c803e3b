package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is what `lethe version` and `lethe --version` print: the module
// version the binary was built at ("dev" when the build has none), then the
// commit, its time and whether the tree had changes, when the build
// recorded them.
var version = buildVersion(debug.ReadBuildInfo())

func buildVersion(info *debug.BuildInfo, ok bool) string {
	if !ok {
		return "dev"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var vcs []string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			vcs = append(vcs, s.Value[:min(12, len(s.Value))])
		case s.Key == "vcs.time":
			vcs = append(vcs, s.Value)
		case s.Key == "vcs.modified" && s.Value == "true":
			vcs = append(vcs, "modified")
		}
	}
	if len(vcs) > 0 {
		v += " (" + strings.Join(vcs, ", ") + ")"
	}
	return v
}

func newVersionCmd(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Long:  "Print the version: the module version, and the commit the binary was built from when the build recorded it.",
		Args:  func(_ *cobra.Command, args []string) error { return noArgs("version", args) },
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(e.stdout, "lethe", version)
			return err
		},
	}
}
