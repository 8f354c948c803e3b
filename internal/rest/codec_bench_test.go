package rest

// Micro-benchmarks of the request decoding and response encoding on the hot
// paths (docs/PERFORMANCE.md): go test -bench . -benchmem ./internal/rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
)

const createUserBody = `{"ref":"EMP-004211","firstName":"Ada","lastName":"Lovelace","email":"ada.lovelace@example.com",
	"jobTitle":"Analyst","managerRef":"EMP-000042","startDate":"2024-01-15","timeZone":"Europe/London",
	"languageCode":"en-gb","additionalFields":{"department":"Sales","costCentre":"CC-12"}}`

// BenchmarkDecodeCreateUser measures the body of POST /rest/v2/users.
func BenchmarkDecodeCreateUser(b *testing.B) {
	body := []byte(createUserBody)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ref, f, err := decodeCreateUser(body)
		if err != nil || ref != "EMP-004211" || f.Email == nil {
			b.Fatalf("decode = %q %+v %v", ref, f, err)
		}
	}
}

// BenchmarkDuplicateKey measures the duplicate-member check every body
// passes (readBodyLimit), on the bodies of the two decode benchmarks.
func BenchmarkDuplicateKey(b *testing.B) {
	for name, body := range map[string][]byte{"CreateUser": []byte(createUserBody), "Activities": activitiesBody()} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if path, dup := duplicateKey(body); dup {
					b.Fatalf("duplicate %s", path)
				}
			}
		})
	}
}

// BenchmarkDecodeActivities measures a batch of 1,000 activities (POST
// /lethe/v1/activities).
func BenchmarkDecodeActivities(b *testing.B) {
	body := activitiesBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		batch, err := decodeActivities(body)
		if err != nil || len(batch) != lethe.MaxActivityBatch {
			b.Fatalf("decode = %d activities, %v", len(batch), err)
		}
	}
}

// activitiesBody is a batch of 1,000 activities.
func activitiesBody() []byte {
	var s strings.Builder
	s.WriteString(`{"activities":[`)
	for i := range lethe.MaxActivityBatch {
		if i > 0 {
			s.WriteByte(',')
		}
		fmt.Fprintf(&s, `{"id":"client-%d","type":"viewed","userId":"6500000000000000000%05x","date":"2026-11-30T08:%02d:%02d.123Z",`+
			`"contextType":"content","contextId":"650000000000000000000c%02x","name":"Fire safety","data":{"source":{"source":"feed"}}}`,
			i, i%500, (i/60)%60, i%60, i%40)
	}
	s.WriteString(`]}`)
	return []byte(s.String())
}

// BenchmarkParseUserSearch measures the query of GET /rest/v1/users with a
// status filter.
func BenchmarkParseUserSearch(b *testing.B) {
	q, err := url.ParseQuery("page=3&perPage=100&statuses=active,new&omitStatuses=expired&updatedSince=2026-01-01")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := parseUserSearch(q)
		if err != nil || s.filter.Limit != 100 || len(s.filter.Statuses) == 0 {
			b.Fatalf("parse = %+v, %v", s, err)
		}
	}
}

func benchUsers(n int) []*lethe.User {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	out := make([]*lethe.User, n)
	for i := range out {
		login, start := now.Add(-time.Duration(i)*time.Hour), now.AddDate(-2, 0, 0)
		out[i] = &lethe.User{
			Learner: lethe.Learner{ID: lethe.LearnerID(fmt.Sprintf("650000000000000000%06x", i)), State: lethe.StateActive,
				Role: "learner", LoginMethod: "email", FirstLoginAt: &start, LastLoginAt: &login,
				CreatedAt: start, UpdatedAt: login},
			Person: &lethe.Person{Ref: fmt.Sprintf("EMP-%06d", i), Email: fmt.Sprintf("person%d@example.com", i),
				FirstName: "Ada", LastName: "Lovelace", JobTitle: "Analyst", ManagerRef: "EMP-000042",
				TimeZone: "Europe/London", LanguageCode: "en-gb", StartDate: &start,
				AdditionalFields: json.RawMessage(`{"department":"Sales"}`)},
		}
	}
	return out
}

// discard is a ResponseWriter that keeps only the size of the body.
type discard struct {
	h http.Header
	n int
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(int)     {}
func (d *discard) Write(p []byte) (int, error) {
	d.n += len(p)
	return len(p), nil
}

// BenchmarkEncodeUserPage measures a page of 100 users of GET
// /rest/v1/users: the wire form of each user and the envelope as JSON.
func BenchmarkEncodeUserPage(b *testing.B) {
	users, now := benchUsers(100), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	encode := func(w http.ResponseWriter) {
		out := make([]userJSON, len(users))
		for i, u := range users {
			out[i] = toUserJSON(u, nil, now)
		}
		writeJSON(w, http.StatusOK, newPage(out, 1_000_000, paging{page: 1, perPage: 100}))
	}
	rec := httptest.NewRecorder()
	encode(rec)
	var page struct {
		Results    []map[string]any
		Pagination struct{ TotalResults int }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Results) != 100 ||
		page.Results[0]["email"] != "person0@example.com" || page.Pagination.TotalResults != 1_000_000 {
		b.Fatalf("page = %.300s (%v)", rec.Body.String(), err)
	}
	b.SetBytes(int64(rec.Body.Len()))
	b.ReportAllocs()
	w := &discard{h: http.Header{}}
	for b.Loop() {
		encode(w)
	}
}

// BenchmarkEncodeActivityPage measures a page of 200 activities of GET
// /rest/v1/activities (the data connector's window query).
func BenchmarkEncodeActivityPage(b *testing.B) {
	at := time.Date(2026, 11, 30, 8, 0, 0, 123e6, time.UTC)
	acts := make([]*lethe.Activity, 200)
	for i := range acts {
		acts[i] = &lethe.Activity{ID: fmt.Sprintf("65000000000000000a%06x", i), LearnerID: "650000000000000000000001",
			Type: "viewed", Name: "Fire safety", Date: at.Add(time.Duration(i) * time.Second), ContextType: "content",
			ContextID: "650000000000000000000c01", Data: json.RawMessage(`{"source":{"source":"feed"}}`), CreatedAt: at}
	}
	encode := func(w http.ResponseWriter) {
		out := make([]activityJSON, len(acts))
		for i, a := range acts {
			out[i] = toActivityJSON(a)
		}
		writeJSON(w, http.StatusOK, newPage(out, 20_000, paging{page: 1, perPage: 200}))
	}
	rec := httptest.NewRecorder()
	encode(rec)
	var page struct{ Results []map[string]any }
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Results) != 200 ||
		page.Results[0]["date"] != "2026-11-30T08:00:00.123Z" {
		b.Fatalf("page = %.300s (%v)", rec.Body.String(), err)
	}
	b.SetBytes(int64(rec.Body.Len()))
	b.ReportAllocs()
	w := &discard{h: http.Header{}}
	for b.Loop() {
		encode(w)
	}
}
