package sqldb_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// MustHistory creates the user ref with a record of every kind that
// erasure handles: a membership and a manager role, an enrolment and a
// completion, activities and a CPD entry with text, interests and skills,
// a provisioning event, and a report whose managerRef names the user.
func MustHistory(tb testing.TB, ctx context.Context, db *sqldb.DB, ref string) *lethe.User {
	tb.Helper()
	u := MustCreateUser(tb, ctx, db, ref, lethe.UserFields{FirstName: strp(ref + "-first"), JobTitle: strp(ref + "-job"),
		AdditionalFields: json.RawMessage(`{"team":"` + ref + `-team"}`)})
	MustCreateUser(tb, ctx, db, ref+"-report", lethe.UserFields{ManagerRef: &ref})
	if _, err := sqldb.NewUserService(db).RecordLogin(ctx, lethe.ByID(u.ID)); err != nil {
		tb.Fatal(err)
	}
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	audiences := sqldb.NewAudienceService(db)
	org, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Org " + ref), Reference: strp("ORG-" + ref)})
	must(err)
	team, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Team " + ref), Reference: strp("TEAM-" + ref), ParentID: &org.ID})
	must(err)
	_, err = audiences.AddMembers(ctx, team.ID, []string{ref})
	must(err)
	_, err = audiences.AddManagers(ctx, org.ID, []lethe.ManagerGrant{{Reference: ref}})
	must(err)
	content := strings.Repeat("0", 23) + "1"
	contents := sqldb.NewContentService(db)
	if _, err := contents.FindContentByID(ctx, content); err != nil {
		minutes := new(int)
		*minutes = 30
		_, err = contents.CreateContent(ctx, content, lethe.ContentFields{Title: strp("Course"), Type: strp("video"), DurationMinutes: &minutes})
		must(err)
	}
	_, err = sqldb.NewAssignmentService(db).CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &team.ID, ContentID: &content})
	must(err)
	_, _, err = sqldb.NewCompletionService(db).CreateCompletion(ctx, u.ID, content, db.Now().Add(-time.Hour))
	must(err)
	_, err = sqldb.NewActivityService(db).IngestActivities(ctx, []lethe.NewActivity{
		{ClientID: ref + "-act-1", User: lethe.ByID(u.ID), Type: "commented", Date: db.Now().Add(-time.Hour), Name: ref + "-activity",
			Data: json.RawMessage(`{"comment":"` + ref + `-comment"}`), With: json.RawMessage(`{"name":"` + ref + `-with"}`)},
		{ClientID: ref + "-act-2", User: lethe.ByRef(ref), Type: "viewed", Date: db.Now().Add(-time.Minute), ContextType: "content", ContextID: content},
	})
	must(err)
	cpd := sqldb.NewCPDService(db)
	must(cpd.CreateEntry(ctx, &lethe.CPDEntry{LearnerID: u.ID, ActivityName: ref + "-cpd", EntryDate: db.Now().Add(-time.Hour),
		DurationMinutes: 60, Description: strp(ref + "-cpd-note")}))
	tags := sqldb.NewTagService(db)
	if _, err := tags.CreateTag(ctx, "Erasure topic"); err != nil && lethe.ErrorCode(err) != lethe.EConflict {
		tb.Fatal(err)
	}
	_, err = tags.AddLearnerTags(ctx, u.ID, []string{"Erasure topic"})
	must(err)
	level := 2
	_, err = tags.UpdateSkills(ctx, u.ID, []lethe.SkillUpdate{{TagName: "Erasure topic", Level: &level}})
	must(err)
	body := `{"id":"` + ref + `-event","eventType":"user_updated","content":{"user":{"ref":"` + ref + `"}}}`
	_, err = sqldb.NewProvisioningService(db).ApplyProvisioningEvent(ctx, lethe.ProvisioningEvent{
		ID: ref + "-event", Type: lethe.EventUserUpdated, Digest: sha256.Sum256([]byte(body)), Ref: ref,
		Fields: lethe.UserFields{LastName: strp(ref + "-last")}})
	must(err)
	return u
}

// snapshot returns every row Lethe keeps about learner id (whose person has
// ref): the learner's rows of every registry table with a learner column,
// the enrolment history, the people naming ref as manager and the learner
// counts, as text.
func snapshot(tb testing.TB, raw *sql.DB, tenant string, id lethe.LearnerID, ref string) []string {
	tb.Helper()
	var out []string
	dump := func(q string, args ...any) {
		rows, err := raw.Query(q, args...)
		if err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %v", strings.Fields(q)[3], vals))
		}
		if err := rows.Err(); err != nil {
			tb.Fatal(err)
		}
	}
	for _, t := range sqldb.Registry {
		if t.Learner != "" {
			dump(`SELECT * FROM `+t.Name+` WHERE tenant_id = $1 AND `+t.Learner+` = $2 ORDER BY 1, 2, 3`, tenant, string(id))
		}
	}
	dump(`SELECT * FROM enrolment_history WHERE tenant_id = $1 AND enrolment_id IN
		(SELECT id FROM enrolments WHERE tenant_id = $1 AND learner_id = $2) ORDER BY 1, 2, 3`, tenant, string(id))
	dump(`SELECT * FROM people WHERE tenant_id = $1 AND manager_ref = $2 ORDER BY 1, 2`, tenant, ref)
	dump(`SELECT * FROM learner_counts WHERE tenant_id = $1 ORDER BY 1, 2, 3, 4, 5`, tenant)
	return out
}

// TestUserService_EraseUser_Crash cuts the erasure at each of its
// statements in turn (failure injection in the store, on each database):
// every cut leaves the person untouched, and the erasure that finally runs
// whole erases everything the registry says and keeps the records.
func TestUserService_EraseUser_Crash(t *testing.T) {
	dsn := testdb.DSN(t)
	db := MustOpenDSN(t, dsn)
	raw := rawDB(t, dsn)
	ctx := MustTenant(t, db, "crash")
	u := MustHistory(t, ctx, db, "CRASH-1")
	before := snapshot(t, raw, "crash", u.ID, "CRASH-1")
	users := sqldb.NewUserService(db)
	errCrash := errors.New("injected crash")
	steps := 0
	for step := 1; ; step++ {
		n := 0
		db.SetFailpoint(func(string) error {
			if n++; n == step {
				return errCrash
			}
			return nil
		})
		_, err := users.EraseUser(ctx, lethe.ByID(u.ID))
		db.SetFailpoint(nil)
		if err == nil {
			steps = step - 1
			break
		}
		if !errors.Is(err, errCrash) {
			t.Fatalf("erasure cut at statement %d: %v, want the injected crash", step, err)
		}
		if diff := cmp.Diff(before, snapshot(t, raw, "crash", u.ID, "CRASH-1")); diff != "" {
			t.Fatalf("an erasure cut at statement %d changed what is kept about the person (-before +after):\n%s", step, diff)
		}
	}
	if steps < 10 {
		t.Fatalf("the erasure ran %d statements: the failpoint sees too few to prove anything", steps)
	}
	t.Logf("cut the erasure at each of its %d statements", steps)
	got, err := users.FindUser(ctx, lethe.ByID(u.ID))
	if err != nil || !got.Deleted() || got.Person != nil {
		t.Fatalf("after the erasure: %+v, %v", got, err)
	}
	e, err := users.FindErasure(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"person": 1, "managerRefs": 1, "memberships": 1, "managerRoles": 1, "tags": 1, "skills": 1,
		"dataKeys": 1, "activityText": 2, "cpdText": 2, "provisioningEventHashes": 1, "accountDetails": 0, "pendingErasures": 0,
		"idempotentAnswers": 0, "deliveryResponses": 0, "eventPayloads": 0}
	if diff := cmp.Diff(want, e.Erased); diff != "" {
		t.Errorf("erased (-want +got):\n%s", diff)
	}
	if e.Kept["activities"] != 2 || e.Kept["completions"] != 1 || e.Kept["enrolments"] != 1 || e.Kept["cpdEntries"] != 2 {
		t.Errorf("kept = %v", e.Kept)
	}
}
