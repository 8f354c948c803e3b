package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/client"
)

// Bulk operations, jobs and dormant-account audits, against a running
// server: lethe users bulk, lethe jobs, lethe audit dormant.

// errPartial is returned (exit status 1) when some users were not changed
// as asked; the output says which.
var errPartial = errors.New("some users failed")

// outputFlag is --output: "" (a human summary), json or csv.
func outputFlag(fs *flag.FlagSet) *string {
	return fs.String("output", "", "machine-readable output: json or csv (default: a summary)")
}

func checkOutput(cmd, o string) error {
	if o != "" && o != "json" && o != "csv" {
		return usageError{cmd + ": --output must be json or csv"}
	}
	return nil
}

// runUsers: lethe users bulk ACTION --file F.
func runUsers(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "bulk" {
		return usageError{"users: want bulk ACTION --file FILE"}
	}
	fs := newFlags(e, "users bulk")
	r := remoteFlags(fs, e)
	file := fs.String("file", "", "CSV file with an id, ref or email column (- for standard input); required")
	endDate := fs.String("end-date", "", "suspend: the end date, YYYY-MM-DD")
	dry := fs.Bool("dry-run", false, "say what would happen; change nothing")
	key := fs.String("idempotency-key", "", "make a retry of this call answer its first answer (up to 1,000 users)")
	output := outputFlag(fs)
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 || *file == "" {
		return usageError{"users bulk: want ACTION (suspend, reactivate, delete, anonymize, purge) and --file FILE"}
	}
	action, ok := lethe.ParseBulkAction(pos[0])
	if !ok {
		return usageError{fmt.Sprintf("users bulk: unknown action %q: want suspend, reactivate, delete, anonymize or purge", pos[0])}
	}
	if err := checkOutput("users bulk", *output); err != nil {
		return err
	}
	var end *time.Time
	if *endDate != "" {
		t, err := time.Parse("2006-01-02", *endDate)
		if err != nil {
			return usageError{"users bulk: --end-date must be YYYY-MM-DD"}
		}
		end = &t
	}
	text, err := readInput(*file)
	if err != nil {
		return err
	}
	rows, err := lethe.ParseUserCSV(text, *file)
	if err != nil {
		return err
	}
	c, err := r.client("users bulk")
	if err != nil {
		return err
	}
	if len(rows) > lethe.MaxBulkIdentifiers {
		// Too many for one call: a durable job, watched to its end.
		j, err := c.CreateJob(ctx, client.NewJob{Action: string(action), Selector: client.JobSelector{CSV: &text}, EndDate: end, DryRun: *dry})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "job %s: %d users\n", j.ID, j.Total)
		return watchJob(ctx, e, c, j.ID, *output)
	}
	req := client.BulkRequest{Action: string(action), EndDate: end, DryRun: *dry}
	for _, row := range rows {
		req.Identifiers = append(req.Identifiers, client.Identifier{ID: string(row.Identifier.ID), Ref: row.Identifier.Ref, Email: row.Identifier.Email})
	}
	for i, id := range req.Identifiers {
		if id == (client.Identifier{}) {
			return fmt.Errorf("%s line %d: no id, ref or email", *file, rows[i].Line)
		}
	}
	res, err := c.BulkUsers(ctx, req, *key)
	if err != nil {
		return err
	}
	switch *output {
	case "json":
		writeJSONOut(e.stdout, res)
	case "csv":
		w := csv.NewWriter(e.stdout)
		w.Write([]string{"line", "identifier", "userId", "outcome", "reason"})
		for i, it := range res.Results {
			w.Write([]string{strconv.Itoa(rows[i].Line), it.Identifier.ID + it.Identifier.Ref + it.Identifier.Email, deref(it.UserID), it.Outcome, deref(it.Reason)})
		}
		w.Flush()
	default:
		for i, it := range res.Results {
			if it.Outcome != lethe.ItemDone {
				fmt.Fprintf(e.stdout, "line %d: %s (%s)\n", rows[i].Line, it.Outcome, deref(it.Reason))
			}
		}
		fmt.Fprintf(e.stdout, "%s%s: %s\n", res.Action, dryNote(res.DryRun), summary(res.Summary))
	}
	if res.Summary[lethe.ItemFailed] > 0 {
		return errPartial
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

// runJobs: lethe jobs watch|show|cancel ID.
func runJobs(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return usageError{"jobs: want watch, show or cancel"}
	}
	sub := args[0]
	fs := newFlags(e, "jobs "+sub)
	r := remoteFlags(fs, e)
	output := outputFlag(fs)
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"jobs " + sub + ": want one job id"}
	}
	if err := checkOutput("jobs "+sub, *output); err != nil {
		return err
	}
	c, err := r.client("jobs " + sub)
	if err != nil {
		return err
	}
	switch sub {
	case "watch":
		return watchJob(ctx, e, c, pos[0], *output)
	case "show":
		j, err := c.GetJob(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJob(ctx, e, c, j, *output)
	case "cancel":
		j, err := c.CancelJob(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJob(ctx, e, c, j, *output)
	}
	return usageError{fmt.Sprintf("jobs: unknown subcommand %q", sub)}
}

// watchJob polls a job until it finishes, with a progress bar on standard
// error when that is a terminal, then prints it. Failed items make it
// return errPartial, a failed job an error.
func watchJob(ctx context.Context, e env, c *client.Client, id, output string) error {
	bar := newProgress(e.stderr)
	for {
		j, err := c.GetJob(ctx, id)
		if err != nil {
			return err
		}
		bar.show(j)
		if j.Finished() {
			bar.done()
			return printJob(ctx, e, c, j, output)
		}
		select {
		case <-ctx.Done():
			bar.done()
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func printJob(ctx context.Context, e env, c *client.Client, j *client.Job, output string) error {
	switch output {
	case "json":
		writeJSONOut(e.stdout, j)
	case "csv":
		if !j.Finished() && j.State != "preview" {
			return fmt.Errorf("job %s is %s: its results are ready when it finishes", j.ID, j.State)
		}
		if err := c.WriteJobResults(ctx, j.ID, e.stdout); err != nil {
			return err
		}
	default:
		action := "audit"
		if j.Action != nil {
			action = *j.Action
		}
		fmt.Fprintf(e.stdout, "job %s (%s%s): %s, %d of %d processed: %s\n", j.ID, action, dryNote(j.DryRun), j.State, j.Done, j.Total, summary(j.Outcomes))
	}
	switch {
	case j.State == "failed":
		return fmt.Errorf("job %s failed", j.ID)
	case j.Outcomes[lethe.ItemFailed] > 0:
		return errPartial
	}
	return nil
}

// progress draws a one-line bar on a terminal, and nothing elsewhere.
type progress struct {
	w    io.Writer
	tty  bool
	drew bool
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) show(j *client.Job) {
	if !p.tty || j.Total == 0 {
		return
	}
	const width = 30
	filled := j.Done * width / j.Total
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), j.Done, j.Total, j.State)
	p.drew = true
}

func (p *progress) done() {
	if p.drew {
		fmt.Fprintln(p.w)
	}
}

// runAudit: lethe audit dormant [rules] [--apply].
func runAudit(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "dormant" {
		return usageError{"audit: want dormant"}
	}
	fs := newFlags(e, "audit dormant")
	r := remoteFlags(fs, e)
	never := fs.Bool("never-logged-in", false, "propose users who never signed in (purge without history, else suspend)")
	created := fs.String("created-before", "", "with --never-logged-in: created more than this long ago, e.g. 90d, 26w, 18m, 2y (default 0d)")
	inactive := fs.String("inactive", "", "propose suspending users who last signed in more than this long ago, e.g. 180d")
	ended := fs.Bool("end-date-passed", false, "propose suspending users whose end date has passed")
	var roles, audiences listFlag
	fs.Var(&roles, "exclude-role", "leave out a role (repeatable)")
	fs.Var(&audiences, "exclude-audience", "leave out the members of an audience, id or reference (repeatable)")
	apply := fs.Bool("apply", false, "apply the preview at once and watch the job")
	output := outputFlag(fs)
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"audit dormant: unexpected arguments"}
	}
	if err := checkOutput("audit dormant", *output); err != nil {
		return err
	}
	var rules client.DormantRules
	if *never {
		days := 0
		if *created != "" {
			if days, err = parseDays(*created); err != nil {
				return usageError{"audit dormant: --created-before: " + err.Error()}
			}
		}
		rules.NeverLoggedInDays = &days
	} else if *created != "" {
		return usageError{"audit dormant: --created-before goes with --never-logged-in"}
	}
	if *inactive != "" {
		days, err := parseDays(*inactive)
		if err != nil {
			return usageError{"audit dormant: --inactive: " + err.Error()}
		}
		rules.InactiveDays = &days
	}
	rules.EndDatePassed = *ended
	if rules.NeverLoggedInDays == nil && rules.InactiveDays == nil && !rules.EndDatePassed {
		return usageError{"audit dormant: give at least one rule: --never-logged-in, --inactive or --end-date-passed"}
	}
	if len(roles) > 0 || len(audiences) > 0 {
		rules.Exclude = &struct {
			Roles     []string `json:"roles,omitempty"`
			Audiences []string `json:"audiences,omitempty"`
		}{Roles: roles, Audiences: audiences}
	}
	c, err := r.client("audit dormant")
	if err != nil {
		return err
	}
	j, err := c.PreviewDormant(ctx, rules)
	if err != nil {
		return err
	}
	if !*apply {
		if *output == "" {
			fmt.Fprintf(e.stdout, "audit %s: %d users: %d to purge, %d to suspend (lethe audit dormant ... --apply, or POST /lethe/v1/audits/dormant/%s/apply)\n",
				j.ID, j.Total, j.Actions["purge"], j.Actions["suspend"], j.ID)
			return nil
		}
		return printJob(ctx, e, c, j, *output)
	}
	fmt.Fprintf(e.stderr, "audit %s: %d to purge, %d to suspend; applying\n", j.ID, j.Actions["purge"], j.Actions["suspend"])
	if _, err := c.ApplyDormant(ctx, j.ID); err != nil {
		return err
	}
	return watchJob(ctx, e, c, j.ID, *output)
}

// parseDays reads 90d, 26w, 18m (30-day months) or 2y (365-day years).
func parseDays(s string) (int, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("%q: want a number and d, w, m or y", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q: want a number and d, w, m or y", s)
	}
	switch s[len(s)-1] {
	case 'd':
		return n, nil
	case 'w':
		return n * 7, nil
	case 'm':
		return n * 30, nil
	case 'y':
		return n * 365, nil
	}
	return 0, fmt.Errorf("%q: want a number and d, w, m or y", s)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
