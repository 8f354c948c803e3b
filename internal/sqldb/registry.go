package sqldb

import (
	"context"
	"fmt"
	"strings"
)

// The personal-data registry: every column of every table Lethe creates,
// with what an erasure does to it. Erasure, the vacuum of personal-data
// tables and the registry test (which walks the schema of both databases
// and fails on a column not declared here) are driven by it, so a
// migration that adds a column must say here what the column holds.

// Policy is what erasing a learner does to a column.
type Policy string

const (
	// Erase: personal data. Erasure deletes the row, or sets the column to
	// its cleared value when the row is kept.
	Erase Policy = "erase"
	// Pseudonymize: names a learner by internal id and nothing else. Kept:
	// once the person is erased, the id leads to no one.
	Pseudonymize Policy = "pseudonymize"
	// Sealed: personal data encrypted under the data key of the row's
	// learner (learner_keys, see seal.go). Erasure deletes the key: the
	// ciphertext stays with the kept row and can no longer be read.
	Sealed Policy = "sealed"
	// Keep: a fact of a learner's record that names no one (a date, a
	// content id, a status). Kept with its row.
	Keep Policy = "keep"
	// NotPersonal: a column of a table whose rows are about no person
	// (tenants, content, audiences), or a key such as tenant_id.
	NotPersonal Policy = "none"
	// Staff: personal data of a tenant's staff (a console account's
	// email), not of a learner. Erasing a learner leaves it; it is kept
	// while the account is, is never logged, never in the trail and never
	// in an answer of the learner API. Only tables that name no learner
	// hold it.
	Staff Policy = "staff"
)

// Rows is what erasing a learner does to the learner's rows of a table.
type Rows string

const (
	// DeleteRows: the row describes the person (their personal data, a
	// membership, an interest): it is deleted.
	DeleteRows Rows = "delete"
	// KeepRows: the row is a record the organisation keeps (a completion,
	// an activity): it stays, under the learner id, with its Erase columns
	// cleared.
	KeepRows Rows = "keep"
)

// Column is one declared column.
type Column struct {
	Name   string
	Policy Policy
	// Cleared is the SQL value an Erase column of a kept row is set to;
	// "" means NULL.
	Cleared string
	// RefsErased, when set, marks a column that holds another person's
	// ref (people.manager_ref): erasure clears it in every row where it
	// holds the erased person's ref, and counts those rows under this name.
	RefsErased string
}

// Table is one declared table.
type Table struct {
	Name string
	// Learner is the column naming the learner a row belongs to; "" when
	// rows belong to no learner.
	Learner string
	Rows    Rows
	// Kept names the rows kept on erasure in the erasure record (counted),
	// e.g. "activities"; "" when they are not counted.
	Kept string
	// Erased names, in the erasure record, the rows deleted (DeleteRows)
	// or the rows whose Erase columns were cleared (KeepRows).
	Erased  string
	Columns []Column
	// NoRewrite keeps a personal-data table out of RewritePersonalData:
	// a table that grows with history (activities) or is read by every
	// request (learners), which a VACUUM FULL would lock for too long.
	NoRewrite bool
	// Unlink severs kept rows from the learner on erasure and
	// anonymization: the learner column is set to '' with the Erase
	// columns. For a table whose rows a client can reach by a key of its
	// own (an envelope id) and whose answer would name the learner.
	Unlink bool
}

// byLearner is the table t in a look-up by learner: its name, and on
// SQLite the index to use where the planner would choose badly
// (dialect.learnerIndexes).
func (tx *Tx) byLearner(t *Table) string { return t.Name + tx.db.dialect.learnerIndexes[t.Name] }

func cols(p Policy, names ...string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{Name: n, Policy: p}
	}
	return out
}

func concat(groups ...[]Column) []Column {
	var out []Column
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Registry declares every table of the schema.
var Registry = []Table{
	// Server and tenant bookkeeping: about no person.
	{Name: "schema_migrations", Columns: cols(NotPersonal, "version", "applied_at")},
	{Name: "server_secrets", Columns: cols(NotPersonal, "name", "value")},
	{Name: "maintenance", Columns: cols(NotPersonal, "name", "at")},
	{Name: "deferred_indexes", Columns: cols(NotPersonal, "name", "sql")},
	{Name: "tenants", Columns: cols(NotPersonal, "id", "name", "api_key_hash", "created_at", "key_rotated_at")},
	{Name: "learner_counts", Columns: cols(NotPersonal, "tenant_id", "state", "logged_in", "end_day", "slot", "n")},

	// The person: every field is personal data, and the row goes.
	{Name: "people", Learner: "learner_id", Rows: DeleteRows, Erased: "person", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"),
		cols(Erase, "ref", "email", "email_norm", "first_name", "last_name", "job_title", "domain",
			"time_zone", "language_code", "start_date", "additional_fields",
			// The identity provider's id of the person (SCIM externalId).
			"scim_external_id"),
		[]Column{{Name: "manager_ref", Policy: Erase, RefsErased: "managerRefs"}})},

	// The account: kept as a deleted learner. Its end date and single
	// sign-on flag are HR facts about the person and are cleared; the rest
	// describes the account.
	{Name: "learners", Learner: "id", Rows: KeepRows, Erased: "accountDetails", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "id"),
		cols(Keep, "state", "role", "login_method", "first_login_at", "last_login_at", "created_at", "updated_at", "deleted_at",
			"anonymized_at", "provisioned_at"),
		[]Column{{Name: "end_date", Policy: Erase}, {Name: "sso", Policy: Erase, Cleared: "FALSE"}}), NoRewrite: true},
	{Name: "status_history", Learner: "learner_id", Rows: KeepRows, Kept: "statusHistory", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"),
		// actor is a label of the surface or key that acted, never a person's name.
		cols(Keep, "seq", "from_state", "to_state", "reason", "actor", "source", "at"))},
	{Name: "erasures", Learner: "learner_id", Rows: KeepRows, Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"),
		cols(Keep, "erased_at", "source", "actor", "erased", "kept", "mode", "requested_at"),
		// Where the tenant's trail stood: a seq and a hash.
		cols(NotPersonal, "trail_seq", "trail_hash"))},
	// A scheduled erasure goes when it runs, or with the account (purge).
	{Name: "pending_erasures", Learner: "learner_id", Rows: DeleteRows, Erased: "pendingErasures", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"), cols(Keep, "due_at", "requested_at", "source", "actor"))},
	// Keyed hashes (per-tenant key) of erased refs and emails, kept for the
	// tenant's tombstone window and then deleted: they name no one, and no
	// learner; only a value the server is given again can match one.
	{Name: "tombstones", Columns: concat(cols(NotPersonal, "tenant_id", "kind", "mode"), cols(Keep, "hash", "erased_at"))},
	// The trail outlives erasure: its subject is a learner id, its
	// actor a label, its detail fixed words and numbers.
	{Name: "audit_trail", Columns: concat(cols(NotPersonal, "tenant_id", "seq", "prev_hash", "hash"),
		cols(Keep, "at", "action", "source", "actor", "detail"), cols(Pseudonymize, "subject"))},
	{Name: "audit_heads", Columns: cols(NotPersonal, "tenant_id", "seq", "hash")},
	{Name: "tenant_settings", Columns: cols(NotPersonal, "tenant_id", "deletion_mode", "grace_days", "tombstone_days", "updated_at",
		"dormant_audit", "scim_additional_fields")},
	// SCIM: tokens are labelled credentials of a tenant, a keyed hash of
	// each secret; scim_groups marks the audiences SCIM created.
	{Name: "scim_tokens", Columns: cols(NotPersonal, "tenant_id", "id", "name", "secret_hash", "created_at", "last_used_at")},
	{Name: "scim_groups", Columns: cols(NotPersonal, "tenant_id", "audience_id")},
	// OAuth clients: labelled credentials of a tenant, their scopes and a
	// keyed hash of each secret.
	{Name: "oauth_clients", Columns: cols(NotPersonal, "tenant_id", "id", "name", "scopes", "secret_hash", "created_at", "last_used_at")},
	// The admin console (issue 18): accounts are the tenant's staff, not
	// learners, so no learner's erasure touches them. The email is the
	// staff member's (Staff); the rest is credentials kept only as hashes
	// or sealed (password_hash, totp_secret, totp_pending), a role and
	// times. Set-password links and sessions are keyed hashes of tokens
	// naming an account by id.
	{Name: "console_accounts", Columns: concat(cols(NotPersonal, "tenant_id", "id", "role", "password_hash", "totp_secret",
		"totp_pending", "totp_last_step", "created_at", "last_login_at"), cols(Staff, "email", "email_norm"))},
	{Name: "console_password_tokens", Columns: cols(NotPersonal, "tenant_id", "token_hash", "account_id", "expires_at", "used")},
	{Name: "console_sessions", Columns: cols(NotPersonal, "tenant_id", "token_hash", "id", "account_id", "csrf_token",
		"created_at", "seen_at", "expires_at")},

	// Jobs hold ids only. Their items name learners by id and stay (what
	// a job did is a record); they are not erased with the learner, so a
	// running purge job keeps its own items.
	{Name: "jobs", Columns: concat(cols(NotPersonal, "tenant_id", "id", "kind", "action", "state", "dry_run", "end_date",
		"rules", "actions", "total", "processed", "done", "unchanged", "skipped", "failed", "excluded", "errors", "created_at",
		"started_at", "finished_at"), cols(Keep, "source", "actor"))},
	{Name: "job_items", Columns: concat(cols(NotPersonal, "tenant_id", "job_id", "seq", "line"), cols(Pseudonymize, "learner_id"),
		cols(Keep, "action", "rule", "outcome", "reason"))},
	// Answers of bulk calls with an Idempotency-Key, for a day (ADR 0017):
	// keyed hashes and an answer of outcomes and reasons by position, naming
	// no one. The learner each result names is a row of its own, which goes
	// with the learner: a replay after an erasure no longer names them.
	{Name: "idempotency_keys", Columns: concat(cols(NotPersonal, "tenant_id", "key_hash", "body_hash", "status", "created_at", "holder"),
		cols(Keep, "answer"))},
	{Name: "idempotency_learners", Learner: "learner_id", Rows: DeleteRows, Erased: "idempotentAnswers", Columns: concat(
		cols(NotPersonal, "tenant_id", "key_hash", "seq"), cols(Pseudonymize, "learner_id"))},
	// Idempotency of provisioning events: the keyed hash of the body is
	// derived from personal data and goes; the outcome stays, but no longer
	// names the learner (Unlink), or a replayed envelope id would lead from
	// the sender's reference to the erased learner's records. event_id is a
	// keyed hash of the envelope id (the id itself before schema version 6).
	{Name: "provisioning_events", Learner: "learner_id", Rows: KeepRows, Unlink: true, Erased: "provisioningEventHashes", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"),
		cols(Keep, "event_id", "event_type", "outcome", "received_at"),
		cols(Erase, "body_hash"))},

	// Audiences: memberships and manager roles go with the person.
	{Name: "audiences", Columns: cols(NotPersonal, "tenant_id", "id", "reference", "name", "category", "type",
		"api_controlled", "parent_id", "created_at", "updated_at")},
	{Name: "audience_members", Learner: "learner_id", Rows: DeleteRows, Erased: "memberships", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"), cols(Keep, "audience_id", "added_at"))},
	{Name: "audience_managers", Learner: "learner_id", Rows: DeleteRows, Erased: "managerRoles", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"), cols(Keep, "audience_id", "permissions", "added_at"))},

	// Compliance: the learning records stay.
	{Name: "assignments", Columns: cols(NotPersonal, "tenant_id", "id", "audience_id", "primary_content_id",
		"alternative_content_ids", "hide_alternative_content", "completion_period", "recurrence", "is_active",
		"deleted_at", "created_at", "updated_at", "enrol_cursor")},
	{Name: "enrolments", Learner: "learner_id", Rows: KeepRows, Kept: "enrolments", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"),
		cols(Keep, "id", "assignment_id", "audience_id", "assigned", "available_at", "due_at", "last_completed_at",
			"last_completion_id", "created_at", "updated_at"))},
	// Rows belong to an enrolment, and through it to a learner: kept facts.
	{Name: "enrolment_history", Columns: concat(cols(NotPersonal, "tenant_id"),
		cols(Keep, "enrolment_id", "seq", "type", "completion_id", "previous_status", "next_status", "created_at"))},
	{Name: "completions", Learner: "learner_id", Rows: KeepRows, Kept: "completions", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"),
		cols(Keep, "id", "content_id", "completed_at", "is_rpl", "completion_type", "created_at"))},

	// Content: the catalogue is about no person; its author is a learner id.
	{Name: "contents", Columns: concat(cols(NotPersonal, "tenant_id", "id", "title", "description", "type", "tags",
		"duration_minutes", "is_official", "archived_at", "created_at", "updated_at"), cols(Pseudonymize, "author"))},
	{Name: "content_history", Columns: cols(NotPersonal, "tenant_id", "content_id", "seq", "action", "actor_type",
		"actor", "created_at")},
	{Name: "content_tags", Columns: cols(NotPersonal, "tenant_id", "tag_id", "content_id")},

	// Activities stay; their free text can name a person (a comment, the
	// name of whoever a share went to, a "with" context) and is cleared.
	// The text is sealed (rows before schema version 6 hold it in name, data
	// and with_data); client_id is a keyed hash of the sender's id.
	{Name: "activities", Learner: "learner_id", Rows: KeepRows, Kept: "activities", Erased: "activityText", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"),
		cols(Keep, "id", "client_id", "type", "date", "context_type", "context_id", "created_at"),
		cols(Sealed, "sealed"), cols(Erase, "name", "data", "with_data")), NoRewrite: true},

	// Tags and skills: interests and self-assessed skills describe the
	// person and go; the tags themselves are the tenant's.
	{Name: "tags", Columns: cols(NotPersonal, "tenant_id", "id", "name", "name_key", "created_at", "updated_at")},
	{Name: "skill_levels", Columns: cols(NotPersonal, "tenant_id", "value", "name", "enabled")},
	{Name: "learner_tags", Learner: "learner_id", Rows: DeleteRows, Erased: "tags", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"), cols(Keep, "tag_id", "added_at"))},
	{Name: "learner_skills", Learner: "learner_id", Rows: DeleteRows, Erased: "skills", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"),
		cols(Keep, "tag_id", "level", "target_level", "updated_at"))},

	// CPD: entries stay; the learner's own words (the activity's name and
	// the description) can name a person and are cleared.
	{Name: "cpd_categories", Columns: cols(NotPersonal, "tenant_id", "id", "name", "created_at", "updated_at")},
	{Name: "cpd_requirements", Columns: cols(NotPersonal, "tenant_id", "id", "audience_id", "required_minutes",
		"created_at", "updated_at")},
	{Name: "cpd_entries", Learner: "learner_id", Rows: KeepRows, Kept: "cpdEntries", Erased: "cpdText", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"),
		cols(Keep, "id", "category_id", "activity_type", "entry_date", "duration_minutes", "is_verified", "created_at"),
		cols(Sealed, "sealed"), // before schema version 6, the text was in activity_name and description
		[]Column{{Name: "activity_name", Policy: Erase, Cleared: "''"}, {Name: "description", Policy: Erase}})},
	// One data key per learner: deleting it erases all the learner's sealed text.
	{Name: "learner_keys", Learner: "learner_id", Rows: DeleteRows, Erased: "dataKeys", Columns: concat(
		cols(NotPersonal, "tenant_id"), cols(Pseudonymize, "learner_id"), cols(Erase, "data_key"), cols(Keep, "created_at"))},

	// Outbound events (event.go). A subscription is the tenant's endpoint.
	// An event and the stored start of each answer to it are kept under
	// the learner the event is about (subject), with the resource (names,
	// email) and the answer cleared; the ids-only body stays and is what
	// is sent from then on. A purge deletes them with the learner.
	{Name: "webhook_subscriptions", Columns: cols(NotPersonal, "tenant_id", "id", "url", "types", "secret", "enabled",
		"disabled_reason", "failing_since", "fanned_seq", "created_at", "updated_at")},
	{Name: "event_heads", Columns: cols(NotPersonal, "tenant_id", "seq")},
	{Name: "events", Learner: "subject", Rows: KeepRows, Erased: "eventPayloads", Columns: concat(
		cols(NotPersonal, "tenant_id", "seq", "id", "type", "created_at"), cols(Pseudonymize, "subject", "ids"),
		cols(Erase, "payload"))},
	{Name: "webhook_deliveries", Learner: "subject", Rows: KeepRows, Columns: concat(
		cols(NotPersonal, "tenant_id", "id", "subscription_id", "event_seq", "state", "attempts", "next_at",
			"lease_owner", "delivered_at", "last_status", "last_error", "created_at"), cols(Pseudonymize, "subject"))},
	{Name: "webhook_attempts", Learner: "subject", Rows: KeepRows, Erased: "deliveryResponses", Columns: concat(
		cols(NotPersonal, "tenant_id", "delivery_id", "n", "at", "status", "error", "latency_ms"),
		cols(Pseudonymize, "subject"), cols(Erase, "response"))},
}

// erasable returns the Erase columns of t that are not references to
// another person.
func (t *Table) erasable() []Column {
	var out []Column
	for _, c := range t.Columns {
		if c.Policy == Erase && c.RefsErased == "" {
			out = append(out, c)
		}
	}
	return out
}

// sealed returns the Sealed columns of t.
func (t *Table) sealed() []Column {
	var out []Column
	for _, c := range t.Columns {
		if c.Policy == Sealed {
			out = append(out, c)
		}
	}
	return out
}

func (c Column) cleared() string {
	if c.Cleared == "" {
		return "NULL"
	}
	return c.Cleared
}

// holdsValue is a condition true when c holds something other than its
// cleared value (NULL counts as cleared).
func (c Column) holdsValue() string {
	if c.Cleared == "" {
		return c.Name + " IS NOT NULL"
	}
	return "COALESCE(" + c.Name + " <> " + c.Cleared + ", FALSE)"
}

// keptCounts counts the learner's rows of every table whose kept rows the
// erasure record counts, in one statement of index-only counts: erasure
// must not read the records themselves.
func (tx *Tx) keptCounts(ctx context.Context, id string) (map[string]int, error) {
	var subs []string
	var tables []string
	for _, t := range Registry {
		if t.Learner != "" && t.Rows == KeepRows && t.Kept != "" {
			subs = append(subs, `(SELECT COUNT(*) FROM `+tx.byLearner(&t)+` WHERE tenant_id = $1 AND `+t.Learner+` = $2)`)
			tables = append(tables, t.Name)
		}
	}
	ns := make([]int, len(tables))
	dst := make([]any, len(tables))
	for i := range ns {
		dst[i] = &ns[i]
	}
	if err := tx.QueryRowContext(ctx, `SELECT `+strings.Join(subs, ", "), string(tx.actor.TenantID), id).Scan(dst...); err != nil {
		return nil, fmt.Errorf("count kept records: %w", err)
	}
	out := map[string]int{}
	for i, t := range tables {
		out[t] = ns[i]
	}
	return out, nil
}

// clearRefs clears, in every column declared as holding another person's
// ref, the rows holding ref (the erased person's), and counts them into
// erased. Those people's rows are marked updated first, so a sync by
// updatedSince sees the change.
func (tx *Tx) clearRefs(ctx context.Context, ref string, erased map[string]int) error {
	tenant := string(tx.actor.TenantID)
	if _, err := tx.ExecContext(ctx, `UPDATE learners SET updated_at = $3 WHERE tenant_id = $1 AND id IN
		(SELECT learner_id FROM people WHERE tenant_id = $1 AND manager_ref = $2)`, tenant, ref, ms(tx.now)); err != nil {
		return fmt.Errorf("touch reports: %w", err)
	}
	for _, t := range Registry {
		for _, c := range t.Columns {
			if c.RefsErased == "" {
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE `+t.Name+` SET `+c.Name+` = `+c.cleared()+
				` WHERE tenant_id = $1 AND `+c.Name+` = $2`, tenant, ref)
			if err != nil {
				return fmt.Errorf("erase references in %s.%s: %w", t.Name, c.Name, err)
			}
			n, _ := res.RowsAffected()
			erased[c.RefsErased] += int(n)
		}
	}
	return nil
}

// PersonalTables lists the tables with personal data: the ones whose bytes
// must be made unreadable on disk after an erasure. With rewrite set, the
// ones to rewrite (no NoRewrite).
func PersonalTables(rewrite bool) []string {
	var out []string
	for _, t := range Registry {
		if rewrite && t.NoRewrite {
			continue
		}
		for _, c := range t.Columns {
			if c.Policy == Erase {
				out = append(out, t.Name)
				break
			}
		}
	}
	return out
}

// eraseRecords applies the registry to learner id, whose person had ref:
// it deletes the learner's rows of DeleteRows tables, clears the Erase
// columns of the kept rows, clears references to ref, and counts what was
// erased and kept. Every category of the registry is counted, zeros too. Statements name tables from the registry, never
// from input.
//
// With keepPerson (anonymization) the person row stays, its personal
// fields random (randomizePerson).
func (tx *Tx) eraseRecords(ctx context.Context, id, ref string, keepPerson bool, erased, kept map[string]int) error {
	tenant := string(tx.actor.TenantID)
	if err := tx.clearRefs(ctx, ref, erased); err != nil {
		return err
	}
	counts, err := tx.keptCounts(ctx, id)
	if err != nil {
		return err
	}
	for i := range Registry {
		t := &Registry[i]
		if t.Learner == "" {
			continue
		}
		switch {
		case t.Rows == DeleteRows && keepPerson && t.Name == "people":
			if err := tx.randomizePerson(ctx, id); err != nil {
				return err
			}
			erased[t.Erased]++
		case t.Rows == DeleteRows:
			res, err := tx.ExecContext(ctx, `DELETE FROM `+t.Name+` WHERE tenant_id = $1 AND `+t.Learner+` = $2`, tenant, id)
			if err != nil {
				return fmt.Errorf("erase %s: %w", t.Name, err)
			}
			n, _ := res.RowsAffected()
			erased[t.Erased] += int(n)
		case t.Rows == KeepRows:
			n := counts[t.Name]
			if t.Kept != "" {
				kept[t.Kept] += n
			}
			if len(t.sealed()) > 0 {
				// The sealed text of every kept row (if it had any) is
				// unreadable once the key goes (learner_keys, DeleteRows).
				erased[t.Erased] += n
			}
			if cs := t.erasable(); len(cs) > 0 {
				sets, held := make([]string, len(cs)), make([]string, len(cs))
				for j, c := range cs {
					sets[j], held[j] = c.Name+" = "+c.cleared(), c.holdsValue()
				}
				where := ` AND (` + strings.Join(held, " OR ") + `)`
				if t.Unlink {
					// Every row goes from the learner, not only those holding a value.
					sets, where = append(sets, t.Learner+" = ''"), ""
				}
				res, err := tx.ExecContext(ctx, `UPDATE `+tx.byLearner(t)+` SET `+strings.Join(sets, ", ")+
					` WHERE tenant_id = $1 AND `+t.Learner+` = $2`+where, tenant, id)
				if err != nil {
					return fmt.Errorf("erase %s: %w", t.Name, err)
				}
				if len(t.sealed()) == 0 {
					cleared, _ := res.RowsAffected()
					erased[t.Erased] += int(cleared)
				}
			}
		}
	}
	return nil
}
