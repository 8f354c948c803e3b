package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/lethehq/lethe/client"
)

// TestClient_AllActivitiesClampedPerPage: a server reads a perPage above
// its maximum as the maximum and says so in the page's pagination
// (ADR 0025); the walk then goes on to the end, not stopping after the
// first page because it is shorter than the perPage asked for.
func TestClient_AllActivitiesClampedPerPage(t *testing.T) {
	const total, max = 5, 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("perPage"))
		per = min(per, max)
		var results []map[string]any
		for i := (page - 1) * per; i < min(page*per, total); i++ {
			results = append(results, map[string]any{"id": fmt.Sprint(i)})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"results": results, "pagination": map[string]any{
			"totalResults": total, "totalPages": (total + per - 1) / per, "page": page, "perPage": per}})
	}))
	defer srv.Close()
	n := 0
	for _, err := range client.New(srv.URL, "t", "k").AllActivities(context.Background(), client.ActivityParams{PerPage: 1000}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != total {
		t.Errorf("walked %d activities, want %d", n, total)
	}
}
