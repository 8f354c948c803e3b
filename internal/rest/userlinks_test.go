package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lethehq/lethe"
)

// linkUsers is a lethe.UserService that answers pages of made-up users and
// counts the link look-ups.
type linkUsers struct {
	lethe.UserService
	users       []*lethe.User
	linkCalls   int
	linkedUsers int
}

func (s *linkUsers) FindUsers(_ context.Context, f lethe.UserFilter) ([]*lethe.User, int, error) {
	end := min(f.Offset+f.Limit, len(s.users))
	return s.users[min(f.Offset, end):end], len(s.users), nil
}

func (s *linkUsers) FindUserLinks(_ context.Context, ids []lethe.LearnerID) (map[lethe.LearnerID]*lethe.UserLinks, error) {
	s.linkCalls++
	s.linkedUsers += len(ids)
	out := map[lethe.LearnerID]*lethe.UserLinks{}
	for _, id := range ids {
		out[id] = &lethe.UserLinks{Audiences: []string{"aud-" + string(id)}, Interests: []string{"Go"},
			Skills: []lethe.UserSkill{{TagName: "Go", Level: new(int)}}}
	}
	return out, nil
}

// TestSearchUsers_LinksOnePerPage: a page of 1000 users looks its links up
// once, for the users not erased, and shows each user its own (ADR 0025).
func TestSearchUsers_LinksOnePerPage(t *testing.T) {
	svc := &linkUsers{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1500 {
		u := &lethe.User{Learner: lethe.Learner{ID: lethe.LearnerID(fmt.Sprintf("%024d", i)), State: lethe.StateActive,
			CreatedAt: now, UpdatedAt: now}, Person: &lethe.Person{Ref: fmt.Sprint("r", i)}}
		if i%100 == 7 {
			u.State, u.Person = lethe.StateDeleted, nil
		}
		svc.users = append(svc.users, u)
	}
	h := &Handler{Users: svc, Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		mux.HandleFunc(r.Method+" "+r.Pattern, r.Handler)
	}
	for _, c := range []struct {
		query        string
		users, calls int
	}{{"perPage=1000", 990, 1}, {"perPage=1000&page=2", 495, 1}, {"perPage=5000", 990, 1}} {
		svc.linkCalls, svc.linkedUsers = 0, 0
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/rest/v1/users?"+c.query, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", c.query, rec.Code, rec.Body)
		}
		if svc.linkCalls != c.calls || svc.linkedUsers != c.users {
			t.Errorf("%s: %d look-ups for %d users, want %d for %d", c.query, svc.linkCalls, svc.linkedUsers, c.calls, c.users)
		}
		var page struct {
			Results []struct {
				ID        string   `json:"id"`
				Deleted   bool     `json:"deleted"`
				Audiences []string `json:"audiences"`
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Results {
			want := []string{"aud-" + u.ID}
			if u.Deleted {
				want = []string{}
			}
			if fmt.Sprint(u.Audiences) != fmt.Sprint(want) || (u.Deleted && u.Audiences == nil) {
				t.Fatalf("%s: user %s audiences %v, want %v", c.query, u.ID, u.Audiences, want)
			}
		}
	}
}
