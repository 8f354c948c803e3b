package sqldb

import (
	"testing"

	"github.com/lethehq/lethe"
)

// JobTrail counts the trail entries of tenant with action whose detail
// names job.
func (db *DB) JobTrail(t testing.TB, tenant lethe.TenantID, action, job string) int {
	t.Helper()
	var n int
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM audit_trail WHERE tenant_id = $1 AND action = $2 AND detail LIKE $3`,
		string(tenant), action, `%"job":"`+job+`"%`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
