package server_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// The tests of this file pin down what must not differ between SQLite and
// PostgreSQL (the suite runs on both), and how the server behaves when
// PostgreSQL goes away.

// errBody is the whole vendor error body.
func errBody(status int, code, message string, details ...string) map[string]any {
	d := []any{}
	for i := 0; i+1 < len(details); i += 2 {
		d = append(d, map[string]any{"field": details[i], "problem": details[i+1]})
	}
	return map[string]any{
		"status": float64(status), "error": http.StatusText(status), "code": code, "message": message, "details": d,
	}
}

// TestServer_ErrorBodies checks the whole answer, message included, to the
// same mistakes; the literal answers are those of both databases.
func TestServer_ErrorBodies(t *testing.T) {
	s := MustStartServer(t)
	s.MustCreateUser(t, s.A, "taken", map[string]any{"email": "Taken@Example.com"})
	s.MustCreateUser(t, s.A, "other", nil)
	suspended := MustID(t, s.MustCreateUser(t, s.A, "suspended", nil))
	s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/suspended/suspend", `{}`)
	erased := MustID(t, s.MustCreateUser(t, s.A, "erased", nil))
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/erased", "")
	live := MustID(t, s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users/ref/other", ""))
	s.MustEvent(t, s.A, envelope(t, "evt-1", "user_updated", map[string]any{"ref": "other", "jobTitle": "A"}),
		"evt-1", "user_updated", "updated", false)

	notFound := errBody(404, "not_found", "User not found.")
	cases := []struct {
		name, method, path, body string
		as                       *Tenant
		want                     map[string]any
	}{
		{"ErrRefTaken", "POST", "/rest/v2/users", `{"ref":"taken","firstName":"F","lastName":"L","email":"new@example.com"}`, nil,
			errBody(409, "conflict", "A user with this ref already exists.", "ref", "taken")},
		{"ErrEmailTakenOtherCase", "POST", "/rest/v2/users", `{"ref":"new","firstName":"F","lastName":"L","email":"tAKEN@example.COM"}`, nil,
			errBody(409, "conflict", "A user with this email already exists.", "email", "taken")},
		{"ErrUpdateEmailTaken", "PATCH", "/rest/v2/users/ref/other", `{"email":"TAKEN@EXAMPLE.COM"}`, nil,
			errBody(409, "conflict", "A user with this email already exists.", "email", "taken")},
		{"ErrUnknownRef", "GET", "/rest/v1/users/ref/nobody", "", nil, notFound},
		{"ErrUnknownID", "GET", "/rest/v1/user/ffffffffffffffffffffffff", "", nil, notFound},
		{"ErrMalformedID", "GET", "/rest/v1/user/not-an-id", "", nil, notFound},
		{"ErrUnknownRefDelete", "DELETE", "/rest/v2/users/ref/never-was", "", nil, notFound},
		{"ErrOtherTenantsUser", "GET", "/rest/v1/user/" + live, "", &s.B, notFound},
		{"ErrReactivateErased", "POST", "/lethe/v1/users/" + erased + "/reactivate", "", nil,
			errBody(409, "conflict", "The user has been deleted; create a new user instead.")},
		{"ErrLoginSuspended", "POST", "/lethe/v1/users/" + suspended + "/logins", "", nil,
			errBody(409, "conflict", "A suspended user cannot sign in.")},
		{"ErrErasureOfLiveUser", "GET", "/lethe/v1/erasures/" + live, "", nil, errBody(404, "not_found", "Erasure not found.")},
		{"ErrEventIDReused", "POST", "/rest/v1/webhooks", envelope(t, "evt-1", "user_updated", map[string]any{"ref": "other", "jobTitle": "B"}), nil,
			errBody(409, "conflict", "This event id was already used with a different body.", "id", "reused")},
		{"ErrEventUnknownRef", "POST", "/rest/v1/webhooks", envelope(t, "evt-2", "user_suspended", map[string]any{"ref": "nobody"}), nil, notFound},
		{"ErrInvalidEmail", "POST", "/rest/v2/users", `{"ref":"new","firstName":"F","lastName":"L","email":"nope"}`, nil,
			errBody(422, "invalid", "email must be a valid email address", "email", "invalid")},
		{"ErrPerPageZero", "GET", "/rest/v1/users?perPage=0", "", nil,
			errBody(422, "invalid", "perPage must be between 1 and 1000", "perPage", "out_of_range")},
		{"ErrPerPageText", "GET", "/rest/v1/users?perPage=ten", "", nil,
			errBody(400, "bad_request", "perPage must be an integer", "perPage", "type")},
		{"ErrMalformedJSON", "POST", "/rest/v2/users", `{"ref":`, nil, errBody(400, "bad_request", "The request body is not valid JSON.")},
		{"ErrWrongKey", "GET", "/rest/v1/users", "", &Tenant{ID: s.A.ID, Key: "lethe_wrong"},
			errBody(401, "unauthenticated", "Invalid tenant id or API key.")},
		{"ErrUnknownTenant", "GET", "/rest/v1/users", "", &Tenant{ID: "nobody", Key: s.A.Key},
			errBody(401, "unauthenticated", "Invalid tenant id or API key.")},
		// Bytes PostgreSQL cannot hold as text (NUL, invalid UTF-8) get the
		// answer SQLite gives, not a database error.
		{"ErrNULInTenantID", "GET", "/rest/v1/users", "", &Tenant{ID: "a\x00b", Key: s.A.Key},
			errBody(401, "unauthenticated", "Invalid tenant id or API key.")},
		{"ErrBadUTF8InTenantID", "GET", "/rest/v1/users", "", &Tenant{ID: "a\xffb", Key: s.A.Key},
			errBody(401, "unauthenticated", "Invalid tenant id or API key.")},
		{"ErrNULInRef", "GET", "/rest/v1/users/ref/taken%00", "", nil, notFound},
		{"ErrBadUTF8InRef", "GET", "/rest/v1/users/ref/%FF%FE", "", nil, notFound},
		{"ErrNULInRefUpdate", "PATCH", "/rest/v2/users/ref/%00", `{"jobTitle":"x"}`, nil, notFound},
		{"ErrNULInRefDelete", "DELETE", "/rest/v2/users/ref/%00", "", nil, notFound},
		{"ErrNULInEventRef", "POST", "/rest/v1/webhooks", envelope(t, "evt-3", "user_updated", map[string]any{"ref": "taken\x00"}), nil, notFound},
		{"ErrNULInJoinedRef", "POST", "/rest/v1/webhooks", envelope(t, "evt-4", "user_joined", map[string]any{
			"ref": "new\x00", "firstName": "F", "lastName": "L", "email": "new@example.com"}), nil,
			errBody(422, "invalid", "ref must not contain control characters", "ref", "invalid")},
		{"ErrNULInEventID", "POST", "/rest/v1/webhooks", envelope(t, "evt\x005", "user_updated", map[string]any{"ref": "other"}), nil,
			errBody(422, "invalid", "id must not contain control characters", "id", "invalid")},
		{"ErrBadUTF8InAdditionalFields", "POST", "/rest/v2/users",
			"{\"ref\":\"new\",\"firstName\":\"F\",\"lastName\":\"L\",\"email\":\"new@example.com\",\"additionalFields\":{\"k\":\"\xff\"}}", nil,
			errBody(400, "bad_request", "additionalFields must be a JSON object", "additionalFields", "type")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			as := s.A
			if c.as != nil {
				as = *c.as
			}
			res := s.Do(t, as, c.method, c.path, c.body)
			MustStatus(t, res, int(c.want["status"].(float64)))
			MustDiff(t, "error body", c.want, res.Object(t))
		})
	}
}

// TestUsers_SearchOrder checks that listings are ordered by id, which is the
// order of creation, identically on every read and across pages.
func TestUsers_SearchOrder(t *testing.T) {
	s := MustStartServer(t)
	// Refs that sort differently from the creation order in every collation.
	refs := []string{"zeta", "Alpha", "alpha", "ångström", "Zeta", "10", "9", "_x", "beta/1", "beta-1", "BETA",
		"émile", "e", "Ω", "a b", "a", "z", "0", "Ärger", "yak", "Yak", "m@x", "M", "ß", "ss"}
	var created []string
	refOf := map[string]string{}
	for i, ref := range refs {
		s.Clock.Advance(time.Millisecond)
		id := MustID(t, s.MustCreateUser(t, s.A, ref, map[string]any{"email": fmt.Sprintf("u%02d@example.com", i)}))
		created = append(created, id)
		refOf[id] = ref
	}
	// A burst within one later millisecond: ids still sort in one total order.
	s.Clock.Advance(time.Millisecond)
	var burst []string
	for i := range 8 {
		ref := fmt.Sprintf("burst-%d", i)
		id := MustID(t, s.MustCreateUser(t, s.A, ref, nil))
		burst = append(burst, id)
		refOf[id] = ref
	}
	slices.Sort(burst)
	want := append(slices.Clone(created), burst...)
	ids := func(page map[string]any) []string {
		out := []string{}
		for _, r := range page["results"].([]any) {
			out = append(out, r.(map[string]any)["id"].(string))
		}
		return out
	}

	t.Run("OKCreationOrder", func(t *testing.T) {
		first := s.Do(t, s.A, "GET", "/rest/v1/users?perPage=1000", "")
		MustStatus(t, first, http.StatusOK)
		MustDiff(t, "listing", want, ids(first.Object(t)))
		// Every read answers the same bytes.
		for range 3 {
			again := s.Do(t, s.A, "GET", "/rest/v1/users?perPage=1000", "")
			if string(again.Body) != string(first.Body) {
				t.Fatal("two listings of unchanged data differ")
			}
		}
	})
	t.Run("OKPagesConcatenate", func(t *testing.T) {
		var got []string
		for page := 1; ; page++ {
			res := s.MustOK(t, s.A, http.StatusOK, "GET", fmt.Sprintf("/rest/v1/users?perPage=7&page=%d", page), "")
			MustDiff(t, "pagination", map[string]any{
				"totalResults": float64(len(want)), "totalPages": float64((len(want) + 6) / 7), "page": float64(page), "perPage": 7.0,
			}, res["pagination"])
			p := ids(res)
			if len(p) == 0 {
				break
			}
			got = append(got, p...)
		}
		MustDiff(t, "pages", want, got)
	})
	t.Run("OKFilteredKeepsOrder", func(t *testing.T) {
		// Suspend every third user: both filtered listings keep id order.
		var inactive, others []string
		for i, id := range want {
			if i%3 == 0 {
				s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/"+EncodeURIComponent(refOf[id])+"/suspend", `{}`)
				inactive = append(inactive, id)
			} else {
				others = append(others, id)
			}
		}
		got := s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users?status=inactive&perPage=1000", "")
		MustDiff(t, "inactive", inactive, ids(got))
		MustDiff(t, "inactive total", float64(len(inactive)), got["pagination"].(map[string]any)["totalResults"])
		got = s.MustOK(t, s.A, http.StatusOK, "GET", "/rest/v1/users?omitStatuses=inactive&perPage=1000", "")
		MustDiff(t, "others", others, ids(got))
		MustDiff(t, "others total", float64(len(others)), got["pagination"].(map[string]any)["totalResults"])
	})
}

// heapTuples returns the t_data of every tuple, live or dead, that the pages
// of the table rel (schema-qualified) hold, read with pageinspect.
func heapTuples(tb testing.TB, admin *sql.DB, rel string) [][]byte {
	tb.Helper()
	if _, err := admin.Exec("CREATE EXTENSION IF NOT EXISTS pageinspect"); err != nil {
		// Parallel packages may race to create it; it exists either way.
		if _, err := admin.Exec("CREATE EXTENSION IF NOT EXISTS pageinspect"); err != nil {
			tb.Fatalf("pageinspect: %v", err)
		}
	}
	var pages int
	if err := admin.QueryRow(`SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int`, rel).Scan(&pages); err != nil {
		tb.Fatalf("size of %s: %v", rel, err)
	}
	var out [][]byte
	for p := range pages {
		rows, err := admin.Query(`SELECT t_data FROM public.heap_page_items(public.get_raw_page($1, 'main', $2))
			WHERE t_data IS NOT NULL`, rel, p)
		if err != nil {
			tb.Fatalf("page %d of %s: %v", p, rel, err)
		}
		for rows.Next() {
			var data []byte
			if err := rows.Scan(&data); err != nil {
				tb.Fatal(err)
			}
			out = append(out, data)
		}
		if err := rows.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// holding returns the needles that occur in any of blobs.
func holding(blobs [][]byte, needles ...string) []string {
	var found []string
	for _, n := range needles {
		for _, b := range blobs {
			if strings.Contains(string(b), n) {
				found = append(found, n)
				break
			}
		}
	}
	return found
}

// TestUsers_DeleteVacuum documents, on PostgreSQL, what each step after an
// erasure guarantees. DB.Scrub (plain VACUUM, run in the background after
// erasures) leaves no tuple of the people table, live or dead, that holds
// the erased person: their bytes are no longer a row anyone can read, even
// with pageinspect. It does not promise to zero the freed space of the page;
// DB.RewritePersonalData (VACUUM FULL) rewrites the table and its indexes, so
// afterwards no page holds a byte of them at all.
func TestUsers_DeleteVacuum(t *testing.T) {
	if testdb.Kind() != "postgres" {
		t.Skip("PostgreSQL only: SQLite's secure_delete overwrites deleted rows at once")
	}
	s := MustStartServer(t)
	const kept = "kept.person.v4c@example.com"
	canaries := []string{"Gone.Person.V4c@Example.com", "gone.person.v4c@example.com", "Vanishfirst4c", "Vanishlast4c", "Vanish job 4c"}
	s.MustCreateUser(t, s.A, "kept-v4c", map[string]any{"email": kept})
	s.MustCreateUser(t, s.A, "gone-v4c", map[string]any{
		"email": canaries[0], "firstName": canaries[2], "lastName": canaries[3], "jobTitle": canaries[4],
	})
	// Each update leaves the previous version of the row behind as a dead tuple.
	for i := range 3 {
		s.MustOK(t, s.A, http.StatusOK, "PATCH", "/rest/v2/users/ref/gone-v4c", MustJSON(t, map[string]any{"jobTitle": fmt.Sprintf("%s %d", canaries[4], i)}))
	}
	rel := testdb.Schema(t, s.DSN) + ".people"
	admin := testdb.Admin(t)
	if found := holding(heapTuples(t, admin, rel), canaries...); len(found) == 0 {
		t.Fatal("the person is in no tuple before the erasure: the check cannot see tuples")
	}
	s.MustOK(t, s.A, http.StatusOK, "DELETE", "/rest/v2/users/ref/gone-v4c", "")

	t.Run("OKNoTupleAfterVacuum", func(t *testing.T) {
		ctx := context.Background()
		// VACUUM removes only tuples no open snapshot can see; a transaction
		// of another test package on the same server may hold one briefly,
		// so scrub again until the deadline.
		deadline := time.Now().Add(10 * time.Second)
		for {
			if err := s.db.Scrub(ctx); err != nil {
				t.Fatalf("scrub: %v", err)
			}
			tuples := heapTuples(t, admin, rel)
			if len(holding(tuples, kept)) == 0 {
				t.Fatalf("the kept user's email is in none of %d tuples: the check cannot see tuples", len(tuples))
			}
			found := holding(tuples, canaries...)
			if len(found) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after VACUUM, tuples of %s still hold %q", rel, found)
			}
			time.Sleep(100 * time.Millisecond) // poll interval
		}
		// Freed space is not zeroed by a plain VACUUM: what is left there is
		// only logged, for the record.
		if found := testdb.Residue(t, s.DSN, canaries...); len(found) > 0 {
			t.Logf("after plain VACUUM, raw pages (free space or index pages) still hold %q", found)
		}
	})
	t.Run("OKNoByteAfterRewrite", func(t *testing.T) {
		found := MustResidue(t, s, append([]string{kept}, canaries...)...)
		if !slices.Contains(found, kept) {
			t.Fatalf("the kept user's email was not found: the search cannot see stored bytes")
		}
		for _, c := range canaries {
			if slices.Contains(found, c) {
				t.Errorf("after RewritePersonalData, a page still holds %q", c)
			}
		}
	})
}

// withParam returns dsn with one more query parameter.
func withParam(tb testing.TB, dsn, key, value string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestServer_DatabaseLost terminates the server's PostgreSQL connections
// while requests run. Each request succeeds (the pool reconnects) or gets a
// 503 with Retry-After, never a 500 or a hang, and the server recovers by
// itself.
func TestServer_DatabaseLost(t *testing.T) {
	if testdb.Kind() != "postgres" {
		t.Skip("PostgreSQL only: it terminates the server's backends")
	}
	b := make([]byte, 6)
	rand.Read(b)
	app := "lethe_test_" + hex.EncodeToString(b) // names this test's connections only
	s := MustStartServerDSN(t, withParam(t, testdb.DSN(t), "application_name", app))
	id := MustID(t, s.MustCreateUser(t, s.A, "steady", nil))
	admin := testdb.Admin(t)
	terminate := func(t *testing.T) int {
		t.Helper()
		var n int
		err := admin.QueryRow(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&n)
		if err != nil {
			t.Fatalf("terminate backends: %v", err)
		}
		return n
	}
	client := &http.Client{Timeout: 5 * time.Second} // a hang fails the request
	send := func(method, path, body string) (*response, error) {
		req := s.NewRequest(t, s.A, method, path, body)
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var buf strings.Builder
		if _, err := io.Copy(&buf, res.Body); err != nil {
			return nil, err
		}
		return &response{Status: res.StatusCode, Header: res.Header, Body: []byte(buf.String())}, nil
	}
	type call struct {
		method, path, body string
		ok                 int
	}
	calls := func(worker, i int) []call {
		return []call{
			{"GET", "/rest/v1/users?perPage=5", "", http.StatusOK},
			{"GET", "/rest/v1/user/" + id, "", http.StatusOK},
			{"PATCH", "/rest/v2/users/ref/steady", fmt.Sprintf(`{"jobTitle":"Job %d-%d"}`, worker, i), http.StatusOK},
			{"POST", "/rest/v2/users", fmt.Sprintf(`{"ref":"w%d-%d","firstName":"F","lastName":"L","loginMethod":"ref"}`, worker, i), http.StatusCreated},
		}
	}

	const workers = 4
	t.Run("OKOrUnavailable", func(t *testing.T) {
		const rounds = 25
		stop := make(chan struct{})
		answered := make(chan struct{}, 1)
		var mu sync.Mutex
		var results []string // "" for a success, "503", or what went wrong
		record := func(r string) {
			mu.Lock()
			defer mu.Unlock()
			results = append(results, r)
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					for _, c := range calls(w, i) {
						res, err := send(c.method, c.path, c.body)
						if err != nil {
							record(fmt.Sprintf("%s %s: no answer: %v", c.method, c.path, err))
							continue
						}
						if res.Status == c.ok {
							record("")
						} else {
							record(checkUnavailable(res, c.method+" "+c.path))
						}
						select {
						case answered <- struct{}{}:
						default:
						}
					}
				}
			}()
		}
		killed := 0
		for range rounds {
			select {
			case <-answered: // at least one answer since the last termination
			case <-time.After(10 * time.Second):
				t.Fatal("no request was answered for 10 s: the server hangs")
			}
			killed += terminate(t)
		}
		close(stop)
		wg.Wait()
		n, unavailable := len(results), 0
		for _, r := range results {
			switch {
			case r == "":
			case r == "503":
				unavailable++
			default:
				t.Error(r)
			}
		}
		if killed == 0 {
			t.Fatal("no backend was terminated: the test did not exercise a lost connection")
		}
		t.Logf("%d backends terminated; %d answers, %d of them 503", killed, n, unavailable)
	})
	t.Run("OKRecovers", func(t *testing.T) {
		terminate(t)
		deadline := time.Now().Add(5 * time.Second)
		for i, streak := 0, 0; streak < 10; i++ {
			if time.Now().After(deadline) {
				t.Fatal("requests did not succeed again within 5 s")
			}
			for _, c := range calls(workers, i) {
				res, err := send(c.method, c.path, c.body)
				if err != nil {
					t.Fatalf("%s %s: %v", c.method, c.path, err)
				}
				if res.Status == c.ok {
					streak++
					continue
				}
				if msg := checkUnavailable(res, c.method+" "+c.path); msg != "503" {
					t.Fatal(msg)
				}
				streak = 0
			}
		}
	})
	t.Run("OKReadyRecovers", func(t *testing.T) {
		terminate(t)
		deadline := time.Now().Add(5 * time.Second)
		for {
			res, err := send("GET", "/readyz", "")
			if err != nil {
				t.Fatalf("readyz: %v", err)
			}
			if res.Status == http.StatusOK {
				MustDiff(t, "readyz", map[string]any{"status": "ok"}, res.Object(t))
				break
			}
			if res.Status != http.StatusServiceUnavailable || string(res.Body) != `{"status":"unavailable"}`+"\n" {
				t.Fatalf("readyz: %s, want 200 or 503 unavailable", res)
			}
			if time.Now().After(deadline) {
				t.Fatal("readyz did not recover within 5 s")
			}
		}
	})
}

// checkUnavailable returns "503" when res is the vendor's 503 with a retry
// hint, else a description of what is wrong with it.
func checkUnavailable(res *response, what string) string {
	want := `{"status":503,"error":"Service Unavailable","message":"The database is unavailable; retry shortly.","code":"unavailable","details":[]}` + "\n"
	switch {
	case res.Status != http.StatusServiceUnavailable:
		return fmt.Sprintf("%s: %s, want success or 503", what, res)
	case res.Header.Get("Retry-After") == "":
		return what + ": 503 without Retry-After"
	case string(res.Body) != want:
		return fmt.Sprintf("%s: 503 body %s, want %s", what, res.Body, want)
	}
	return "503"
}

// TestServer_OpenUnreachable checks that a server pointed at a PostgreSQL
// that does not answer fails to start at once, with an error that names no
// secret, instead of hanging.
func TestServer_OpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	db, err := sqldb.Open(ctx, "postgres://lethe:s3cret-pw@127.0.0.1:1/lethe?sslmode=disable")
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded on a closed port")
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("Open took %v to fail, want at most 6 s", took)
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("the error reveals the password: %v", err)
	}
}
