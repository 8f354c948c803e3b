package main

// Tests of the command-line conventions every command shares: help, errors
// and their hints, exit statuses, the version, environment variables and
// shell completions.

import (
	"errors"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// commandPaths lists every command of the tree but the root, help and
// cobra's hidden ones, as the arguments that name it.
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			p := append(append([]string{}, path...), sub.Name())
			out = append(out, p)
			walk(sub, p)
		}
	}
	root := newRoot(env{getenv: noEnv, stdout: &strings.Builder{}, stderr: &strings.Builder{}})
	walk(root, nil)
	if len(out) < 20 {
		t.Fatalf("found %d commands, want every one: %v", len(out), out)
	}
	return out
}

func TestCLI_Help(t *testing.T) {
	t.Parallel()
	t.Run("OKEveryCommandToStdout", func(t *testing.T) {
		t.Parallel()
		for _, path := range append(commandPaths(t), nil) {
			name := strings.TrimSpace("lethe " + strings.Join(path, " "))
			for _, args := range [][]string{append(path, "--help"), append(path, "-h"), append([]string{"help"}, path...)} {
				stdout, stderr, err := cli(t, args...)
				if err != nil || stderr != "" || !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, name) {
					t.Errorf("%q = %v, stderr %q, stdout:\n%s\nwant the help of %s on stdout", args, err, stderr, stdout, name)
				}
			}
		}
	})
	t.Run("OKFlagsNameTheirEnvironment", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			cmd  []string
			want []string
		}{
			{[]string{"serve"}, []string{"--addr string", "[$LETHE_ADDR]", "[$LETHE_DB]", "[$LETHE_SIGNING_KEY]", "[$LETHE_DB_POOL]",
				"[$LETHE_REWRITE_INTERVAL]", "[$LETHE_MAX_JOB_ITEMS]", "[$LETHE_JOB_RETENTION]", "[$LETHE_PPROF]"}},
			{[]string{"migrate"}, []string{"[$LETHE_DB]"}},
			{[]string{"tenant", "list"}, []string{"[$LETHE_DB]"}},
			{[]string{"trail", "verify"}, []string{"[$LETHE_DB]", "[$LETHE_SIGNING_KEY]"}},
			{[]string{"seed"}, []string{"[$LETHE_DB]"}},
			{[]string{"jobs", "watch"}, []string{"[$LETHE_SERVER]", "[$LETHE_TENANT]", "[$LETHE_API_KEY]"}},
			{[]string{"bench"}, []string{"[$LETHE_SERVER]", "[$LETHE_TENANT]", "[$LETHE_API_KEY]"}},
		} {
			stdout, _, err := cli(t, append(c.cmd, "--help")...)
			for _, w := range c.want {
				if err != nil || !strings.Contains(stdout, w) {
					t.Errorf("%v --help = %v, lacks %q:\n%s", c.cmd, err, w, stdout)
				}
			}
		}
		// The help shows the built-in default, never a value from the
		// environment (a key).
		getenv := func(k string) string {
			return map[string]string{"LETHE_API_KEY": "lethe_secretkey", "LETHE_DB": "/secret/path.db"}[k]
		}
		var out strings.Builder
		if err := run(t.Context(), []string{"jobs", "watch", "--help"}, getenv, &out, &strings.Builder{}); err != nil ||
			strings.Contains(out.String(), "secret") {
			t.Errorf("help with the environment set = %v:\n%s", err, out.String())
		}
	})
}

func TestCLI_Errors(t *testing.T) {
	t.Parallel()
	t.Run("ErrUnknownFlagOnceWithHint", func(t *testing.T) {
		t.Parallel()
		for _, path := range commandPaths(t) {
			name := "lethe " + strings.Join(path, " ")
			stdout, stderr, err := cli(t, append(path, "--bogus-flag")...)
			if !isUsageError(err) || stdout != "" {
				t.Errorf("%s --bogus-flag = %v, stdout %q; want a usage error", name, err, stdout)
			}
			if strings.Count(stderr, "bogus-flag") != 1 || !strings.HasPrefix(stderr, "lethe: unknown flag: --bogus-flag\n") ||
				!strings.HasSuffix(stderr, "\nRun '"+name+" --help' for usage.\n") {
				t.Errorf("%s --bogus-flag wrote to stderr:\n%s\nwant the error once and the hint", name, stderr)
			}
		}
	})
	t.Run("ErrUnknownCommandSuggests", func(t *testing.T) {
		t.Parallel()
		_, stderr, err := cli(t, "tenant", "lst")
		if !isUsageError(err) || !strings.Contains(stderr, `unknown subcommand "lst" (did you mean list?)`) ||
			!strings.Contains(stderr, "Commands: create, list, rotate-key, scim-token\n") {
			t.Errorf("tenant lst = %v, stderr:\n%s", err, stderr)
		}
	})
	t.Run("ErrRuntimeNoHint", func(t *testing.T) {
		t.Parallel()
		_, stderr, err := cli(t, "migrate", "--db", t.TempDir()) // a directory is no database
		if err == nil || isUsageError(err) || strings.Count(stderr, "lethe: ") != 1 || strings.Contains(stderr, "--help") {
			t.Errorf("migrate on a directory = %v, stderr %q; want one error line and no usage hint", err, stderr)
		}
	})
}

// TestCLI_ExitStatus runs the binary (this test binary, as lethe: see
// TestMain) for the exit statuses main gives.
func TestCLI_ExitStatus(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"help", "serve"}, 0},
		{[]string{"tenant", "--help"}, 0},
		{[]string{"--version"}, 0},
		{[]string{"serve", "--port", "80"}, 2},
		{[]string{"frobnicate"}, 2},
		{[]string{"jobs"}, 2},
		{[]string{"completion"}, 2},
		{[]string{"completion", "tcsh"}, 2},
		{[]string{"completion", "bash", "extra"}, 2},
		{[]string{"migrate", "--db", t.TempDir()}, 1},
	} {
		cmd := exec.CommandContext(t.Context(), exe, c.args...)
		cmd.Env = append(os.Environ(), "LETHE_TEST_AS_LETHE=1")
		err := cmd.Run()
		var exit *exec.ExitError
		got := 0
		if errors.As(err, &exit) {
			got = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("lethe %q exited %d, want %d", c.args, got, c.want)
		}
	}
}

func TestCLI_Version(t *testing.T) {
	t.Parallel()
	t.Run("OKFlagAndCommandAgree", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
			stdout, stderr, err := cli(t, args...)
			if err != nil || stdout != "lethe "+version+"\n" || stderr != "" {
				t.Errorf("%q = %q, %q, %v", args, stdout, stderr, err)
			}
		}
	})
	t.Run("OKFromBuildInfo", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			info *debug.BuildInfo
			ok   bool
			want string
		}{
			{nil, false, "dev"},
			{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "dev"},
			{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, true, "v1.2.3"},
			{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.4-0.20261206215423-35747a8abcde+dirty"}, Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "35747a8abcdef0123456789"},
				{Key: "vcs.time", Value: "2026-12-06T21:54:23Z"}, {Key: "vcs.modified", Value: "true"}}}, true,
				"v1.2.4-0.20261206215423-35747a8abcde+dirty (35747a8abcde, 2026-12-06T21:54:23Z, modified)"},
			{&debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}, true,
				"dev (abc)"},
		} {
			if got := buildVersion(c.info, c.ok); got != c.want {
				t.Errorf("buildVersion(%+v) = %q, want %q", c.info, got, c.want)
			}
		}
	})
}

func TestCLI_Completion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run("OK"+shell, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := cli(t, "completion", shell)
			if err != nil || stderr != "" || len(stdout) < 500 || !strings.Contains(stdout, "lethe") {
				t.Errorf("completion %s = %v, stderr %q, %d bytes", shell, err, stderr, len(stdout))
			}
		})
	}
	t.Run("OKSubcommandsAndActions", func(t *testing.T) {
		t.Parallel()
		stdout, _, err := cli(t, "__complete", "users", "bulk", "")
		if err != nil || !strings.Contains(stdout, "suspend\n") || !strings.Contains(stdout, "purge\n") {
			t.Errorf("completing users bulk = %v:\n%s", err, stdout)
		}
		stdout, _, err = cli(t, "__complete", "jobs", "watch", "--output", "")
		if err != nil || !strings.HasPrefix(stdout, "json\ncsv\n") {
			t.Errorf("completing jobs watch --output = %v:\n%s", err, stdout)
		}
		stdout, _, err = cli(t, "__complete", "ten")
		if err != nil || !strings.Contains(stdout, "tenant") {
			t.Errorf("completing ten = %v:\n%s", err, stdout)
		}
	})
}

// TestCLI_SingleDashLongFlags: the -db X form of Go's flag package, which
// earlier versions took, still names the long flag; shorthands and what
// follows "--" are left alone.
func TestCLI_SingleDashLongFlags(t *testing.T) {
	t.Parallel()
	root := newRoot(env{getenv: noEnv, stdout: &strings.Builder{}, stderr: &strings.Builder{}})
	for _, c := range []struct{ in, want []string }{
		{[]string{"serve", "-db", "x.db", "-addr=:0"}, []string{"serve", "--db", "x.db", "--addr=:0"}},
		{[]string{"tenant", "list", "-db", "x.db"}, []string{"tenant", "list", "--db", "x.db"}},
		{[]string{"serve", "-h"}, []string{"serve", "-h"}},
		{[]string{"-v"}, []string{"-v"}},
		{[]string{"serve", "-nosuch"}, []string{"serve", "-nosuch"}},
		{[]string{"erasure", "verify", "--", "-db"}, []string{"erasure", "verify", "--", "-db"}},
		// A flag's value is never rewritten, even one that looks like a flag.
		{[]string{"tenant", "create", "--name", "-id"}, []string{"tenant", "create", "--name", "-id"}},
		{[]string{"tenant", "create", "-name", "-id", "-id", "x"}, []string{"tenant", "create", "--name", "-id", "--id", "x"}},
		{[]string{"tenant", "create", "-name=-id", "-id", "-name"}, []string{"tenant", "create", "--name=-id", "--id", "-name"}},
	} {
		if got := longFlags(root, c.in); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("longFlags(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	stdout, stderr, err := cli(t, "tenant", "list", "-db", t.TempDir()+"/lethe.db")
	if err != nil {
		t.Fatalf("tenant list -db: %v (stdout %q, stderr %q)", err, stdout, stderr)
	}
}

// TestCLI_SigningKeyNeverEchoed: a signing key that is not standard base64
// (a URL-safe one, say) is still a secret: the error says what is wrong
// without repeating it, whether it came from the flag or the environment.
func TestCLI_SigningKeyNeverEchoed(t *testing.T) {
	t.Parallel()
	const secret = "c2VjcmV0LXNpZ25pbmcta2V5LWZvci1yZXZpZXctMDAw_-" // URL-safe alphabet
	db := t.TempDir() + "/lethe.db"
	for _, c := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--signing-key", secret}, nil},
		{[]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, map[string]string{"LETHE_SIGNING_KEY": secret}},
		{[]string{"trail", "checkpoint", "--db", db}, map[string]string{"LETHE_SIGNING_KEY": secret}},
	} {
		var stdout, stderr strings.Builder
		err := run(t.Context(), c.args, func(k string) string { return c.env[k] }, &stdout, &stderr)
		if err == nil || strings.Contains(stderr.String()+stdout.String()+err.Error(), "c2VjcmV0") ||
			!strings.Contains(stderr.String(), "signing-key") {
			t.Errorf("%v: %v; stderr %q", c.args, err, stderr.String())
		}
	}
}

// TestCLI_EnvironmentApplies: a variable stands in for its flag when the
// flag is not given, the flag wins when it is, and a value the flag refuses
// is a usage error naming the variable.
func TestCLI_EnvironmentApplies(t *testing.T) {
	t.Parallel()
	e := env{getenv: noEnv, stdout: &strings.Builder{}, stderr: &strings.Builder{}}
	getenv := func(k string) string {
		return map[string]string{"LETHE_MAX_JOB_ITEMS": "5000", "LETHE_JOB_RETENTION": "48h", "LETHE_DB_POOL": "x"}[k]
	}
	parse := func(t *testing.T, getenv func(string) string, args ...string) (*cobra.Command, error) {
		t.Helper()
		cmd := newServeCmd(e)
		if err := cmd.ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		return cmd, applyEnv(cmd, getenv)
	}
	cmd, err := parse(t, func(k string) string {
		if k == "LETHE_DB_POOL" {
			return ""
		}
		return getenv(k)
	}, "--job-retention", "1h")
	if err != nil {
		t.Fatal(err)
	}
	if got := cmd.Flag("max-job-items").Value.String(); got != "5000" {
		t.Errorf("max-job-items = %s, want 5000 from LETHE_MAX_JOB_ITEMS", got)
	}
	if got := cmd.Flag("job-retention").Value.String(); got != "1h0m0s" {
		t.Errorf("job-retention = %s, want the flag's 1h over LETHE_JOB_RETENTION", got)
	}
	_, err = parse(t, getenv)
	var u usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "$LETHE_DB_POOL") {
		t.Errorf("LETHE_DB_POOL=x: %v, want a usage error naming the variable", err)
	}
}
