package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/client"
	"github.com/spf13/cobra"
)

func newUsersCmd(e env) *cobra.Command {
	var o bulkOptions
	bulk := &cobra.Command{
		Use:   "bulk ACTION --file CSV",
		Short: "Suspend, reactivate, delete, anonymize or purge the users of a CSV",
		Long: `Apply ACTION (suspend, reactivate, delete, anonymize or purge) to the users of a CSV file with an
id, ref or email column (- for standard input). Up to 1,000 users it is one call; beyond, a durable job
that the command follows to its end. Exit 1 when some users failed.`,
		ValidArgs: []string{"suspend", "reactivate", "delete", "anonymize", "purge"},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUsersBulk(cmd.Context(), e, o, args)
		},
	}
	fs := bulk.Flags()
	o.remote = remoteFlags(fs)
	fs.StringVar(&o.file, "file", "", "CSV file with an id, ref or email column (- for standard input); required")
	fs.StringVar(&o.endDate, "end-date", "", "suspend: the end date, YYYY-MM-DD")
	fs.BoolVar(&o.dry, "dry-run", false, "say what would happen; change nothing")
	fs.StringVar(&o.key, "idempotency-key", "", "make a retry of this call answer its first answer (up to 1,000 users)")
	o.output = outputFlag(bulk)
	return group("users", "Act on many users at once (against a server)", bulk)
}

// bulkOptions are the flags of lethe users bulk.
type bulkOptions struct {
	remote
	file, endDate, key string
	dry                bool
	output             *string
}

// runUsersBulk: lethe users bulk ACTION --file F.
func runUsersBulk(ctx context.Context, e env, o bulkOptions, pos []string) error {
	if len(pos) != 1 || o.file == "" {
		return usageError{"users bulk: want ACTION (suspend, reactivate, delete, anonymize, purge) and --file FILE"}
	}
	action, ok := lethe.ParseBulkAction(pos[0])
	if !ok {
		return usageError{fmt.Sprintf("users bulk: unknown action %q: want suspend, reactivate, delete, anonymize or purge", pos[0])}
	}
	if err := checkOutput("users bulk", *o.output); err != nil {
		return err
	}
	var end *time.Time
	if o.endDate != "" {
		t, err := time.Parse("2006-01-02", o.endDate)
		if err != nil {
			return usageError{"users bulk: --end-date must be YYYY-MM-DD"}
		}
		end = &t
	}
	text, err := readInput(o.file)
	if err != nil {
		return err
	}
	rows, err := lethe.ParseUserCSV(text, o.file)
	if err != nil {
		return err
	}
	c, err := o.client("users bulk")
	if err != nil {
		return err
	}
	if len(rows) > lethe.MaxBulkIdentifiers {
		// Too many for one call: a durable job, watched to its end.
		j, err := c.CreateJob(ctx, client.NewJob{Action: string(action), Selector: client.JobSelector{CSV: &text}, EndDate: end, DryRun: o.dry})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "job %s: %d users\n", j.ID, j.Total)
		return watchJob(ctx, e, c, j.ID, *o.output)
	}
	req := client.BulkRequest{Action: string(action), EndDate: end, DryRun: o.dry}
	for _, row := range rows {
		req.Identifiers = append(req.Identifiers, client.Identifier{ID: string(row.Identifier.ID), Ref: row.Identifier.Ref, Email: row.Identifier.Email})
	}
	for i, id := range req.Identifiers {
		if id == (client.Identifier{}) {
			return fmt.Errorf("%s line %d: no id, ref or email", o.file, rows[i].Line)
		}
	}
	res, err := c.BulkUsers(ctx, req, o.key)
	if err != nil {
		return err
	}
	printBulk(e, res, rows, *o.output)
	if res.Summary[lethe.ItemFailed] > 0 {
		return errPartial
	}
	return nil
}

// printBulk prints the answer of a bulk call: JSON, CSV (a line per row of
// the input) or the rows that were not done and a summary.
func printBulk(e env, res *client.BulkResult, rows []lethe.CSVUser, output string) {
	switch output {
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
}
