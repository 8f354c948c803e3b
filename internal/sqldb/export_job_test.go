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

// SetAfterChunk makes s tell f of each committed transaction of a job's
// creation and how many items it wrote.
func (s *JobService) SetAfterChunk(f func(job string, items int)) { s.afterChunk = f }

// JobRows counts the rows of jobs (any state, preparing ones too) and of
// job_items of tenant.
func (db *DB) JobRows(t testing.TB, tenant lethe.TenantID) (jobs, items int) {
	t.Helper()
	if err := db.read.QueryRow(`SELECT (SELECT COUNT(*) FROM jobs WHERE tenant_id = $1), (SELECT COUNT(*) FROM job_items WHERE tenant_id = $1)`,
		string(tenant)).Scan(&jobs, &items); err != nil {
		t.Fatal(err)
	}
	return jobs, items
}

// PrepareItems is how many items a transaction of a job's creation writes.
const PrepareItems = prepareItems
