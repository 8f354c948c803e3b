package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command-line conventions every subcommand shares: groups of
// subcommands, flags bound to environment variables, and how an error is
// reported (ADR 0023).

// group is a command whose work is in its subcommands: alone, or with an
// unknown subcommand, it is a usage error.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs, RunE: groupRunE}
	c.AddCommand(subs...)
	return c
}

func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usageError{fmt.Sprintf("%s: missing subcommand (%s)", cmd.Name(), strings.Join(subNames(cmd), ", "))}
	}
	return unknownCommand(cmd, args[0])
}

// addCompletion adds cobra's completion command to root, made a group like
// the others: alone or with an unknown shell, and with extra arguments, it
// is a usage error.
func addCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args, c.RunE = cobra.ArbitraryArgs, groupRunE
		for _, shell := range c.Commands() {
			if check := shell.Args; check != nil {
				shell.Args = func(cmd *cobra.Command, args []string) error {
					if err := check(cmd, args); err != nil {
						return usageError{"completion " + cmd.Name() + ": unexpected arguments"}
					}
					return nil
				}
			}
		}
	}
}

// unknownCommand is the usage error for a command name cmd does not have,
// with the names it may have meant.
func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if cmd.HasParent() {
		msg = fmt.Sprintf("%s: unknown subcommand %q", cmd.Name(), name)
	}
	cmd.SuggestionsMinimumDistance = 2 // cobra's own default, which SuggestionsFor alone does not apply
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		alts := strings.Join(s, " or ")
		if n := len(s); n > 2 {
			alts = strings.Join(s[:n-1], ", ") + " or " + s[n-1]
		}
		msg += fmt.Sprintf(" (did you mean %s?)", alts)
	}
	return usageError{msg}
}

func subNames(cmd *cobra.Command) []string {
	var out []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			out = append(out, c.Name())
		}
	}
	return out
}

// envAnnotation names, on a flag, the environment variable whose value it
// takes when it is not given.
const envAnnotation = "lethe_env"

// bindEnv makes the environment variable name stand in for the flag when
// it is not given, and shows it in the flag's help as [$NAME]. The default
// shown stays the built-in one: the help never prints a value from the
// environment (an API key, a signing key).
func bindEnv(fs *pflag.FlagSet, flag, name string) {
	f := fs.Lookup(flag)
	f.Usage += " [$" + name + "]"
	if err := fs.SetAnnotation(flag, envAnnotation, []string{name}); err != nil {
		panic(err) // the flag was just looked up
	}
}

// applyEnv sets every flag of cmd that was not given from its environment
// variable, when that is set.
func applyEnv(cmd *cobra.Command, getenv func(string) string) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		names := f.Annotations[envAnnotation]
		if err != nil || f.Changed || len(names) == 0 {
			return
		}
		if v := getenv(names[0]); v != "" {
			if serr := f.Value.Set(v); serr != nil {
				err = usageError{fmt.Sprintf("%s: $%s: %v", cmd.Name(), names[0], serr)}
			}
		}
	})
	return err
}

// reportError writes err to stderr once; a usage error gets the command's
// usage line, its subcommands or flags, and a hint.
func reportError(e env, cmd *cobra.Command, err error) {
	fmt.Fprintln(e.stderr, "lethe:", err)
	var u usageError
	if !errors.As(err, &u) || cmd == nil {
		return
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(e.stderr, "Usage: %s COMMAND\nCommands: %s\n", cmd.CommandPath(), strings.Join(subNames(cmd), ", "))
	} else {
		fmt.Fprintf(e.stderr, "Usage: %s\n", cmd.UseLine())
		var flags []string
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && f.Name != "help" {
				flags = append(flags, "--"+f.Name)
			}
		})
		if len(flags) > 0 {
			fmt.Fprintf(e.stderr, "Flags: %s\n", strings.Join(flags, ", "))
		}
	}
	fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
}

// noArgs is the usage error of a command given positional arguments it
// does not take.
func noArgs(name string, args []string) error {
	if len(args) != 0 {
		return usageError{name + ": unexpected arguments"}
	}
	return nil
}

// longFlags rewrites the single-dash long form Go's flag package accepted
// (-db X, -db=X) to the GNU form cobra parses (--db X), for the flags the
// named command has, so scripts written for earlier versions keep working.
// Anything else, shorthands (-h, -v), the value of a flag that takes one
// (--name -id names a tenant "-id") and what follows "--" included, is
// left as it is.
func longFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil {
		return args
	}
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var f *pflag.Flag
		switch {
		case a[1] == '-':
			f = cmd.Flag(name)
		case len(name) > 1:
			if f = cmd.Flag(name); f != nil {
				out[i] = "-" + a
			}
		default:
			f = shorthand(cmd, name)
		}
		if f != nil && !hasValue && f.NoOptDefVal == "" {
			i++ // the next argument is this flag's value
		}
	}
	return out
}

// shorthand is the flag of cmd (its own or inherited) with the one-letter
// name s, or nil.
func shorthand(cmd *cobra.Command, s string) *pflag.Flag {
	if len(s) != 1 {
		return nil
	}
	if f := cmd.Flags().ShorthandLookup(s); f != nil {
		return f
	}
	return cmd.InheritedFlags().ShorthandLookup(s)
}
