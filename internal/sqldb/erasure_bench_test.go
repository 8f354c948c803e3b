package sqldb_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// benchErasures is how many users BenchmarkUserService_EraseUser erases
// per case: LETHE_BENCH_ERASURES, default 100 (run with -benchtime 100x).
func benchErasures() int {
	return envInt("LETHE_BENCH_ERASURES", 100)
}

// BenchmarkUserService_EraseUser measures the erasure of one user whose
// history holds `records` records: that many activities, plus a
// membership of an audience with an assignment (an enrolment), a
// completion with its CPD entry, an interest and a skill. Erasure keeps the
// records and destroys the data key of their sealed text, so its cost must
// not grow with them. Reports p50 and p99 over the users erased.
func BenchmarkUserService_EraseUser(b *testing.B) {
	for _, records := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("records=%d", records), func(b *testing.B) {
			db := MustOpenDB(b)
			ctx := MustTenant(b, db, "erase")
			n := benchErasures()
			start := time.Now()
			content := strings.Repeat("0", 23) + "1"
			minutes := new(int)
			*minutes = 20
			if _, err := sqldb.NewContentService(db).CreateContent(ctx, content, lethe.ContentFields{Title: strp("Course"),
				Type: strp("video"), DurationMinutes: &minutes}); err != nil {
				b.Fatal(err)
			}
			audiences := sqldb.NewAudienceService(db)
			team, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: strp("Team"), Reference: strp("TEAM")})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := sqldb.NewAssignmentService(db).CreateAssignment(ctx, lethe.AssignmentFields{AudienceID: &team.ID, ContentID: &content}); err != nil {
				b.Fatal(err)
			}
			tags := sqldb.NewTagService(db)
			if _, err := tags.CreateTag(ctx, "Topic"); err != nil {
				b.Fatal(err)
			}
			users := make([]lethe.LearnerID, n)
			level := 2
			for i := range users {
				ref := fmt.Sprintf("E%05d", i)
				users[i] = MustCreateUser(b, ctx, db, ref, lethe.UserFields{}).ID
				if _, err := audiences.AddMembers(ctx, team.ID, []string{ref}); err != nil {
					b.Fatal(err)
				}
				if _, _, err := sqldb.NewCompletionService(db).CreateCompletion(ctx, users[i], content, db.Now().Add(-time.Hour)); err != nil {
					b.Fatal(err)
				}
				if _, err := tags.AddLearnerTags(ctx, users[i], []string{"Topic"}); err != nil {
					b.Fatal(err)
				}
				if _, err := tags.UpdateSkills(ctx, users[i], []lethe.SkillUpdate{{TagName: "Topic", Level: &level}}); err != nil {
					b.Fatal(err)
				}
				if err := db.SeedActivities(ctx, records, users[i:i+1], 365*24*time.Hour, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			if err := db.Analyze(ctx); err != nil {
				b.Fatal(err)
			}
			// Checkpoint the seeding's WAL now, not during the first erasures.
			if err := db.Scrub(ctx); err != nil {
				b.Fatal(err)
			}
			b.Logf("seeded %d users with %d records each in %v", n, records, time.Since(start).Round(time.Millisecond))
			svc := sqldb.NewUserService(db)
			lat := make([]time.Duration, 0, n)
			i := 0
			for b.Loop() {
				if i == len(users) {
					b.Fatalf("ran out of users to erase: run with -benchtime %dx", n)
				}
				t0 := time.Now()
				e, err := svc.EraseUser(ctx, lethe.ByID(users[i]))
				lat = append(lat, time.Since(t0))
				if err != nil || e.Kept["activities"] != records {
					b.Fatalf("erase = %+v, %v", e, err)
				}
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
