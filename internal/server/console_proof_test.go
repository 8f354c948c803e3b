package server_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/testdb"
)

// The console's proof pages (issue 18): the trail with its chain's status,
// and the as-of reports with their CSV downloads.

// rawSQL opens the test server's database around the store, to tamper.
func (s *testServer) rawSQL(tb testing.TB) *sql.DB {
	tb.Helper()
	driver := "sqlite"
	if testdb.Kind() == "postgres" {
		driver = "pgx"
	}
	db, err := sql.Open(driver, s.DSN)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// settledTrail reads a trail page until its chain check has finished.
func (b *browser) settledTrail(path string) *page {
	b.tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := b.get(path)
		if p.Status != http.StatusOK && p.Status != http.StatusUnprocessableEntity {
			b.tb.Fatalf("GET %s: %d\n%s", path, p.Status, p.HTML)
		}
		if !strings.Contains(p.HTML, "data-checking") && !strings.Contains(p.HTML, "being checked") {
			return p
		}
		if time.Now().After(deadline) {
			b.tb.Fatalf("GET %s: the chain check did not finish:\n%s", path, p.HTML)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var tableRow = regexp.MustCompile(`(?s)<tr><td>\d+</td>.*?</tr>`)

// trailRows are the entry rows of a trail page.
func trailRows(html string) []string { return tableRow.FindAllString(html, -1) }

func TestConsole_Trail(t *testing.T) {
	s := MustStartServer(t)
	ops := s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleOperator)
	s.mustConsoleAccount(t, s.A.ID, "viewer@a.test", lethe.RoleViewer)
	u1 := mustUser(t, s, s.A.ID, "TR-1", "tr1@a.test")
	u2 := mustUser(t, s, s.A.ID, "TR-2", "tr2@a.test")
	other := mustUser(t, s, s.B.ID, "TR-B", "trb@b.test")
	s.Clock.Set(days(1))
	b := s.newBrowser(t)
	b.signIn(s.A.ID, "ops@a.test")
	b.get("/admin/people/" + string(u1.ID) + "/suspend")
	if p := b.post("/admin/people/"+string(u1.ID)+"/suspend", b.form()); p.Status != http.StatusSeeOther {
		t.Fatalf("suspend: %d\n%s", p.Status, p.HTML)
	}

	p := b.settledTrail("/admin/trail")
	if !strings.Contains(p.HTML, "The trail verifies") || !strings.Contains(p.HTML, `href="/admin/trail"`) {
		t.Fatalf("trail page: no verified chain, or no nav link:\n%s", p.HTML)
	}
	rows := trailRows(p.HTML)
	if len(rows) < 4 || !strings.Contains(rows[0], "user.suspended") {
		t.Fatalf("trail rows, newest first, want the suspension on top:\n%s", strings.Join(rows, "\n"))
	}
	for _, want := range []string{"<td>console</td>", "<code>" + ops.ID + "</code>", `href="/admin/people/` + string(u1.ID) + `"`, "2025-03-02 09:00 UTC"} {
		if !strings.Contains(rows[0], want) {
			t.Errorf("the suspension's row lacks %q:\n%s", want, rows[0])
		}
	}
	if strings.Contains(p.HTML, string(other.ID)) || strings.Contains(p.HTML, "tr1@a.test") || strings.Contains(p.HTML, "Lovelace") {
		t.Fatalf("the trail page shows another tenant's entry or personal data:\n%s", p.HTML)
	}

	// Filters: by action (chosen from the actions present), by subject.
	p = b.settledTrail("/admin/trail?action=user.suspended")
	if rows := trailRows(p.HTML); len(rows) != 1 || !strings.Contains(rows[0], "user.suspended") ||
		!strings.Contains(p.HTML, `<option value="user.suspended" selected>`) || !strings.Contains(p.HTML, `<option value="user.created">`) {
		t.Fatalf("filtered by action:\n%s", p.HTML)
	}
	p = b.settledTrail("/admin/trail?subject=" + string(u2.ID))
	if rows := trailRows(p.HTML); len(rows) != 1 || !strings.Contains(rows[0], "user.created") || !strings.Contains(rows[0], string(u2.ID)) {
		t.Fatalf("filtered by subject:\n%s", strings.Join(rows, "\n"))
	}
	p = b.settledTrail("/admin/trail?subject=" + ops.ID)
	if rows := trailRows(p.HTML); len(rows) == 0 || !strings.Contains(rows[0], "console.signin") || strings.Contains(rows[0], "/admin/people/") {
		t.Fatalf("filtered by an account (not linked as a person):\n%s", strings.Join(rows, "\n"))
	}
	p = b.settledTrail("/admin/trail?subject=tr1%40a.test")
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, "subject-error") || len(trailRows(p.HTML)) != 0 {
		t.Fatalf("an email as the subject: %d\n%s", p.Status, p.HTML)
	}
	if p := b.get("/admin/trail?page=0"); p.Status != http.StatusBadRequest {
		t.Fatalf("page 0: %d", p.Status)
	}

	// Pages of 100: the first links to the next, which holds the rest.
	for i := range 100 {
		mustUser(t, s, s.A.ID, fmt.Sprintf("TRP-%d", i), fmt.Sprintf("trp%d@a.test", i))
	}
	p = b.settledTrail("/admin/trail")
	first := trailRows(p.HTML)
	if len(first) != 100 || !strings.Contains(p.HTML, `href="/admin/trail?page=2" rel="next"`) || strings.Contains(p.HTML, `rel="prev"`) {
		t.Fatalf("page 1: %d rows\n%s", len(first), p.HTML)
	}
	p = b.settledTrail("/admin/trail?page=2")
	second := trailRows(p.HTML)
	if len(second) < 4 || strings.Contains(p.HTML, `rel="next"`) || !strings.Contains(p.HTML, `href="/admin/trail?page=1" rel="prev"`) {
		t.Fatalf("page 2: %d rows\n%s", len(second), p.HTML)
	}
	if first[99] == second[0] || !strings.Contains(second[len(second)-1], "<tr><td>1</td>") {
		t.Fatalf("pages overlap, or page 2 does not end with entry 1:\n%s\n%s", first[99], second[len(second)-1])
	}

	// A viewer reads it too.
	viewer := s.newBrowser(t)
	viewer.signIn(s.A.ID, "viewer@a.test")
	if p := viewer.settledTrail("/admin/trail?action=user.suspended"); !strings.Contains(p.HTML, "The trail verifies") || len(trailRows(p.HTML)) != 1 {
		t.Fatalf("a viewer's trail page:\n%s", p.HTML)
	}

	// One entry's detail changed behind the store's back: the chain breaks.
	raw := s.rawSQL(t)
	if _, err := raw.Exec(`UPDATE audit_trail SET detail = '{"forged":true}' WHERE tenant_id = $1 AND seq = 2`, s.A.ID); err != nil {
		t.Fatal(err)
	}
	p = b.settledTrail("/admin/trail?action=user.suspended")
	if !strings.Contains(p.HTML, "The trail does not verify") || !strings.Contains(p.HTML, "Entry 2 was changed after it was written") ||
		strings.Contains(p.HTML, "The trail verifies") {
		t.Fatalf("after tampering:\n%s", p.HTML)
	}
	// Another tenant's chain is its own.
	s.mustConsoleAccount(t, s.B.ID, "ops@b.test", lethe.RoleViewer)
	bb := s.newBrowser(t)
	bb.signIn(s.B.ID, "ops@b.test")
	if p := bb.settledTrail("/admin/trail"); !strings.Contains(p.HTML, "The trail verifies") || strings.Contains(p.HTML, string(u1.ID)) {
		t.Fatalf("tenant B's trail page:\n%s", p.HTML)
	}
}

func TestConsole_Reports(t *testing.T) {
	s := MustStartServer(t)
	s.mustConsoleAccount(t, s.A.ID, "ops@a.test", lethe.RoleOperator)
	s.mustConsoleAccount(t, s.A.ID, "viewer@a.test", lethe.RoleViewer)
	f := s.mustComplianceFixture(t, s.A, "rp-a", "rp-b", "rp-c")
	a1 := MustID(t, s.MustOK(t, s.A, http.StatusCreated, "POST", "/rest/v1/assignments",
		`{"audienceId":"TEAM","contentId":"`+contentA+`","completionPeriod":14}`))
	// After 2025-03-01: rp-a is suspended through the console, rp-b erased.
	s.Clock.Set(days(5))
	ops := s.newBrowser(t)
	ops.signIn(s.A.ID, "ops@a.test")
	ops.get("/admin/people/" + f.users["rp-a"] + "/suspend")
	if p := ops.post("/admin/people/"+f.users["rp-a"]+"/suspend", ops.form()); p.Status != http.StatusSeeOther {
		t.Fatalf("suspend: %d\n%s", p.Status, p.HTML)
	}
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/rp-b", "")
	s.Clock.Set(days(10))

	b := s.newBrowser(t)
	b.signIn(s.A.ID, "viewer@a.test")
	count := func(p *page, state string) string {
		m := regexp.MustCompile(`data-state="` + state + `">(\d+)<`).FindStringSubmatch(p.HTML)
		if m == nil {
			t.Fatalf("no %s count on the page:\n%s", state, p.HTML)
		}
		return m[1]
	}
	p := b.get("/admin/reports?asOf=2025-03-01&from=2025-03-01&to=2025-03-02")
	if p.Status != http.StatusOK || count(p, "active") != "3" || count(p, "suspended") != "0" || count(p, "deleted") != "0" {
		t.Fatalf("headcount as of 2025-03-01: %d\n%s", p.Status, p.HTML)
	}
	if !strings.Contains(p.HTML, `href="/admin/reports"`) || strings.Contains(p.HTML, "<code>"+a1+"</code>") ||
		!strings.Contains(p.HTML, `href="/admin/reports/headcount.csv?asOf=2025-03-01&amp;from=2025-03-01&amp;to=2025-03-02"`) {
		t.Fatalf("reports page: no nav or download link, or the whole organisation's compliance on the page:\n%s", p.HTML)
	}
	// One audience's compliance is on the page.
	if p := b.get("/admin/reports?asOf=2025-03-01&from=2025-03-01&to=2025-03-02&audienceId=TEAM"); !strings.Contains(p.HTML, "<code>"+a1+"</code>") {
		t.Fatalf("reports page of an audience: no assignment:\n%s", p.HTML)
	}
	// Today (the default): the leavers have left.
	p = b.get("/admin/reports")
	if p.Status != http.StatusOK || count(p, "active") != "1" || count(p, "suspended") != "1" || count(p, "deleted") != "1" ||
		!strings.Contains(p.HTML, `value="2025-03-11"`) {
		t.Fatalf("headcount today: %d\n%s", p.Status, p.HTML)
	}

	csvLines := func(p *page, file string) []string {
		t.Helper()
		if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			p.Header.Get("Content-Disposition") != `attachment; filename="`+file+`"` {
			t.Fatalf("CSV: %d %v\n%s", p.Status, p.Header, p.HTML)
		}
		return strings.Split(strings.TrimSuffix(p.HTML, "\r\n"), "\r\n")
	}
	lines := csvLines(b.get("/admin/reports/headcount.csv?asOf=2025-03-01"), "headcount-2025-03-01.csv")
	if strings.Join(lines, "\n") != "asOf,headcount,active,suspended,deleted\n2025-03-01T23:59:59.999Z,3,3,0,0" {
		t.Fatalf("headcount CSV:\n%s", strings.Join(lines, "\n"))
	}
	lines = csvLines(b.get("/admin/reports/compliance.csv?from=2025-03-01&to=2025-03-20"), "compliance-2025-03-01-to-2025-03-20.csv")
	if len(lines) != 4 || lines[0] != "assignmentId,audienceId,userId,status,lastCompletedAt,deleted" {
		t.Fatalf("compliance CSV:\n%s", strings.Join(lines, "\n"))
	}
	for _, ref := range []string{"rp-a", "rp-b", "rp-c"} {
		want := a1 + "," + f.aud + "," + f.users[ref] + ","
		found := false
		for _, l := range lines[1:] {
			found = found || strings.HasPrefix(l, want) && strings.HasSuffix(l, fmt.Sprint(ref == "rp-b"))
		}
		if !found {
			t.Errorf("compliance CSV has no row %s…(deleted %v):\n%s", want, ref == "rp-b", strings.Join(lines, "\n"))
		}
	}

	// Bad input: shown next to its field, with what was typed.
	p = b.get("/admin/reports?asOf=2025-02-30&from=2025-03-01&to=2025-03-02")
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, `id="asOf-error"`) || !strings.Contains(p.HTML, `value="2025-02-30"`) ||
		strings.Contains(p.HTML, "data-state=") {
		t.Fatalf("a bad date: %d\n%s", p.Status, p.HTML)
	}
	p = b.get("/admin/reports?from=2025-03-05&to=2025-03-01")
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, `id="to-error"`) {
		t.Fatalf("a period ending before it starts: %d\n%s", p.Status, p.HTML)
	}
	p = b.get("/admin/reports?audienceId=NOPE")
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.HTML, `id="audienceId-error"`) || !strings.Contains(p.HTML, `value="NOPE"`) {
		t.Fatalf("an unknown audience: %d\n%s", p.Status, p.HTML)
	}
	if p := b.get("/admin/reports/headcount.csv?asOf=yesterday"); p.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.HTML, `id="asOf-error"`) || strings.Contains(p.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("a CSV with a bad date: %d %v\n%s", p.Status, p.Header, p.HTML)
	}
	// Another tenant's reports count its own people.
	s.mustConsoleAccount(t, s.B.ID, "viewer@b.test", lethe.RoleViewer)
	bb := s.newBrowser(t)
	bb.signIn(s.B.ID, "viewer@b.test")
	if p := bb.get("/admin/reports?asOf=2025-03-01"); p.Status != http.StatusOK || count(p, "active") != "0" {
		t.Fatalf("tenant B's headcount:\n%s", p.HTML)
	}
}
