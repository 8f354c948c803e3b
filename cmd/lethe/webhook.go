package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/spf13/cobra"
)

// lethe webhook manages a tenant's webhook subscriptions on the database
// and shows their deliveries, as /lethe/v1/webhooks will over HTTP.

func newWebhookCmd(e env) *cobra.Command {
	return group("webhook", "Create, list, change and delete a tenant's webhook subscriptions, and show and redeliver their deliveries (on the database)",
		newWebhookCreateCmd(e), newWebhookListCmd(e), newWebhookUpdateCmd(e), newWebhookDeleteCmd(e),
		newWebhookDeliveriesCmd(e), newWebhookRedeliverCmd(e))
}

// tableTime is how the CLI's tables show a time.
const tableTime = "2006-01-02 15:04:05Z"

// defaultDeliveryLimit and maxDeliveryLimit bound webhook deliveries --limit.
const (
	defaultDeliveryLimit = 50
	maxDeliveryLimit     = 1000
)

// webhookFlags are the flags every webhook command takes.
type webhookFlags struct {
	tenantFlags
	tenant *string
}

func addWebhookFlags(cmd *cobra.Command) webhookFlags {
	return webhookFlags{tenantFlags: addTenantFlags(cmd), tenant: cmd.Flags().String("tenant", "", "the tenant id (required)")}
}

// openWebhooks opens the database and the webhook service in the --tenant
// tenant, after checking it exists; allowPrivate lets subscriptions name
// http URLs and private addresses, as serve --webhooks-allow-private does.
func (f webhookFlags) openWebhooks(ctx context.Context, cmd string, allowPrivate bool) (*sqldb.DB, context.Context, lethe.SubscriptionService, error) {
	if *f.tenant == "" {
		return nil, nil, nil, usageError{cmd + ": --tenant is required"}
	}
	db, actx, err := f.openInTenant(ctx, cmd, *f.tenant, "webhook")
	if err != nil {
		return nil, nil, nil, err
	}
	db.AllowPrivateWebhooks = allowPrivate
	return db, actx, sqldb.NewWebhookService(db), nil
}

// addAllowPrivateFlag adds --allow-private, which LETHE_WEBHOOKS_ALLOW_PRIVATE
// (the variable serve reads) stands in for.
func addAllowPrivateFlag(cmd *cobra.Command) *bool {
	p := cmd.Flags().Bool("allow-private", false, "accept http:// URLs and private, loopback or link-local addresses (for tests and closed networks)")
	bindEnv(cmd.Flags(), "allow-private", "LETHE_WEBHOOKS_ALLOW_PRIVATE")
	return p
}

// secretFlags are --secret and --secret-stdin (and, on update, --no-secret).
type secretFlags struct {
	secret   *string
	fromIn   *bool
	noSecret *bool // nil on create
}

func addSecretFlags(cmd *cobra.Command, removable bool) secretFlags {
	f := secretFlags{
		secret: cmd.Flags().String("secret", "", "the `SECRET` deliveries are signed with (visible to other users of the machine: prefer --secret-stdin)"),
		fromIn: cmd.Flags().Bool("secret-stdin", false, "read the secret from the standard input (one line)"),
	}
	if removable {
		f.noSecret = cmd.Flags().Bool("no-secret", false, "remove the secret: deliveries are no longer signed with one")
	}
	return f
}

// read returns the secret given, and whether one was given (or, with
// --no-secret, its removal: "" and true).
func (f secretFlags) read(cmd *cobra.Command, name string) (string, bool, error) {
	removing := f.noSecret != nil && *f.noSecret
	n := 0
	for _, set := range []bool{cmd.Flags().Changed("secret"), *f.fromIn, removing} {
		if set {
			n++
		}
	}
	switch {
	case n > 1 && f.noSecret != nil:
		return "", false, usageError{name + ": give only one of --secret, --secret-stdin, --no-secret"}
	case n > 1:
		return "", false, usageError{name + ": give only one of --secret, --secret-stdin"}
	case n == 0:
		return "", false, nil
	case removing:
		return "", true, nil
	}
	secret := *f.secret
	if *f.fromIn {
		// A secret longer than the store takes stays too long once its
		// line end is trimmed, so the store still names it.
		b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), lethe.MaxWebhookSecretLength+3))
		if err != nil {
			return "", false, fmt.Errorf("%s: read the secret: %w", name, err)
		}
		secret = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	}
	if secret == "" {
		return "", false, usageError{name + ": the secret is empty " + emptyHint(f)}
	}
	return secret, true, nil
}

// emptyHint says how to ask for no secret, for the error of an empty one.
func emptyHint(f secretFlags) string {
	if f.noSecret != nil {
		return "(--no-secret removes it)"
	}
	return "(leave the secret out for none)"
}

// subscriptionTypes turns --type values into subscription types; the store
// checks them.
func subscriptionTypes(vals []string) []lethe.SubscriptionType {
	out := []lethe.SubscriptionType{}
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, lethe.SubscriptionType(v))
		}
	}
	return out
}

// typeNames lists the subscription types, for help and errors.
func typeNames() string {
	names := make([]string, len(lethe.SubscriptionTypes))
	for i, t := range lethe.SubscriptionTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// webhookError is what a webhook command reports for an error of the store:
// a validation error is a usage error naming every field at fault.
func webhookError(name string, err error) error {
	var le *lethe.Error
	if !errors.As(err, &le) || le.Code != lethe.EInvalid {
		return fmt.Errorf("%s: %s", name, lethe.ErrorMessage(err))
	}
	msg := name + ": " + le.Message
	for _, d := range le.Details[min(1, len(le.Details)):] {
		msg += fmt.Sprintf(" Also %s is %s.", d.Field, d.Problem)
	}
	if slices.ContainsFunc(le.Details, func(d lethe.FieldError) bool { return d.Field == "types" }) {
		msg += " The types are " + typeNames() + "."
	}
	if slices.ContainsFunc(le.Details, func(d lethe.FieldError) bool { return d.Problem == "not_https" || d.Problem == "private" }) {
		msg += " --allow-private accepts http:// URLs and private addresses."
	}
	return usageError{msg}
}

func newWebhookCreateCmd(e env) *cobra.Command {
	var url string
	var types []string
	var disabled bool
	var f webhookFlags
	var s secretFlags
	var allowPrivate *bool
	cmd := &cobra.Command{
		Use:   "create --tenant TENANT --url URL --type TYPE... [--secret SECRET | --secret-stdin] [--disabled]",
		Short: "Create a webhook subscription",
		Long: `Create a webhook subscription of a tenant: the events of the types given are POSTed to the URL, signed
with the secret when one is set (it is never shown again). Types: ` + typeNames() + `;
--type may be repeated or hold several, comma-separated. The URL must be https and not name a private
address, unless --allow-private. --json prints the subscription as the API does.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := noArgs("webhook create", args); err != nil {
				return err
			}
			secret, _, err := s.read(cmd, "webhook create")
			if err != nil {
				return err
			}
			db, ctx, svc, err := f.openWebhooks(cmd.Context(), "webhook create", *allowPrivate)
			if err != nil {
				return err
			}
			defer db.Close()
			sub, err := svc.CreateSubscription(ctx, url, subscriptionTypes(types), secret, !disabled)
			if err != nil {
				return webhookError("webhook create", err)
			}
			return writeSubscription(e, sub, *f.asJSON)
		},
	}
	f = addWebhookFlags(cmd)
	cmd.Flags().StringVar(&url, "url", "", "the receiver's `URL` (required)")
	cmd.Flags().StringSliceVar(&types, "type", nil, "a subscription `TYPE` to send (repeatable, or comma-separated)")
	s = addSecretFlags(cmd, false)
	cmd.Flags().BoolVar(&disabled, "disabled", false, "create it disabled: nothing is sent until it is enabled")
	allowPrivate = addAllowPrivateFlag(cmd)
	return cmd
}

func newWebhookListCmd(e env) *cobra.Command {
	var f webhookFlags
	cmd := &cobra.Command{
		Use:   "list --tenant TENANT",
		Short: "List a tenant's webhook subscriptions (without secrets)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := noArgs("webhook list", args); err != nil {
				return err
			}
			db, ctx, svc, err := f.openWebhooks(cmd.Context(), "webhook list", false)
			if err != nil {
				return err
			}
			defer db.Close()
			list, err := svc.ListSubscriptions(ctx)
			if err != nil {
				return webhookError("webhook list", err)
			}
			return writeSubscriptions(e, list, *f.asJSON)
		},
	}
	f = addWebhookFlags(cmd)
	return cmd
}

// updateFlags are the changes webhook update may be asked for.
type updateFlags struct {
	url             *string
	types           *[]string
	enable, disable *bool
	secret          secretFlags
}

// edit is the change the flags ask for; a usage error when they ask for
// none, or for two opposite ones.
func (u updateFlags) edit(cmd *cobra.Command) (lethe.SubscriptionEdit, error) {
	var e lethe.SubscriptionEdit
	if cmd.Flags().Changed("url") {
		e.URL = u.url
	}
	if cmd.Flags().Changed("type") {
		e.Types = subscriptionTypes(*u.types)
	}
	secret, set, err := u.secret.read(cmd, "webhook update")
	if err != nil {
		return e, err
	}
	if set {
		e.Secret = &secret
	}
	switch {
	case *u.enable && *u.disable:
		return e, usageError{"webhook update: give only one of --enable, --disable"}
	case *u.enable || *u.disable:
		e.Enabled = u.enable
	}
	if e.URL == nil && e.Types == nil && e.Secret == nil && e.Enabled == nil {
		return e, usageError{"webhook update: nothing to change (give --url, --type, --secret, --secret-stdin, --no-secret, --enable or --disable)"}
	}
	return e, nil
}

func newWebhookUpdateCmd(e env) *cobra.Command {
	var f webhookFlags
	var u updateFlags
	var allowPrivate *bool
	cmd := &cobra.Command{
		Use:   "update --tenant TENANT SUBSCRIPTION_ID [--url URL] [--type TYPE...] [--secret SECRET | --secret-stdin | --no-secret] [--enable | --disable]",
		Short: "Change a webhook subscription",
		Long: `Change a webhook subscription: what is not given stays. --type replaces the types (` + typeNames() + `).
Enabling it clears the reason Lethe disabled it; disabling it gives up its pending deliveries (webhook
redeliver sends them again). --json prints the subscription as the API does.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"webhook update: give exactly one subscription id"}
			}
			edit, err := u.edit(cmd)
			if err != nil {
				return err
			}
			db, ctx, svc, err := f.openWebhooks(cmd.Context(), "webhook update", *allowPrivate)
			if err != nil {
				return err
			}
			defer db.Close()
			sub, err := svc.UpdateSubscription(ctx, args[0], edit)
			if err != nil {
				return webhookError("webhook update", err)
			}
			return writeSubscription(e, sub, *f.asJSON)
		},
	}
	f = addWebhookFlags(cmd)
	u.url = cmd.Flags().String("url", "", "the receiver's new `URL`")
	u.types = cmd.Flags().StringSlice("type", nil, "the subscription `TYPE`s to send instead (repeatable, or comma-separated)")
	u.secret = addSecretFlags(cmd, true)
	u.enable = cmd.Flags().Bool("enable", false, "enable it")
	u.disable = cmd.Flags().Bool("disable", false, "disable it: nothing is sent until it is enabled")
	allowPrivate = addAllowPrivateFlag(cmd)
	return cmd
}

func newWebhookDeleteCmd(e env) *cobra.Command {
	var f webhookFlags
	cmd := &cobra.Command{
		Use:   "delete --tenant TENANT SUBSCRIPTION_ID",
		Short: "Delete a webhook subscription and its deliveries",
		Long: `Delete a webhook subscription: its pending deliveries are given up and its deliveries go with it,
but those of user.deleted events, which erasure receipts show.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"webhook delete: give exactly one subscription id"}
			}
			db, ctx, svc, err := f.openWebhooks(cmd.Context(), "webhook delete", false)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := svc.DeleteSubscription(ctx, args[0]); err != nil {
				return webhookError("webhook delete", err)
			}
			if *f.asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"id": args[0], "deleted": true})
			}
			fmt.Fprintf(e.stdout, "deleted subscription %s\n", args[0])
			return nil
		},
	}
	f = addWebhookFlags(cmd)
	return cmd
}

// deliveryStates are the states webhook deliveries --state takes.
var deliveryStates = []string{lethe.DeliveryPending, lethe.DeliveryDelivered, lethe.DeliveryFailed}

// deliveriesQuery is the query the flags of webhook deliveries ask for; a
// usage error for a state or limit out of range.
func deliveriesQuery(q lethe.DeliveryQuery) (lethe.DeliveryQuery, error) {
	if q.State != "" && !slices.Contains(deliveryStates, q.State) {
		return q, usageError{"webhook deliveries: --state must be " + strings.Join(deliveryStates, ", ")}
	}
	if q.Limit < 1 || q.Limit > maxDeliveryLimit {
		return q, usageError{fmt.Sprintf("webhook deliveries: --limit must be 1 to %d", maxDeliveryLimit)}
	}
	return q, nil
}

func newWebhookDeliveriesCmd(e env) *cobra.Command {
	var f webhookFlags
	var q lethe.DeliveryQuery
	cmd := &cobra.Command{
		Use:   "deliveries --tenant TENANT [--subscription ID] [--event ID] [--state STATE] [--limit N]",
		Short: "List a tenant's webhook deliveries, newest first",
		Long: `List a tenant's webhook deliveries, newest first: of one subscription, of one event, in one state
(pending, delivered or failed). --json prints them as the API does.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := noArgs("webhook deliveries", args); err != nil {
				return err
			}
			q, err := deliveriesQuery(q)
			if err != nil {
				return err
			}
			db, ctx, svc, err := f.openWebhooks(cmd.Context(), "webhook deliveries", false)
			if err != nil {
				return err
			}
			defer db.Close()
			if q.SubscriptionID != "" {
				if _, err := svc.FindSubscription(ctx, q.SubscriptionID); err != nil {
					return webhookError("webhook deliveries", err)
				}
			}
			list, total, err := svc.FindDeliveries(ctx, q)
			if err != nil {
				return webhookError("webhook deliveries", err)
			}
			return writeDeliveries(e, list, total, *f.asJSON)
		},
	}
	f = addWebhookFlags(cmd)
	cmd.Flags().StringVar(&q.SubscriptionID, "subscription", "", "only the deliveries of this subscription `ID`")
	cmd.Flags().StringVar(&q.EventID, "event", "", "only the deliveries of this event `ID`")
	cmd.Flags().StringVar(&q.State, "state", "", "only the deliveries in this `STATE`: "+strings.Join(deliveryStates, ", "))
	cmd.Flags().IntVar(&q.Limit, "limit", defaultDeliveryLimit, fmt.Sprintf("show at most `N` deliveries (1 to %d)", maxDeliveryLimit))
	_ = cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(deliveryStates, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newWebhookRedeliverCmd(e env) *cobra.Command {
	var f webhookFlags
	var sub string
	cmd := &cobra.Command{
		Use:   "redeliver --tenant TENANT EVENT_ID [--subscription ID]",
		Short: "Send an event's deliveries again",
		Long: `Queue a new attempt of every delivery of an event (of one subscription with --subscription) that is
not pending, with a fresh retry schedule; disabled subscriptions are left out. It prints how many were
queued; --json prints {"eventId", "queued"}.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"webhook redeliver: give exactly one event id"}
			}
			db, ctx, svc, err := f.openWebhooks(cmd.Context(), "webhook redeliver", false)
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := svc.Redeliver(ctx, args[0], sub)
			if err != nil {
				return webhookError("webhook redeliver", err)
			}
			if *f.asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"eventId": args[0], "queued": n})
			}
			noun := "deliveries"
			if n == 1 {
				noun = "delivery"
			}
			fmt.Fprintf(e.stdout, "queued %d %s of event %s again\n", n, noun, args[0])
			return nil
		},
	}
	f = addWebhookFlags(cmd)
	cmd.Flags().StringVar(&sub, "subscription", "", "only the delivery to this subscription `ID`")
	return cmd
}

// jsonTimePtr is t in the API's format, or nil (JSON null) when t is nil.
func jsonTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(jsonTime)
}

// nullIfZero is v, or nil (JSON null) when v is its type's zero value.
func nullIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// subscriptionJSON is a subscription as the API shows it: never its secret.
func subscriptionJSON(s *lethe.Subscription) map[string]any {
	types := make([]string, len(s.Types))
	for i, t := range s.Types {
		types[i] = string(t)
	}
	return map[string]any{"id": s.ID, "url": s.URL, "types": types, "enabled": s.Enabled, "hasSecret": s.HasSecret,
		"disabledReason": nullIfZero(s.DisabledReason), "failingSince": jsonTimePtr(s.FailingSince),
		"createdAt": s.CreatedAt.UTC().Format(jsonTime), "updatedAt": s.UpdatedAt.UTC().Format(jsonTime)}
}

// subscriptionStatus says in words whether s is enabled, and why not.
func subscriptionStatus(s *lethe.Subscription) string {
	switch {
	case s.Enabled && s.FailingSince != nil:
		return "enabled, failing since " + s.FailingSince.UTC().Format(tableTime)
	case s.Enabled:
		return "enabled"
	case s.DisabledReason != "":
		return "disabled: " + s.DisabledReason
	}
	return "disabled"
}

func secretWord(s *lethe.Subscription) string {
	if s.HasSecret {
		return "set"
	}
	return "none"
}

func joinSubscriptionTypes(ts []lethe.SubscriptionType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	return strings.Join(names, ",")
}

// writeSubscription prints one subscription, as a list of fields or as
// JSON.
func writeSubscription(e env, s *lethe.Subscription, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(subscriptionJSON(s))
	}
	_, err := fmt.Fprintf(e.stdout, "subscription id: %s\nurl:             %s\ntypes:           %s\nstatus:          %s\n"+
		"secret:          %s\n", s.ID, s.URL, joinSubscriptionTypes(s.Types), subscriptionStatus(s), secretWord(s))
	return err
}

// writeSubscriptions prints subscriptions as a table or as JSON.
func writeSubscriptions(e env, list []*lethe.Subscription, asJSON bool) error {
	if asJSON {
		out := []map[string]any{}
		for _, s := range list {
			out = append(out, subscriptionJSON(s))
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBSCRIPTION ID\tURL\tTYPES\tSTATUS\tSECRET\tCREATED")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.URL, joinSubscriptionTypes(s.Types), subscriptionStatus(s),
			secretWord(s), s.CreatedAt.UTC().Format(tableTime))
	}
	return tw.Flush()
}

// deliveryJSON is a delivery as the API shows it.
func deliveryJSON(d *lethe.Delivery) map[string]any {
	return map[string]any{"id": d.ID, "eventId": d.EventID, "eventType": string(d.EventType), "subscriptionId": d.SubscriptionID,
		"state": d.State, "attempts": d.Attempts, "nextAttemptAt": jsonTimePtr(d.NextAt), "deliveredAt": jsonTimePtr(d.DeliveredAt),
		"lastStatus": nullIfZero(d.LastStatus), "lastError": nullIfZero(d.LastError), "createdAt": d.CreatedAt.UTC().Format(jsonTime)}
}

// tableTimePtr is t as the tables show it, or "-".
func tableTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(tableTime)
}

// lastResult is a delivery's last attempt in words: its status, its error,
// or "-" before the first.
func lastResult(d *lethe.Delivery) string {
	var parts []string
	if d.LastStatus != 0 {
		parts = append(parts, fmt.Sprint(d.LastStatus))
	}
	if d.LastError != "" {
		parts = append(parts, d.LastError)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// writeDeliveries prints deliveries as a table, with how many more match,
// or as JSON.
func writeDeliveries(e env, list []*lethe.Delivery, total int, asJSON bool) error {
	if asJSON {
		out := []map[string]any{}
		for _, d := range list {
			out = append(out, deliveryJSON(d))
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DELIVERY ID\tEVENT ID\tEVENT TYPE\tSUBSCRIPTION ID\tSTATE\tATTEMPTS\tLAST RESULT\tNEXT ATTEMPT\tDELIVERED\tCREATED")
	for _, d := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", d.ID, d.EventID, d.EventType, d.SubscriptionID, d.State,
			d.Attempts, lastResult(d), tableTimePtr(d.NextAt), tableTimePtr(d.DeliveredAt), d.CreatedAt.UTC().Format(tableTime))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if total > len(list) {
		fmt.Fprintf(e.stdout, "(%d of %d; --limit shows more)\n", len(list), total)
	}
	return nil
}
