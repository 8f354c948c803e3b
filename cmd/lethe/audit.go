package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lethehq/lethe/client"
	"github.com/spf13/cobra"
)

func newAuditCmd(e env) *cobra.Command {
	var o dormantOptions
	dormant := &cobra.Command{
		Use:   "dormant",
		Short: "Preview (and apply) a dormant-account audit",
		Long: `Preview a dormant-account audit: the users the rules propose to purge or suspend. Give at least one
rule. With --apply, apply the preview at once and follow the job to its end.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAuditDormant(cmd.Context(), e, o, args)
		},
	}
	fs := dormant.Flags()
	o.remote = remoteFlags(fs)
	fs.BoolVar(&o.never, "never-logged-in", false, "propose users who never signed in (purge without history, else suspend)")
	fs.StringVar(&o.created, "created-before", "", "with --never-logged-in: created more than this long ago, e.g. 90d, 26w, 18m, 2y (default 0d)")
	fs.StringVar(&o.inactive, "inactive", "", "propose suspending users who last signed in more than this long ago, e.g. 180d")
	fs.BoolVar(&o.ended, "end-date-passed", false, "propose suspending users whose end date has passed")
	fs.StringArrayVar(&o.roles, "exclude-role", nil, "leave out a `ROLE` (repeatable)")
	fs.StringArrayVar(&o.audiences, "exclude-audience", nil, "leave out the members of an `AUDIENCE`, id or reference (repeatable)")
	fs.BoolVar(&o.apply, "apply", false, "apply the preview at once and watch the job")
	o.output = outputFlag(dormant)
	return group("audit", "Dormant-account audits (against a server)", dormant)
}

// dormantOptions are the flags of lethe audit dormant.
type dormantOptions struct {
	remote
	never, ended, apply bool
	created, inactive   string
	roles, audiences    []string
	output              *string
}

// runAuditDormant: lethe audit dormant [rules] [--apply].
func runAuditDormant(ctx context.Context, e env, o dormantOptions, pos []string) error {
	if err := noArgs("audit dormant", pos); err != nil {
		return err
	}
	if err := checkOutput("audit dormant", *o.output); err != nil {
		return err
	}
	var rules client.DormantRules
	var err error
	if o.never {
		days := 0
		if o.created != "" {
			if days, err = parseDays(o.created); err != nil {
				return usageError{"audit dormant: --created-before: " + err.Error()}
			}
		}
		rules.NeverLoggedInDays = &days
	} else if o.created != "" {
		return usageError{"audit dormant: --created-before goes with --never-logged-in"}
	}
	if o.inactive != "" {
		days, err := parseDays(o.inactive)
		if err != nil {
			return usageError{"audit dormant: --inactive: " + err.Error()}
		}
		rules.InactiveDays = &days
	}
	rules.EndDatePassed = o.ended
	if rules.NeverLoggedInDays == nil && rules.InactiveDays == nil && !rules.EndDatePassed {
		return usageError{"audit dormant: give at least one rule: --never-logged-in, --inactive or --end-date-passed"}
	}
	if len(o.roles) > 0 || len(o.audiences) > 0 {
		rules.Exclude = &struct {
			Roles     []string `json:"roles,omitempty"`
			Audiences []string `json:"audiences,omitempty"`
		}{Roles: o.roles, Audiences: o.audiences}
	}
	c, err := o.client("audit dormant")
	if err != nil {
		return err
	}
	j, err := c.PreviewDormant(ctx, rules)
	if err != nil {
		return err
	}
	if !o.apply {
		if *o.output == "" {
			fmt.Fprintf(e.stdout, "audit %s: %d users: %d to purge, %d to suspend (lethe audit dormant ... --apply, or POST /lethe/v1/audits/dormant/%s/apply)\n",
				j.ID, j.Total, j.Actions["purge"], j.Actions["suspend"], j.ID)
			return nil
		}
		return printJob(ctx, e, c, j, *o.output)
	}
	fmt.Fprintf(e.stderr, "audit %s: %d to purge, %d to suspend; applying\n", j.ID, j.Actions["purge"], j.Actions["suspend"])
	if _, err := c.ApplyDormant(ctx, j.ID); err != nil {
		return err
	}
	return watchJob(ctx, e, c, j.ID, *o.output)
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
