package server_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
)

// BenchmarkConsole_Pages times each console page, signed in, against a
// seeded organisation: LETHE_CONSOLE_BENCH_DB names a SQLite file made by
// `lethe seed --tenant bench` (it is copied first, so it stays as it was).
// It reports each page's p99 and its size; the targets are 100 ms and
// 200 KB. See docs/PERFORMANCE.md.
//
//	LETHE_CONSOLE_BENCH_DB=/path/m.db go test -run '^$' -bench Console_Pages -benchtime 200x ./internal/server/
func BenchmarkConsole_Pages(b *testing.B) {
	src := os.Getenv("LETHE_CONSOLE_BENCH_DB")
	if src == "" {
		b.Skip("LETHE_CONSOLE_BENCH_DB is not set: seed a database with lethe seed --tenant bench, and name it")
	}
	dsn := filepath.Join(b.TempDir(), "bench.db")
	copyFile(b, src, dsn)
	s := MustStartServerDSN(b, dsn)
	s.mustConsoleAccount(b, "bench", "bench-admin@example.test", lethe.RoleAdmin)
	ctx := tenantCtx("bench")
	users := sqldb.NewUserService(s.db)
	page, total, err := users.FindUsers(ctx, lethe.UserFilter{Limit: 1, Offset: 1000})
	if err != nil || len(page) == 0 {
		b.Fatalf("the seeded tenant has %d users (%v): seed it with --tenant bench", total, err)
	}
	person := string(page[0].ID)
	br := s.newBrowser(b)
	br.signIn("bench", "bench-admin@example.test")
	for _, pg := range []struct{ name, path string }{
		{"list", "/admin/people"},
		{"list-jump", "/admin/people?page=2000"}, // a jump: the offset is read through
		{"list-inactive", "/admin/people?status=inactive"},
		{"person", "/admin/people/" + person},
		{"confirm-delete", "/admin/people/" + person + "/delete"},
		{"confirm-suspend", "/admin/people/" + person + "/suspend"},
		{"jobs", "/admin/jobs"}, {"audits", "/admin/audits"}, {"receipts", "/admin/receipts"},
		{"trail", "/admin/trail"}, {"reports", "/admin/reports"}, {"settings", "/admin/settings"},
	} {
		path := pg.path
		b.Run(pg.name, func(b *testing.B) {
			var times []time.Duration
			size := 0
			for b.Loop() {
				start := time.Now()
				p := br.get(path)
				times = append(times, time.Since(start))
				if p.Status != http.StatusOK {
					b.Fatalf("%s: %d\n%s", path, p.Status, p.HTML)
				}
				size = len(p.HTML)
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(size)/1024, "KB")
		})
	}
	// Next page after next page, as the pager walks (the store keeps where
	// the last page ended, so a page costs the same deep in the list).
	b.Run("list-next", func(b *testing.B) {
		var times []time.Duration
		n := 0
		for b.Loop() {
			n++
			start := time.Now()
			if p := br.get(fmt.Sprintf("/admin/people?page=%d", n)); p.Status != http.StatusOK {
				b.Fatal(p.Status)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
	})
	// The search is a post.
	b.Run("search", func(b *testing.B) {
		br.get("/admin/people")
		form := br.form("q", person)
		for b.Loop() {
			if p := br.post("/admin/people/search", form); p.Status != http.StatusOK {
				b.Fatal(p.Status)
			}
		}
	})
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(fmt.Errorf("copy %s: %w", from, err))
	}
}
