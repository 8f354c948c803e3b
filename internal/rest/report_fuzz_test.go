package rest

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzParseReports covers the report queries and the choice of format: a
// client error names its field, a period never ends before it starts, and
// the format is json or csv.
func FuzzParseReports(f *testing.F) {
	for _, s := range []struct{ query, accept string }{
		{"", ""}, {"asOf=2025-03-01", "text/csv"}, {"asOf=2025-03-01T10:00:00%2B01:00&audienceId=TEAM", "application/json"},
		{"asOf=2025-02-30", ""}, {"asOf=9999-12-31", ""}, {"asOf=0001-01-01", ""}, {"format=csv", "*/*"}, {"format=xml", ""},
		{"format=%20CSV%20", ""}, {"from=2025-01-01&to=2025-03-31", "text/csv;q=0.5, application/json;q=0.6"},
		{"from=2025-03-31&to=2025-01-01", ""}, {"from=2025-01-01", ""}, {"to=2025-01-01", ""}, {"from=x&to=y", ""},
		{"from=2025-01-01T23:59:59.9999999Z&to=2025-01-01", "text/csv;q=x"}, {"%zz", ""}, {"asOf=%00", "text/csv;;"},
	} {
		f.Add(s.query, s.accept)
	}
	now := time.Date(2026, 12, 1, 8, 0, 0, 123456789, time.UTC)
	f.Fuzz(func(t *testing.T, raw, accept string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if hf, err := parseHeadcountReport(q, now); err != nil {
			mustClientError(t, err)
		} else if hf.AsOf.IsZero() || hf.AsOf.Location() != time.UTC {
			t.Fatalf("asOf %v", hf.AsOf)
		}
		if cf, err := parseComplianceReport(q); err != nil {
			mustClientError(t, err)
		} else if cf.To.Before(cf.From) || cf.From.IsZero() {
			t.Fatalf("period %v to %v", cf.From, cf.To)
		}
		r := &http.Request{URL: &url.URL{RawQuery: raw}, Header: http.Header{"Accept": {accept}}}
		if format, err := reportFormat(r); err != nil {
			mustClientError(t, err)
		} else if format != "json" && format != "csv" {
			t.Fatalf("format %q", format)
		}
	})
}
