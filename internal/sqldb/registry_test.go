package sqldb_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/testdb"
)

// schemaColumns returns table -> columns of the database at dsn, read from
// its catalogue.
func schemaColumns(tb testing.TB, raw *sql.DB) map[string][]string {
	tb.Helper()
	q := `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	if testdb.Kind() == "postgres" {
		q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`
	}
	rows, err := raw.Query(q)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			tb.Fatal(err)
		}
		out[table] = append(out[table], column)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// registryProblems compares a schema with the registry: every column must
// be declared, every declaration must exist, and the declarations must be
// usable by erasure.
func registryProblems(schema map[string][]string) []string {
	var problems []string
	declared := map[string]*sqldb.Table{}
	for i := range sqldb.Registry {
		t := &sqldb.Registry[i]
		if declared[t.Name] != nil {
			problems = append(problems, "table "+t.Name+" is declared twice")
		}
		declared[t.Name] = t
	}
	for table, columns := range schema {
		t := declared[table]
		if t == nil {
			problems = append(problems, fmt.Sprintf("table %s (columns %v) is not declared in the personal-data registry", table, columns))
			continue
		}
		for _, c := range columns {
			if !slices.ContainsFunc(t.Columns, func(d sqldb.Column) bool { return d.Name == c }) {
				problems = append(problems, "column "+table+"."+c+" is not declared in the personal-data registry")
			}
		}
	}
	sealedKeyErased := declared["learner_keys"] != nil && declared["learner_keys"].Rows == sqldb.DeleteRows
	for _, t := range sqldb.Registry {
		columns, ok := schema[t.Name]
		if !ok {
			problems = append(problems, "declared table "+t.Name+" is not in the schema")
			continue
		}
		seen := map[string]bool{}
		hasErase := false
		for _, c := range t.Columns {
			switch {
			case seen[c.Name]:
				problems = append(problems, "column "+t.Name+"."+c.Name+" is declared twice")
			case !slices.Contains(columns, c.Name):
				problems = append(problems, "declared column "+t.Name+"."+c.Name+" is not in the schema")
			}
			seen[c.Name] = true
			switch c.Policy {
			case sqldb.Erase:
				hasErase = true
			case sqldb.Sealed:
				hasErase = true
				if !sealedKeyErased {
					problems = append(problems, "column "+t.Name+"."+c.Name+" is sealed, but no table of data keys is erased")
				}
			case sqldb.Staff:
				if t.Learner != "" {
					problems = append(problems, "column "+t.Name+"."+c.Name+" is staff data in a table of learner rows")
				}
			case sqldb.Pseudonymize, sqldb.Keep, sqldb.NotPersonal:
			default:
				problems = append(problems, fmt.Sprintf("column %s.%s has no policy (%q)", t.Name, c.Name, c.Policy))
			}
		}
		switch {
		case t.Learner == "" && (hasErase || t.Rows != ""):
			problems = append(problems, "table "+t.Name+" has personal data or a row policy but names no learner column")
		case t.Learner == "":
		case !slices.Contains(columns, "tenant_id"):
			problems = append(problems, "table "+t.Name+" of learner rows has no tenant_id")
		case t.Rows != sqldb.DeleteRows && t.Rows != sqldb.KeepRows:
			problems = append(problems, "table "+t.Name+" names a learner but no row policy")
		case t.Rows == sqldb.DeleteRows && t.Erased == "":
			problems = append(problems, "table "+t.Name+" deletes rows but names no erased category")
		case t.Rows == sqldb.KeepRows && hasErase && t.Erased == "":
			problems = append(problems, "table "+t.Name+" clears columns but names no erased category")
		}
		if t.Learner != "" && !slices.ContainsFunc(t.Columns, func(c sqldb.Column) bool {
			return c.Name == t.Learner && c.Policy == sqldb.Pseudonymize
		}) {
			problems = append(problems, "learner column "+t.Name+"."+t.Learner+" must be declared pseudonymize")
		}
	}
	sort.Strings(problems)
	return problems
}

// TestRegistry walks the schema of the database (SQLite, then PostgreSQL)
// and fails on any column the personal-data registry does not declare.
func TestRegistry(t *testing.T) {
	dsn := testdb.DSN(t)
	MustOpenDSN(t, dsn)
	raw := rawDB(t, dsn)
	t.Run("OK", func(t *testing.T) {
		if problems := registryProblems(schemaColumns(t, raw)); len(problems) > 0 {
			t.Errorf("the schema and the registry disagree:\n%s", strings.Join(problems, "\n"))
		}
	})
	t.Run("ErrUndeclared", func(t *testing.T) {
		// A migration that adds a column, or a table, not declared fails.
		for _, q := range []string{`ALTER TABLE activities ADD COLUMN comment_text TEXT`,
			`CREATE TABLE notes (tenant_id TEXT, learner_id TEXT, body TEXT)`} {
			if _, err := raw.ExecContext(context.Background(), q); err != nil {
				t.Fatal(err)
			}
		}
		got := strings.Join(registryProblems(schemaColumns(t, raw)), "\n")
		for _, want := range []string{"column activities.comment_text is not declared", "table notes"} {
			if !strings.Contains(got, want) {
				t.Errorf("problems do not mention %q:\n%s", want, got)
			}
		}
	})
}

// TestPersonalTables: the tables vacuumed and rewritten after erasures are
// exactly those the registry says hold personal data.
func TestPersonalTables(t *testing.T) {
	got := sqldb.PersonalTables(false)
	for _, want := range []string{"people", "learners", "provisioning_events", "activities", "cpd_entries"} {
		if !slices.Contains(got, want) {
			t.Errorf("PersonalTables() = %v, missing %s", got, want)
		}
	}
	for _, notPersonal := range []string{"tenants", "contents", "audience_members", "completions"} {
		if slices.Contains(got, notPersonal) {
			t.Errorf("PersonalTables() = %v holds %s, which has no personal data", got, notPersonal)
		}
	}
	rewrite := sqldb.PersonalTables(true)
	for _, want := range []string{"people", "provisioning_events", "cpd_entries"} {
		if !slices.Contains(rewrite, want) {
			t.Errorf("PersonalTables(true) = %v, missing %s", rewrite, want)
		}
	}
	if slices.Contains(rewrite, "activities") {
		t.Errorf("PersonalTables(true) = %v: activities is too large to rewrite", rewrite)
	}
}
