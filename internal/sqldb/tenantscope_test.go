package sqldb_test

// A lint, run as a test: every query on a tenant table names its tenant, and
// tenant_id leads every key of a tenant table (issue 3, item 7). Tenant
// tables are derived from the migrations: every table with a tenant_id
// column. tenants, server_secrets and schema_migrations have none and are
// out of the rule.

import (
	"fmt"
	"github.com/lethehq/lethe/internal/testdb"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestQueries_TenantFilter reads the Go source of this package and checks
// every SQL statement in it: a SELECT, UPDATE or DELETE binds tenant_id of
// every tenant table it reads or writes to a parameter in its WHERE or ON
// (directly, or through an equality with a table that is bound), and an
// INSERT into a tenant table lists tenant_id among its columns.
//
// A statement is a string literal, or a concatenation of literals, constants
// and local string variables (their definition and the += before the use);
// any other operand (a function call such as statusClause, a field) counts
// as unknown text, so a tenant filter must be written out in a literal.
func TestQueries_TenantFilter(t *testing.T) {
	if testdb.Kind() == "postgres" {
		t.Skip("a lint of the source, not of a database: it ran on the SQLite pass")
	}
	tables := tenantTables(t)
	t.Run("OK", func(t *testing.T) {
		touched := map[string]int{}
		for _, s := range sqlStatements(t, ".") {
			for _, p := range tenantScopeProblems(s.text, tables, touched) {
				t.Errorf("%s: %s\n\t%s", s.pos, p, oneLine(s.text))
			}
		}
		// The lint must have something to check, or it proves nothing.
		for _, want := range []string{"learners", "people", "status_history", "erasures", "provisioning_events"} {
			if touched[want] == 0 {
				t.Errorf("no statement on tenant table %s was found in the source: is the extraction broken?", want)
			}
		}
		if t.Failed() {
			t.Logf("tenant tables: %v; statements on them by table: %v", tables, touched)
		}
	})
	t.Run("ErrFilterRemoved", func(t *testing.T) {
		// Remove each tenant filter of the source in turn, in a copy: the
		// lint must then fail. This proves it sees every query, also those
		// put together from constants and variables.
		ms := tenantFilterMutants(t, ".")
		if len(ms) < 20 {
			t.Fatalf("found %d tenant filters to remove, want the source's many: is the search broken?", len(ms))
		}
		// The package is parsed once; each mutant replaces one file's
		// syntax tree, and mutants are checked two at a time.
		pkg := parsePackage(t, ".")
		var wg sync.WaitGroup
		var mu sync.Mutex
		next := 0
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= len(ms) {
						return
					}
					m := ms[i]
					mutated, file := pkg.with(t, m.file, m.src)
					var problems []string
					// The mutated file's own statements show most removals;
					// a filter in a package-level constant may show only in
					// another file's statements.
					for _, s := range mutated.statements(file) {
						problems = append(problems, tenantScopeProblems(s.text, tables, nil)...)
					}
					if len(problems) == 0 {
						for _, s := range mutated.statements(-1) {
							problems = append(problems, tenantScopeProblems(s.text, tables, nil)...)
						}
					}
					if len(problems) == 0 {
						t.Errorf("%s: the lint does not notice when %q is removed", m.pos, m.removed)
					}
				}
			}()
		}
		wg.Wait()
	})
}

type mutant struct {
	file, pos, removed string
	src                []byte
}

// tenantFilters are the ways the source binds a tenant: a comparison with a
// parameter, an equality between two tables' tenant_id (in a join), and
// tenant_id in the column list of an INSERT (group 1 is what is removed).
var tenantFilters = []*regexp.Regexp{
	regexp.MustCompile(`(\b(?:\w+\.)?tenant_id\s*=\s*\$\d+)`),
	regexp.MustCompile(`(\b\w+\.tenant_id\s*=\s*\w+\.tenant_id)`),
	regexp.MustCompile(`(?is)\bINSERT\s+INTO\s+\w+\s*\(\s*(tenant_id\s*,)`),
}

// tenantFilterMutants returns a copy of a source file of dir for each tenant
// filter written in a string literal, with that filter removed ("1 = 1" in
// place of a comparison).
func tenantFilterMutants(tb testing.TB, dir string) []mutant {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []mutant
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			tb.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			start := fset.Position(lit.Pos()).Offset
			for _, re := range tenantFilters {
				for _, m := range re.FindAllStringSubmatchIndex(lit.Value, -1) {
					from, to := start+m[2], start+m[3]
					replacement := "1 = 1"
					if strings.HasSuffix(strings.TrimSpace(string(src[from:to])), ",") {
						replacement = ""
					}
					mutated := slices.Concat(src[:from], []byte(replacement), src[to:])
					out = append(out, mutant{file: filepath.Base(p), pos: fset.Position(lit.Pos()).String(),
						removed: string(src[from:to]), src: mutated})
				}
			}
			return true
		})
	}
	return out
}

// TestMigrations_TenantKeys checks both dialects' migrations: the same
// tenant tables, each with a primary key, and tenant_id the first column of
// every primary key, unique constraint and index of a tenant table, so the
// schema can be distributed by tenant.
func TestMigrations_TenantKeys(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var sets [][]string
		for _, dialect := range []string{"sqlite", "postgres"} {
			s := parseMigrations(t, dialect)
			for _, p := range tenantKeyProblems(s) {
				t.Errorf("%s: %s", dialect, p)
			}
			names := s.tenantTables()
			for _, out := range []string{"tenants", "server_secrets", "schema_migrations"} {
				if slices.Contains(names, out) {
					t.Errorf("%s: %s is a tenant table, want it out of the rule", dialect, out)
				}
			}
			if !slices.Contains(names, "learners") || !slices.Contains(names, "people") {
				t.Fatalf("%s: tenant tables %v lack learners or people: is the parser broken?", dialect, names)
			}
			sets = append(sets, names)
		}
		if !slices.Equal(sets[0], sets[1]) {
			t.Errorf("tenant tables differ: sqlite %v, postgres %v", sets[0], sets[1])
		}
	})
	t.Run("ErrNotLedByTenant", func(t *testing.T) {
		table := "CREATE TABLE t (tenant_id TEXT NOT NULL, id TEXT NOT NULL, ref TEXT, PRIMARY KEY (tenant_id, id));\n"
		for _, sql := range []string{
			"CREATE TABLE t (tenant_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (id, tenant_id))",
			"CREATE TABLE t (tenant_id TEXT NOT NULL, id TEXT PRIMARY KEY)",
			"CREATE TABLE t (tenant_id TEXT NOT NULL, id TEXT NOT NULL)",
			"CREATE TABLE t (tenant_id TEXT NOT NULL, id TEXT NOT NULL, ref TEXT UNIQUE, PRIMARY KEY (tenant_id, id))",
			"CREATE TABLE t (tenant_id TEXT NOT NULL, id TEXT NOT NULL, ref TEXT, PRIMARY KEY (tenant_id, id), CONSTRAINT t_ref UNIQUE (ref, tenant_id))",
			table + "CREATE INDEX t_ref ON t (ref)",
			table + "CREATE UNIQUE INDEX IF NOT EXISTS t_ref ON t (ref, tenant_id)",
			table + "CREATE INDEX t_ref ON t USING btree (lower(ref), tenant_id)",
			table + "ALTER TABLE t ADD CONSTRAINT t_ref UNIQUE (ref)",
		} {
			s := migSchema{tables: map[string]*migTable{}}
			s.apply(sql)
			if !slices.Contains(s.tenantTables(), "t") {
				t.Errorf("t is not seen as a tenant table in:\n\t%s", sql)
			}
			if len(tenantKeyProblems(s)) == 0 {
				t.Errorf("key not led by tenant_id accepted:\n\t%s", sql)
			}
		}
		for sql, want := range map[string]bool{
			"CREATE UNIQUE INDEX s ON scim_tokens (secret_hash)": true,
			"CREATE INDEX s ON scim_tokens (secret_hash)":        false,
			"CREATE UNIQUE INDEX s ON scim_tokens (name)":        false,
		} {
			s := migSchema{tables: map[string]*migTable{}}
			s.apply("CREATE TABLE scim_tokens (tenant_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT, secret_hash BLOB, PRIMARY KEY (tenant_id, id));\n" + sql)
			if got := len(tenantKeyProblems(s)) == 0; got != want {
				t.Errorf("tenant finder key accepted %v, want %v:\n\t%s", got, want, sql)
			}
		}
		s := migSchema{tables: map[string]*migTable{}}
		s.apply(table + "CREATE INDEX t_ref ON t (tenant_id, ref); CREATE TABLE u (id TEXT PRIMARY KEY)")
		if p := tenantKeyProblems(s); len(p) != 0 || slices.Contains(s.tenantTables(), "u") {
			t.Errorf("a well-keyed schema is refused: %v (tenant tables %v)", p, s.tenantTables())
		}
	})
}

// tenantKeyProblems lists the tenant tables without a primary key and the
// keys and indexes of tenant tables that tenant_id does not lead.
func tenantKeyProblems(s migSchema) []string {
	var out []string
	for _, name := range s.tenantTables() {
		tbl := s.tables[name]
		if len(tbl.primaryKey) == 0 {
			out = append(out, fmt.Sprintf("tenant table %s has no primary key", name))
		}
		for _, k := range tbl.keys {
			if c, ok := tenantFinders[name]; ok && strings.HasPrefix(k.kind, "unique") && slices.Equal(k.cols, []string{c}) {
				continue // the finder of the tenant (tenantFinders)
			}
			if len(k.cols) == 0 || k.cols[0] != "tenant_id" {
				out = append(out, fmt.Sprintf("%s %s of tenant table %s is on (%s): tenant_id must come first",
					k.kind, k.name, name, strings.Join(k.cols, ", ")))
			}
		}
	}
	return out
}

// TestTenantScope_Check checks the checker on statements it must accept and
// statements it must refuse.
func TestTenantScope_Check(t *testing.T) {
	tables := []string{"learners", "people", "status_history", "learner_counts"}
	ok := []string{
		`SELECT learner_id FROM people WHERE tenant_id = $1 AND ref = $2`,
		`SELECT l.id, p.ref FROM learners l LEFT JOIN people p ON p.tenant_id = l.tenant_id AND p.learner_id = l.id WHERE l.tenant_id = $1 AND l.id = $2 FOR UPDATE OF l`,
		`SELECT p.ref FROM people AS p WHERE tenant_id = $1`,
		`SELECT COUNT(*) FROM learners l WHERE l.state = 'active' AND l.tenant_id = ?`,
		`UPDATE learners SET updated_at = $3 WHERE tenant_id = $1 AND id IN (SELECT learner_id FROM people WHERE tenant_id = $1 AND manager_ref = $2)`,
		`DELETE FROM people WHERE tenant_id = $1 AND learner_id = $2`,
		`INSERT INTO status_history (tenant_id, learner_id, seq) VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM status_history WHERE tenant_id = $1 AND learner_id = $2))`,
		`INSERT INTO learner_counts (tenant_id, state, n) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, state) DO UPDATE SET n = learner_counts.n + excluded.n`,
		`INSERT INTO learner_counts (tenant_id, state, n) SELECT tenant_id, state, COUNT(*) FROM learners WHERE tenant_id = $1 GROUP BY tenant_id, state`,
		`SELECT value FROM server_secrets WHERE name = 'hmac'`,
		`SELECT id, name FROM tenants ORDER BY created_at`,
		`SELECT l.id FROM learners l JOIN people p ON l.tenant_id = p.tenant_id AND p.learner_id = l.id WHERE l.tenant_id = $1`,
	}
	bad := []string{
		`SELECT learner_id FROM people WHERE ref = $1`,
		`SELECT COUNT(*) FROM learners`,
		`SELECT * FROM people WHERE tenant_id IS NOT NULL`,
		`SELECT * FROM people WHERE note = 'tenant_id = $1'`,
		`UPDATE learners SET tenant_id = $1 WHERE id = $2`,
		`DELETE FROM status_history WHERE learner_id = $1`,
		`INSERT INTO people (learner_id, ref) VALUES ($1, $2)`,
		`INSERT INTO people VALUES ($1, $2)`,
		`SELECT l.id FROM learners l LEFT JOIN people p ON p.learner_id = l.id WHERE l.tenant_id = $1`,
		`SELECT l.id FROM learners l, people p WHERE l.tenant_id = $1 AND p.learner_id = l.id`,
		`SELECT l.id FROM learners l JOIN people p ON l.tenant_id = p.tenant_id AND p.learner_id = l.id`,
		`SELECT p.ref FROM people p JOIN learners l ON l.id = p.learner_id WHERE tenant_id = $1`,
		`UPDATE learners SET x = 1 WHERE tenant_id = $1 AND id IN (SELECT learner_id FROM people WHERE manager_ref = $2)`,
		`INSERT INTO learner_counts (tenant_id, state, n) SELECT tenant_id, state, COUNT(*) FROM learners GROUP BY tenant_id, state`,
		`select learner_id from people where ref = $1`,
	}
	// A tenant finder (tenantFinders) binds its finder column instead, in a
	// statement on it alone; any other statement on it binds tenant_id.
	for q, want := range map[string]bool{
		`SELECT id, tenant_id FROM scim_tokens WHERE secret_hash = $1`:                           true,
		`DELETE FROM scim_tokens WHERE tenant_id = $1 AND id = $2`:                               true,
		`SELECT id FROM scim_tokens WHERE name = $1`:                                             false,
		`SELECT t.id FROM scim_tokens t JOIN learners l ON l.id = t.id WHERE t.secret_hash = $1`: false,
		`UPDATE scim_tokens SET last_used_at = $2 WHERE id = $1`:                                 false,
	} {
		if p := tenantScopeProblems(q, append(tables, "scim_tokens"), nil); (len(p) == 0) != want {
			t.Errorf("statement on a tenant finder: accepted %v, want %v:\n\t%s", len(p) == 0, want, q)
		}
	}
	for _, q := range ok {
		if p := tenantScopeProblems(q, tables, nil); len(p) != 0 {
			t.Errorf("OK statement refused: %v\n\t%s", p, q)
		}
	}
	for _, q := range bad {
		if p := tenantScopeProblems(q, tables, nil); len(p) == 0 {
			t.Errorf("Err statement accepted:\n\t%s", q)
		}
	}
}

// --- the migrations ---

type tableKey struct {
	kind string // "primary key", "unique constraint", "index"
	name string
	cols []string
}

type migTable struct {
	tenant     bool
	primaryKey []string
	keys       []tableKey
}

type migSchema struct{ tables map[string]*migTable }

var (
	sqlComment  = regexp.MustCompile(`--[^\n]*`)
	createTable = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?\s*\((.*)\)\s*(?:WITHOUT\s+ROWID|STRICT|\s)*$`)
	createIndex = regexp.MustCompile(`(?is)^CREATE\s+(UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?\s+ON\s+"?(\w+)"?\s*(?:USING\s+\w+\s*)?\((.*?)\)`)
	alterKey    = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?\s+ADD\s+(?:CONSTRAINT\s+"?(\w+)"?\s+)?(PRIMARY\s+KEY|UNIQUE)\s*\((.*?)\)`)
	alterColumn = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?\s+ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"?tenant_id"?\s`)
	dropTable   = regexp.MustCompile(`(?is)^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)"?$`)
	renameTable = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+"?(\w+)"?\s+RENAME\s+TO\s+"?(\w+)"?$`)
	keyItem     = regexp.MustCompile(`(?is)^(?:CONSTRAINT\s+"?(\w+)"?\s+)?(PRIMARY\s+KEY|UNIQUE)\s*\((.*)\)`)
	columnKey   = regexp.MustCompile(`(?i)\b(PRIMARY\s+KEY|UNIQUE)\b`)
)

// parseMigrations reads the migrations of a dialect in order and returns the
// tables they create with their keys.
func parseMigrations(tb testing.TB, dialect string) migSchema {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", dialect, "*.sql"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no migrations for %s (%v)", dialect, err)
	}
	sort.Strings(files)
	s := migSchema{tables: map[string]*migTable{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		s.apply(string(b))
	}
	return s
}

// apply records the tables, keys and indexes that a migration's SQL creates.
func (s migSchema) apply(sql string) {
	for _, stmt := range strings.Split(sqlComment.ReplaceAllString(sql, ""), ";") {
		stmt = strings.TrimSpace(stmt)
		switch {
		case createTable.MatchString(stmt):
			m := createTable.FindStringSubmatch(stmt)
			s.createTable(strings.ToLower(m[1]), m[2])
		case createIndex.MatchString(stmt):
			m := createIndex.FindStringSubmatch(stmt)
			tbl := s.tables[strings.ToLower(m[3])]
			if tbl == nil {
				tbl = &migTable{} // a table this parser missed: its index is still checked if it is a tenant's
				s.tables[strings.ToLower(m[3])] = tbl
			}
			kind := "index"
			if m[1] != "" {
				kind = "unique index"
			}
			tbl.keys = append(tbl.keys, tableKey{kind: kind, name: m[2], cols: columnList(m[4])})
		case alterKey.MatchString(stmt):
			m := alterKey.FindStringSubmatch(stmt)
			if tbl := s.tables[strings.ToLower(m[1])]; tbl != nil {
				tbl.addKey(m[3], m[2], columnList(m[4]))
			}
		case dropTable.MatchString(stmt): // a SQLite table rebuilt: dropped, then its copy renamed
			delete(s.tables, strings.ToLower(dropTable.FindStringSubmatch(stmt)[1]))
		case renameTable.MatchString(stmt):
			m := renameTable.FindStringSubmatch(stmt)
			s.tables[strings.ToLower(m[2])] = s.tables[strings.ToLower(m[1])]
			delete(s.tables, strings.ToLower(m[1]))
		case alterColumn.MatchString(stmt):
			if tbl := s.tables[strings.ToLower(alterColumn.FindStringSubmatch(stmt)[1])]; tbl != nil {
				tbl.tenant = true
			}
		}
	}
}

// tenantTables are the tables with a tenant_id column, sorted.
func (s migSchema) tenantTables() []string {
	var out []string
	for name, tbl := range s.tables {
		if tbl.tenant {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (s migSchema) createTable(name, body string) {
	tbl := &migTable{}
	s.tables[name] = tbl
	for _, item := range splitTopLevel(body) {
		item = strings.TrimSpace(item)
		if m := keyItem.FindStringSubmatch(item); m != nil {
			tbl.addKey(m[2], m[1], columnList(m[3]))
			continue
		}
		fields := strings.Fields(item)
		if len(fields) == 0 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FOREIGN", "CHECK", "CONSTRAINT", "EXCLUDE":
			continue
		}
		col := strings.ToLower(strings.Trim(fields[0], `"`))
		if col == "tenant_id" {
			tbl.tenant = true
		}
		// A key written on the column itself: REFERENCES ... never makes one.
		if m := columnKey.FindStringSubmatch(item); m != nil {
			tbl.addKey(m[1], "", []string{col})
		}
	}
}

func (tbl *migTable) addKey(kind, name string, cols []string) {
	kind = strings.ToLower(strings.Join(strings.Fields(kind), " "))
	if kind == "primary key" {
		tbl.primaryKey = cols
	} else {
		kind = "unique constraint"
	}
	tbl.keys = append(tbl.keys, tableKey{kind: kind, name: name, cols: cols})
}

// columnList returns the column names of "a, b COLLATE "C" DESC, lower(c)".
func columnList(s string) []string {
	var cols []string
	for _, part := range splitTopLevel(s) {
		if f := strings.Fields(part); len(f) > 0 {
			cols = append(cols, strings.ToLower(strings.Trim(f[0], `"`)))
		}
	}
	return cols
}

// splitTopLevel splits s at the commas outside parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// tenantTables are the tables with a tenant_id column, in either dialect,
// and registryTable.
func tenantTables(tb testing.TB) []string {
	tb.Helper()
	return slices.Compact(slices.Sorted(slices.Values(slices.Concat(
		parseMigrations(tb, "sqlite").tenantTables(), parseMigrations(tb, "postgres").tenantTables(),
		[]string{registryTable}))))
}

// registryTable stands for the name of a table taken from the personal-data
// registry (a field "Name", as in t.Name): the statements that erasure runs
// over the registry's tables of learner rows, each a tenant table (which
// TestRegistry checks), so those statements must bind tenant_id too.
const registryTable = "registry_table"

// --- the Go source ---

type sqlStatement struct {
	pos  token.Position
	text string
}

// unknown stands for an operand of a concatenation whose text is not known
// statically (a call, a field, a parameter).
const unknown = " ? "

var isStatement = regexp.MustCompile(`(?is)\bSELECT\b.*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b`)

// sqlStatements returns the SQL statements written in the non-test Go files
// of dir.
func sqlStatements(tb testing.TB, dir string) []sqlStatement {
	tb.Helper()
	return parsePackage(tb, dir).statements(-1)
}

// parsedPackage is the non-test Go files of a package, parsed.
type parsedPackage struct {
	fset  *token.FileSet
	names []string
	files []*ast.File
}

func parsePackage(tb testing.TB, dir string) *parsedPackage {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		tb.Fatal(err)
	}
	p := &parsedPackage{fset: token.NewFileSet()}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(p.fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			tb.Fatal(err)
		}
		p.names, p.files = append(p.names, filepath.Base(path)), append(p.files, f)
	}
	return p
}

// with returns the package with the file named name replaced by src, and
// that file's index.
func (p *parsedPackage) with(tb testing.TB, name string, src []byte) (*parsedPackage, int) {
	tb.Helper()
	q := &parsedPackage{fset: p.fset, names: p.names, files: slices.Clone(p.files)}
	i := slices.Index(p.names, filepath.Base(name))
	if i < 0 {
		tb.Fatalf("no file %s in the package", name)
	}
	// A FileSet may be added to concurrently.
	f, err := parser.ParseFile(p.fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		tb.Fatal(err)
	}
	q.files[i] = f
	return q, i
}

// statements returns the SQL statements written in file only of the
// package (-1: in every file), with the package's constants resolved.
func (p *parsedPackage) statements(file int) []sqlStatement {
	fset, files := p.fset, p.files
	// Package-level constants and variables, by name.
	globals := map[string]ast.Expr{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || (g.Tok != token.CONST && g.Tok != token.VAR) {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if len(vs.Names) == len(vs.Values) {
					for i, n := range vs.Names {
						globals[n.Name] = vs.Values[i]
					}
				}
			}
		}
	}
	var out []sqlStatement
	seen := map[string]bool{}
	add := func(pos token.Pos, text string) {
		if !isStatement.MatchString(text) {
			return
		}
		p := fset.Position(pos)
		if key := p.String() + "\x00" + text; !seen[key] {
			seen[key] = true
			out = append(out, sqlStatement{pos: p, text: text})
		}
	}
	for fi, f := range files {
		if file >= 0 && fi != file {
			continue
		}
		for _, d := range f.Decls {
			r := &resolver{globals: globals, locals: map[string][]localDef{}}
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				r.collectLocals(fd.Body)
			}
			// Every maximal string expression.
			ast.Inspect(d, func(n ast.Node) bool {
				e, ok := n.(ast.Expr)
				if !ok {
					return true
				}
				switch x := e.(type) {
				case *ast.BasicLit:
					if x.Kind != token.STRING {
						return true
					}
				case *ast.BinaryExpr:
					if x.Op != token.ADD {
						return true
					}
				default:
					return true
				}
				if text, ok := r.text(e, e.Pos(), 0); ok {
					add(e.Pos(), text)
					return false
				}
				return true
			})
			// Every local string variable as built up by +=.
			for _, defs := range r.locals {
				for _, def := range defs {
					text, ok := r.text(def.value, def.pos, 0)
					for _, a := range def.appends {
						t, okT := r.text(a.Rhs[0], a.Pos(), 0)
						text, ok = text+t, ok || okT
					}
					if ok {
						add(def.pos, text)
					}
				}
			}
		}
	}
	return out
}

type localDef struct {
	pos     token.Pos
	value   ast.Expr
	appends []*ast.AssignStmt // the += to it, in source order
}

type resolver struct {
	globals map[string]ast.Expr
	locals  map[string][]localDef
}

// collectLocals records the string variables defined in body (with := or
// var) and the += made to them.
func (r *resolver) collectLocals(body *ast.BlockStmt) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.AssignStmt:
			if len(s.Lhs) != len(s.Rhs) {
				return true
			}
			for i, lhs := range s.Lhs {
				id, ok := lhs.(*ast.Ident)
				if !ok {
					continue
				}
				switch s.Tok {
				case token.DEFINE:
					r.locals[id.Name] = append(r.locals[id.Name], localDef{pos: s.Pos(), value: s.Rhs[i]})
				case token.ADD_ASSIGN:
					if defs := r.locals[id.Name]; len(defs) > 0 {
						defs[len(defs)-1].appends = append(defs[len(defs)-1].appends, s)
					}
				}
			}
		case *ast.ValueSpec:
			if len(s.Names) == len(s.Values) {
				for i, id := range s.Names {
					r.locals[id.Name] = append(r.locals[id.Name], localDef{pos: s.Pos(), value: s.Values[i]})
				}
			}
		}
		return true
	})
}

// text returns the text of a string expression used at pos: literals and
// constants as written, local variables as defined and appended to before
// pos, anything else as unknown. ok reports whether any of it is known.
func (r *resolver) text(e ast.Expr, pos token.Pos, depth int) (string, bool) {
	if depth > 20 {
		return unknown, false
	}
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return unknown, false
		}
		s, err := strconv.Unquote(x.Value)
		if err != nil {
			return unknown, false
		}
		return s, true
	case *ast.ParenExpr:
		return r.text(x.X, pos, depth+1)
	case *ast.SelectorExpr:
		if x.Sel.Name == "Name" {
			return registryTable, true
		}
	case *ast.CallExpr:
		// tx.byLearner(t) is t.Name with, on SQLite, the index to use.
		if f, ok := x.Fun.(*ast.SelectorExpr); ok && f.Sel.Name == "byLearner" {
			return registryTable, true
		}
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return unknown, false
		}
		a, okA := r.text(x.X, pos, depth+1)
		b, okB := r.text(x.Y, pos, depth+1)
		return a + b, okA || okB
	case *ast.Ident:
		// The latest definition before pos, with its appends before pos.
		defs := r.locals[x.Name]
		for i := len(defs) - 1; i >= 0; i-- {
			d := defs[i]
			if d.pos >= pos {
				continue
			}
			s, ok := r.text(d.value, d.pos, depth+1)
			for _, a := range d.appends {
				if a.Pos() < pos {
					t, okT := r.text(a.Rhs[0], a.Pos(), depth+1)
					s += t
					ok = ok || okT
				}
			}
			return s, ok
		}
		if g, found := r.globals[x.Name]; found {
			return r.text(g, token.NoPos, depth+1)
		}
	}
	return unknown, false
}

// --- the check of one statement ---

var (
	sqlWord       = regexp.MustCompile(`\$\d+|\?|\w+|[^\s\w]`)
	stringLiteral = regexp.MustCompile(`'(?:[^']|'')*'`)
)

// sqlKeywords cannot be table aliases.
var sqlKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`WHERE SET ON USING JOIN LEFT RIGHT INNER OUTER FULL CROSS NATURAL GROUP ORDER
		LIMIT OFFSET HAVING INDEXED UNION EXCEPT INTERSECT FOR OF NOWAIT SKIP RETURNING VALUES SELECT AND OR AS WINDOW`) {
		sqlKeywords[k] = true
	}
}

type tableRef struct{ table, alias string }

// tenantScopeProblems returns what is wrong with one statement: every tenant
// table it uses that is not bound to its tenant. touched, when not nil,
// counts the statements using each tenant table.
func tenantScopeProblems(stmt string, tenantTables []string, touched map[string]int) []string {
	isTenant := func(name string) bool { return slices.Contains(tenantTables, strings.ToLower(name)) }
	// Literal values cannot hold the filter, and their words are not SQL.
	stmt = stringLiteral.ReplaceAllString(stmt, "''")
	var problems []string
	used := map[string]bool{}
	for _, scope := range scopes(stmt) {
		words := sqlWord.FindAllString(scope, -1)
		if len(words) == 0 {
			continue
		}
		if strings.EqualFold(words[0], "INSERT") {
			// INSERT INTO t (cols) ...: tenant_id must be a column.
			if len(words) >= 3 && isTenant(words[2]) {
				used[strings.ToLower(words[2])] = true
				if len(words) < 4 || words[3] != "(" || !slices.ContainsFunc(words[3:indexOf(words, ")")+1], isTenantID) {
					problems = append(problems, "INSERT INTO "+words[2]+" does not list tenant_id among its columns")
				}
			}
			continue
		}
		refs := tableRefs(words)
		var tenantRefs []tableRef
		for _, ref := range refs {
			if isTenant(ref.table) {
				tenantRefs = append(tenantRefs, ref)
				used[strings.ToLower(ref.table)] = true
			}
		}
		if len(tenantRefs) == 0 {
			continue
		}
		cond := conditionText(words)
		if found(cond, refs) {
			continue
		}
		for _, ref := range unbound(cond, refs, tenantRefs) {
			problems = append(problems, ref.table+" is used without binding its tenant_id in the WHERE or ON")
		}
	}
	if touched != nil {
		for name := range used {
			touched[name]++
		}
	}
	return problems
}

func isTenantID(w string) bool { return strings.EqualFold(w, "tenant_id") }

func indexOf(words []string, w string) int {
	if i := slices.Index(words, w); i >= 0 {
		return i
	}
	return len(words) - 1
}

// scopes splits a statement into its query scopes: the statement itself
// with each parenthesised subquery replaced by "( ? )", each subquery, and
// the SELECT of an INSERT ... SELECT.
func scopes(stmt string) []string {
	var out []string
	open := regexp.MustCompile(`(?i)\(\s*SELECT\b`)
	for {
		loc := open.FindStringIndex(stmt)
		if loc == nil {
			break
		}
		depth, end := 0, len(stmt)
		for i := loc[0]; i < len(stmt); i++ {
			if stmt[i] == '(' {
				depth++
			} else if stmt[i] == ')' {
				depth--
				if depth == 0 {
					end = i
					break
				}
			}
		}
		out = append(out, scopes(stmt[loc[0]+1:end])...)
		stmt = stmt[:loc[0]] + "(" + unknown + ")" + stmt[min(end+1, len(stmt)):]
	}
	stmt = strings.TrimSpace(stmt)
	if insert := regexp.MustCompile(`(?is)^INSERT\b.*?\)\s*(SELECT\b.*)$`); insert.MatchString(stmt) {
		sel := insert.FindStringSubmatch(stmt)[1]
		out = append(out, sel)
	}
	return append(out, stmt)
}

// tableRefs returns the tables named after FROM, JOIN, UPDATE and in
// comma-separated FROM lists, with their aliases.
func tableRefs(words []string) []tableRef {
	var refs []tableRef
	for i := 0; i < len(words); i++ {
		switch strings.ToUpper(words[i]) {
		case "FROM", "JOIN", "UPDATE":
		default:
			continue
		}
		for {
			i++
			if i >= len(words) || !isIdent(words[i]) || sqlKeywords[strings.ToUpper(words[i])] {
				break
			}
			ref := tableRef{table: words[i], alias: words[i]}
			if i+1 < len(words) && strings.EqualFold(words[i+1], "AS") {
				i++
			}
			if i+1 < len(words) && isIdent(words[i+1]) && !sqlKeywords[strings.ToUpper(words[i+1])] {
				i++
				ref.alias = words[i]
			}
			refs = append(refs, ref)
			if i+1 < len(words) && words[i+1] == "," {
				i++
				continue
			}
			break
		}
	}
	return refs
}

var identRE = regexp.MustCompile(`^[A-Za-z_]\w*$`)

func isIdent(w string) bool { return identRE.MatchString(w) }

// conditionText is the statement from its first WHERE or ON on (the part
// that filters rows), one space between words and "a.b" kept together.
func conditionText(words []string) string {
	for i, w := range words {
		if u := strings.ToUpper(w); u == "WHERE" || u == "ON" {
			return " " + strings.ReplaceAll(strings.Join(words[i+1:], " "), " . ", ".") + " "
		}
	}
	return ""
}

// tenantFinders are the tenant tables a credential that names no tenant
// finds its tenant in: SCIM's bearer tokens, found by the keyed hash of the
// secret (AuthenticateSCIM), and the console's session and set-password
// tokens, by the keyed hash of the token (console.go). Such a table may have a unique key of that
// column alone, and a statement on that table alone may bind that column
// to a parameter instead of tenant_id: that is how the tenant is learnt.
var tenantFinders = map[string]string{"scim_tokens": "secret_hash",
	"console_sessions": "token_hash", "console_password_tokens": "token_hash"}

// found reports a scope on a tenantFinders table alone that binds its
// finder column to a parameter.
func found(cond string, all []tableRef) bool {
	if len(all) != 1 {
		return false
	}
	c, ok := tenantFinders[strings.ToLower(all[0].table)]
	return ok && regexp.MustCompile(`(?i)\s`+c+` = (?:\$\d+|\?)\s`).MatchString(cond)
}

// unbound returns the tenant tables of a scope whose tenant_id is neither
// compared with a parameter nor equal to the tenant_id of a bound table.
func unbound(cond string, all, tenantRefs []tableRef) []tableRef {
	param := `(?:\$\d+|\?)`
	qualified := regexp.MustCompile(`(?i)\s(\w+)\.tenant_id = ` + param + `\s|\s` + param + ` = (\w+)\.tenant_id\s`)
	bare := regexp.MustCompile(`(?i)\stenant_id = ` + param + `\s|\s` + param + ` = tenant_id\s`)
	link := regexp.MustCompile(`(?i)\s(\w+)\.tenant_id = (\w+)\.tenant_id\s`)
	bound := map[string]bool{}
	for _, m := range qualified.FindAllStringSubmatch(cond, -1) {
		bound[strings.ToLower(m[1]+m[2])] = true
	}
	// A bare tenant_id names the only table of the scope.
	if len(all) == 1 && bare.MatchString(cond) {
		bound[strings.ToLower(all[0].alias)] = true
	}
	links := link.FindAllStringSubmatch(cond, -1)
	for changed := true; changed; {
		changed = false
		for _, m := range links {
			a, b := strings.ToLower(m[1]), strings.ToLower(m[2])
			if bound[a] != bound[b] {
				bound[a], bound[b], changed = true, true, true
			}
		}
	}
	var out []tableRef
	for _, ref := range tenantRefs {
		if !bound[strings.ToLower(ref.alias)] {
			out = append(out, ref)
		}
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
