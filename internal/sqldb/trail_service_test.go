package sqldb_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// seqs are the entries' numbers, in the order given.
func seqs(es []*lethe.TrailEntry) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestTrailService(t *testing.T) {
	dsn := testdb.DSN(t)
	db := MustOpenDSN(t, dsn)
	c := &clock{t: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = c.now
	a, b := MustTenant(t, db, "trail-a"), MustTenant(t, db, "trail-b")
	users, trail := sqldb.NewUserService(db), sqldb.NewTrailService(db)
	first, last := "Trail", "Tester"
	fields := func(ref string) lethe.UserFields {
		email := ref + "@trail.test"
		return lethe.UserFields{FirstName: &first, LastName: &last, Email: &email}
	}
	var ids []lethe.LearnerID
	for i := range 5 {
		c.t = c.t.Add(time.Minute)
		u, err := users.CreateUser(a, fmt.Sprintf("T-%d", i), fields(fmt.Sprintf("t%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	c.t = c.t.Add(time.Minute)
	if _, err := users.SuspendUser(a, lethe.ByID(ids[1]), nil); err != nil {
		t.Fatal(err)
	}
	other, err := users.CreateUser(b, "B-1", fields("b1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.EraseUser(b, lethe.ByID(other.ID)); err != nil {
		t.Fatal(err)
	}

	// Unfiltered: newest first, pages that follow on, the last one short.
	all, more, err := trail.FindTrail(a, lethe.TrailFilter{Limit: 1000})
	if err != nil || more {
		t.Fatalf("whole trail: %v, more %v", err, more)
	}
	if len(all) < 6 || !slices.IsSortedFunc(all, func(x, y *lethe.TrailEntry) int { return int(y.Seq - x.Seq) }) || all[0].Seq != int64(len(all)) {
		t.Fatalf("whole trail: seqs %v, want every entry from the newest", seqs(all))
	}
	top := all[0]
	if top.Action != "user.suspended" || top.Subject != string(ids[1]) || top.Source != lethe.SourceAPI || top.Actor != "test" ||
		!top.At.Equal(c.t) || len(top.Hash) != 32 {
		t.Fatalf("newest entry %+v, want the suspension", top)
	}
	var paged []*lethe.TrailEntry
	for off := 0; ; off += 4 {
		page, more, err := trail.FindTrail(a, lethe.TrailFilter{Offset: off, Limit: 4})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if !more {
			break
		}
	}
	if diff := cmp.Diff(seqs(all), seqs(paged)); diff != "" {
		t.Fatalf("pages of 4 (-whole +paged):\n%s", diff)
	}

	// Filters: by action, by subject, both; another tenant's entries never.
	byAction, _, err := trail.FindTrail(a, lethe.TrailFilter{Action: "user.created", Limit: 2})
	if err != nil || len(byAction) != 2 || byAction[0].Subject != string(ids[4]) || byAction[1].Subject != string(ids[3]) {
		t.Fatalf("by action: %v %+v", err, byAction)
	}
	rest, more, err := trail.FindTrail(a, lethe.TrailFilter{Action: "user.created", Offset: 2, Limit: 10})
	if err != nil || more || len(rest) != 3 || rest[2].Subject != string(ids[0]) {
		t.Fatalf("by action, from 2: %v %v %+v", err, more, rest)
	}
	bySubject, _, err := trail.FindTrail(a, lethe.TrailFilter{Subject: string(ids[1]), Limit: 10})
	if err != nil || len(bySubject) != 2 || bySubject[0].Action != "user.suspended" || bySubject[1].Action != "user.created" {
		t.Fatalf("by subject: %v %+v", err, bySubject)
	}
	both, _, err := trail.FindTrail(a, lethe.TrailFilter{Subject: string(ids[1]), Action: "user.created", Limit: 10})
	if err != nil || len(both) != 1 || both[0].Action != "user.created" {
		t.Fatalf("by subject and action: %v %+v", err, both)
	}
	for _, f := range []lethe.TrailFilter{{Subject: string(other.ID), Limit: 10}, {Action: "user.erased", Limit: 10}} {
		if got, _, err := trail.FindTrail(a, f); err != nil || len(got) != 0 {
			t.Fatalf("tenant b's entries from tenant a (%+v): %v %+v", f, err, got)
		}
	}
	if _, _, err := trail.FindTrail(a, lethe.TrailFilter{Limit: 0}); lethe.ErrorCode(err) != lethe.EInvalid {
		t.Fatalf("limit 0: %v, want EInvalid", err)
	}
	empty := MustTenant(t, db, "trail-empty")
	if got, more, err := trail.FindTrail(empty, lethe.TrailFilter{Limit: 10}); err != nil || more || len(got) != 0 {
		t.Fatalf("empty trail: %v %v %+v", err, more, got)
	}

	// The actions present, each once, in order; the tenant's own only.
	acts, err := trail.TrailActions(a)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"user.created", "user.suspended"}, acts); diff != "" {
		t.Fatalf("actions (-want +got):\n%s", diff)
	}
	if acts, err := trail.TrailActions(empty); err != nil || len(acts) != 0 {
		t.Fatalf("actions of an empty trail: %v %v", acts, err)
	}

	// Verification: the tenant's chain, and a changed entry breaks it.
	n, problems, err := trail.VerifyTenantTrail(a)
	if err != nil || n != len(all) || len(problems) != 0 {
		t.Fatalf("verify: %d entries, %v, %v; want %d and none", n, problems, err, len(all))
	}
	raw := rawDB(t, dsn)
	if _, err := raw.Exec(`UPDATE audit_trail SET detail = '{"forged":1}' WHERE tenant_id = 'trail-a' AND seq = 2`); err != nil {
		t.Fatal(err)
	}
	n, problems, err = trail.VerifyTenantTrail(a)
	if err != nil || n != len(all) || len(problems) != 1 || problems[0].Seq != 2 || problems[0].TenantID != "trail-a" ||
		problems[0].Problem != "was changed after it was written" {
		t.Fatalf("verify after an edit: %d, %v, %v", n, problems, err)
	}
	if _, problems, err := trail.VerifyTenantTrail(b); err != nil || len(problems) != 0 {
		t.Fatalf("tenant b after tenant a's edit: %v %v", problems, err)
	}
	if _, err := raw.Exec(`DELETE FROM audit_trail WHERE tenant_id = 'trail-a' AND seq = 3`); err != nil {
		t.Fatal(err)
	}
	if _, problems, err := trail.VerifyTenantTrail(a); err != nil || len(problems) < 2 {
		t.Fatalf("verify after a removal: %v %v, want the edit and the gap", problems, err)
	}
}
