package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/client"
	"github.com/spf13/cobra"
)

func newJobsCmd(e env) *cobra.Command {
	var subs []*cobra.Command
	for _, s := range []struct{ use, short string }{
		{"watch ID", "Follow a job to its end, then print it"},
		{"show ID", "Print a job"},
		{"cancel ID", "Cancel a job and print it"},
	} {
		c := &cobra.Command{Use: s.use, Short: s.short}
		r, output := remoteFlags(c.Flags()), outputFlag(c)
		c.RunE = func(cmd *cobra.Command, args []string) error {
			return runJobs(cmd.Context(), e, cmd.Name(), r, *output, args)
		}
		subs = append(subs, c)
	}
	return group("jobs", "Follow, show and cancel durable jobs (against a server)", subs...)
}

// runJobs: lethe jobs watch|show|cancel ID.
func runJobs(ctx context.Context, e env, sub string, r remote, output string, pos []string) error {
	if len(pos) != 1 {
		return usageError{"jobs " + sub + ": want one job id"}
	}
	if err := checkOutput("jobs "+sub, output); err != nil {
		return err
	}
	c, err := r.client("jobs " + sub)
	if err != nil {
		return err
	}
	switch sub {
	case "watch":
		return watchJob(ctx, e, c, pos[0], output)
	case "show":
		j, err := c.GetJob(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJob(ctx, e, c, j, output)
	case "cancel":
		j, err := c.CancelJob(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJob(ctx, e, c, j, output)
	}
	return usageError{fmt.Sprintf("jobs: unknown subcommand %q", sub)}
}

// watchJob polls a job until it finishes, with a progress bar on standard
// error when that is a terminal, then prints it. Failed items make it
// return errPartial, a failed job an error.
func watchJob(ctx context.Context, e env, c *client.Client, id, output string) error {
	var bar *progress
	if isTerminal(e.stderr) {
		bar = newProgress(e.stderr)
	}
	for {
		j, err := c.GetJob(ctx, id)
		if err != nil {
			return err
		}
		if bar != nil {
			bar.show(j.State, j.Done, j.Total)
		}
		if j.Finished() {
			if bar != nil {
				bar.finish()
			}
			return printJob(ctx, e, c, j, output)
		}
		select {
		case <-ctx.Done():
			if bar != nil {
				bar.finish()
			}
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
