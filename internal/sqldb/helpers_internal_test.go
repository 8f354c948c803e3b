package sqldb

import (
	"context"
	"testing"
)

// column reads the one column of every row q answers, through queryAll.
func column[T any](t testing.TB, db querier, q string, args ...any) []T {
	t.Helper()
	out, err := queryAll(context.Background(), db, func(r rowScanner) (v T, err error) { return v, r.Scan(&v) }, q, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
