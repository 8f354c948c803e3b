package sqldb

import (
	"context"
	"crypto/cipher"
	crand "crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// SeedOptions says what Seed writes.
type SeedOptions struct {
	Users int
	// RecordsPerUser is how many learning records (enrolments, completions,
	// CPD entries and activities) each learner gets.
	RecordsPerUser int
	Seed           uint64 // the same seed gives the same organisation
	// Progress, when set, is told after each batch how far a stage is.
	Progress func(stage string, done, total int)
}

// SeedCounts is what Seed wrote.
type SeedCounts struct {
	Users       int `json:"users"`
	Contents    int `json:"contents"`
	Audiences   int `json:"audiences"`
	Memberships int `json:"memberships"`
	Assignments int `json:"assignments"`
	Enrolments  int `json:"enrolments"`
	Completions int `json:"completions"`
	CPDEntries  int `json:"cpdEntries"`
	Activities  int `json:"activities"`
}

// Records is the number of learning records written.
func (c SeedCounts) Records() int { return c.Enrolments + c.Completions + c.CPDEntries + c.Activities }

// seedShape is the organisation Seed builds for a number of users.
type seedShape struct {
	regions, departments int
}

func shapeFor(users int) seedShape {
	regions := max(1, (users+49_999)/50_000)  // about 50,000 people each
	perRegion := max(1, users/(regions*1000)) // departments of about 1,000
	return seedShape{regions: regions, departments: regions * perRegion}
}

// Seed fills the empty tenant of the actor in ctx with a synthetic
// organisation, directly (not through the API) and quickly, for benchmarks
// and trials. The same options give the same organisation.
//
// The users are SeedUsers'. The organisation is a structure (the
// organisation, regions of about 50,000 people, departments of about 1,000)
// and an "All staff" audience; a catalogue of 40 items; two recurring
// assignments for all staff (code of conduct, yearly; data protection,
// every two years), a health and safety assignment per region opened 60
// days ago, and an induction per department. Every learner not erased is a
// member of all staff, its region and its department. Each learner's
// records are, in this order while RecordsPerUser lasts: an enrolment in
// each of its assignments (erased learners' are unassigned), a completion
// for most of them, one CPD entry, and activities for the rest, in sessions
// of up to five over the past year (erased learners' during their time).
//
// Rows are written in the order of their keys where they can be, in
// batches of large transactions; an interrupted seed leaves the tenant
// partly filled, so seed a new tenant. Seed refuses a tenant that has
// users.
func (db *DB) Seed(ctx context.Context, o SeedOptions) (counts SeedCounts, err error) {
	actor, err := lethe.ActorFrom(ctx)
	if err != nil {
		return counts, err
	}
	if o.Users < 0 || o.RecordsPerUser < 0 {
		return counts, fmt.Errorf("seed: users and records per user must not be negative")
	}
	var any int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM learners WHERE tenant_id = $1 LIMIT 1) x`,
		string(actor.TenantID)).Scan(&any); err != nil {
		return counts, fmt.Errorf("seed: %w", err)
	}
	if any > 0 {
		return counts, lethe.Errorf(lethe.EConflict, "The tenant already has users; seed a new tenant.")
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	deferred, err := db.deferIndexes(ctx)
	if err != nil {
		return counts, err
	}
	restore, err := db.bulkLoadMode(ctx, deferred)
	if err != nil {
		return counts, err
	}
	defer func() {
		if rerr := restore(); rerr != nil && err == nil {
			err = fmt.Errorf("seed: %w", rerr)
		}
	}()
	if err := db.seedUsers(ctx, o.Users, o.Seed); err != nil {
		return counts, err
	}
	counts.Users = o.Users
	progress("users", o.Users, o.Users)
	learners, err := db.seedLearners(ctx)
	if err != nil {
		return counts, err
	}
	org, err := db.seedStructure(ctx, shapeFor(o.Users), &counts)
	if err != nil {
		return counts, err
	}
	s := &orgSeeder{db: db, org: org, o: o, learners: learners, counts: &counts, progress: progress,
		now: db.Now().UTC().Truncate(time.Millisecond), activities: make([]uint8, len(learners))}
	if err := s.records(ctx); err != nil {
		return counts, err
	}
	if err := s.seedActivities(ctx); err != nil {
		return counts, err
	}
	if deferred {
		if err := db.buildDeferredIndexes(ctx, func(done, total int) { progress("indexes", done, total) }); err != nil {
			return counts, err
		}
	}
	return counts, nil
}

// seedTables are the tables a seed fills.
var seedTables = []string{"learners", "people", "status_history", "audience_members", "learner_keys", "enrolments",
	"enrolment_history", "completions", "cpd_entries", "activities"}

// deferIndexes drops the secondary indexes of the seed's tables when the
// database is SQLite and every one of those tables is empty (no tenant has
// data yet), and lists them in deferred_indexes, in one transaction; it
// reports whether it did. Building an index once at the end, from a sort,
// costs less than keeping it up to date entry by entry (docs/PERFORMANCE.md:
// 1M users took 413 s with every index deferred, 446 s with only the four
// written in random order, 481 s with none). A seed that does not reach the end
// leaves them listed, and Open builds them (buildDeferredIndexes).
func (db *DB) deferIndexes(ctx context.Context) (bool, error) {
	if db.dialect.name != "sqlite" {
		return false, nil
	}
	// Every row of the seed's tables hangs off a learner: no tenant with a
	// learner means the tables are empty.
	tenants, err := NewTenantService(db).FindTenants(ctx)
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	for _, t := range tenants {
		var filled int
		if err := db.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM learners WHERE tenant_id = $1 LIMIT 1) x`,
			string(t.ID)).Scan(&filled); err != nil {
			return false, fmt.Errorf("seed: %w", err)
		}
		if filled > 0 {
			return false, nil // another tenant's data: its reads keep their indexes
		}
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("seed: defer indexes: %w", err)
	}
	defer tx.Rollback()
	marks := make([]string, len(seedTables))
	args := make([]any, len(seedTables))
	for i, t := range seedTables {
		marks[i], args[i] = "$"+strconv.Itoa(i+1), t
	}
	indexes, err := queryAll(ctx, tx, scanIndex, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN (`+strings.Join(marks, ", ")+`) ORDER BY name`, args...)
	if err != nil {
		return false, fmt.Errorf("seed: defer indexes: %w", err)
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deferred_indexes (name, sql) VALUES ($1, $2)`, ix.name, ix.sql); err != nil {
			return false, fmt.Errorf("seed: defer index %s: %w", ix.name, err)
		}
		if _, err := tx.ExecContext(ctx, `DROP INDEX `+ix.name); err != nil {
			return false, fmt.Errorf("seed: defer index %s: %w", ix.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("seed: defer indexes: %w", err)
	}
	return len(indexes) > 0, nil
}

// namedIndex is an index by name, with the SQL that creates it.
type namedIndex struct{ name, sql string }

func scanIndex(r rowScanner) (ix namedIndex, err error) {
	err = r.Scan(&ix.name, &ix.sql)
	return ix, err
}

// Index builds sort with a small page cache, helper threads and sort files
// on disk. SQLite's sorter writes a sorted run whenever its buffer (the
// page cache's size) fills, and with threads sorts and merges the runs on
// several cores; it uses no threads while temporary files are kept in
// memory, which the write connection otherwise asks for (temp_store, so
// that no file ever holds a copy of a person's row). The indexes deferred
// hold only the seed's synthetic rows: deferIndexes defers none when any
// tenant has a learner, and Open builds the rest before anything else
// writes. At 1M users activities_learner took 18–20 s with the seed's
// 1 GiB cache in memory and no threads, 11–12 s with 64 MiB, sort files and
// 2 threads, 10.3–10.5 s with 4 (docs/PERFORMANCE.md).
//
// The seed's page cache is seedCacheKiB for the index builds and for a
// load without indexes, which only appends; a load that keeps the indexes
// up gets indexedSeedCacheKiB (bulkLoadMode).
const (
	seedCacheKiB        = 64 << 10
	indexedSeedCacheKiB = 1 << 20
	indexSortThreads    = 4
)

// buildDeferredIndexes builds the indexes listed in deferred_indexes, each
// in a transaction that also strikes it off the list, and tells progress
// (when set) before the first and after each.
func (db *DB) buildDeferredIndexes(ctx context.Context, progress func(done, total int)) (err error) {
	if db.dialect.name != "sqlite" {
		return nil // only SQLite seeds defer indexes
	}
	indexes, err := queryAll(ctx, db.write, scanIndex, `SELECT name, sql FROM deferred_indexes ORDER BY name`)
	if err != nil {
		return fmt.Errorf("find deferred indexes: %w", err)
	}
	if len(indexes) == 0 {
		return nil
	}
	restore, err := db.writerPragmas(ctx, "cache_size", strconv.Itoa(-seedCacheKiB), "threads", strconv.Itoa(indexSortThreads),
		"temp_store", "FILE")
	if err != nil {
		return fmt.Errorf("build deferred indexes: %w", err)
	}
	defer func() { // a writer left with sort files on disk would sort people's rows there
		if rerr := restore(); rerr != nil && err == nil {
			err = fmt.Errorf("build deferred indexes: %w", rerr)
		}
	}()
	if progress == nil {
		progress = func(int, int) {}
	}
	progress(0, len(indexes))
	for i, ix := range indexes {
		err := func() error {
			tx, err := db.write.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, strings.Replace(ix.sql, "INDEX ", "INDEX IF NOT EXISTS ", 1)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM deferred_indexes WHERE name = $1`, ix.name); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
		progress(i+1, len(indexes))
	}
	return nil
}

// bulkLoadMode readies the SQLite write connection for a seed and returns
// what puts it back: foreign keys off (a seed writes consistent rows; each
// check is one more lookup), and a page cache of 1 GiB while the seed keeps
// its indexes up (they do not fit the writer's 32 MiB, and a miss costs a
// read). A seed whose indexes are deferred only appends, to its tables and
// their primary keys; it gets seedCacheKiB, which loaded 1M users as fast
// (109 against 114 s) with a third of the peak RSS (0.8 against 2.3 GiB).
func (db *DB) bulkLoadMode(ctx context.Context, indexesDeferred bool) (restore func() error, err error) {
	if db.dialect.name == "postgres" {
		return func() error { return nil }, nil
	}
	cache := indexedSeedCacheKiB
	if indexesDeferred {
		cache = seedCacheKiB
	}
	return db.writerPragmas(ctx, "cache_size", strconv.Itoa(-cache), "foreign_keys", "0")
}

// writerPragmas sets pragmas (name, value, name, value, …) on the SQLite
// write connection and returns what sets them back to what they were, and
// reports the first that it could not.
func (db *DB) writerPragmas(ctx context.Context, nameValues ...string) (restore func() error, err error) {
	var was []string
	restore = func() error {
		var first error
		for i := 0; i < len(was); i += 2 {
			if _, err := db.write.ExecContext(context.Background(), `PRAGMA `+was[i]+` = `+was[i+1]); err != nil && first == nil {
				first = fmt.Errorf("set pragma %s back: %w", was[i], err)
			}
		}
		return first
	}
	for i := 0; i+1 < len(nameValues); i += 2 {
		name, value := nameValues[i], nameValues[i+1]
		var old string
		if err := db.write.QueryRowContext(ctx, `PRAGMA `+name).Scan(&old); err != nil {
			return nil, errors.Join(fmt.Errorf("read pragma %s: %w", name, err), restore())
		}
		if _, err := db.write.ExecContext(ctx, `PRAGMA `+name+` = `+value); err != nil {
			return nil, errors.Join(fmt.Errorf("pragma %s = %s: %w", name, value, err), restore())
		}
		was = append(was, name, old)
	}
	return restore, nil
}

// seedLearner is what the record pass needs of a seeded learner.
type seedLearner struct {
	id        string
	created   int64
	deletedAt int64 // 0 unless erased
}

func (db *DB) seedLearners(ctx context.Context) ([]seedLearner, error) {
	var out []seedLearner
	err := db.readTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, created_at, deleted_at FROM learners WHERE tenant_id = $1 ORDER BY id`,
			string(tx.actor.TenantID))
		if err != nil {
			return fmt.Errorf("seed: read learners: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var l seedLearner
			var deleted sql.NullInt64
			if err := rows.Scan(&l.id, &l.created, &deleted); err != nil {
				return err
			}
			l.deletedAt = deleted.Int64
			out = append(out, l)
		}
		return rows.Err()
	})
	return out, err
}

// seedOrg is the structure a seed builds before the records.
type seedOrg struct {
	shape       seedShape
	allStaff    string
	regions     []string // audience ids
	departments []string
	contents    []string   // the library
	conduct     seedAssign // all staff, yearly
	protection  seedAssign // all staff, every two years
	safety      []seedAssign
	induction   []seedAssign
}

type seedAssign struct {
	id, audience, content string
	created               int64 // ms
	period                int   // days
	recurrence            int   // days; 0 for none
	completes             int   // percent of enrolments that have a completion
}

// seedStructure creates the catalogue, the audiences and the assignments
// through the services (they are few), with the clock at when each was
// created: the catalogue and structure on 2020-01-01, the health and safety
// assignments 60 days ago. The audiences are empty when the assignments are
// created, so no enrolments are written yet.
func (db *DB) seedStructure(ctx context.Context, shape seedShape, counts *SeedCounts) (*seedOrg, error) {
	clock := db.Now
	defer func() { db.Now = clock }()
	now := clock().UTC()
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(t time.Time) { db.Now = func() time.Time { return t } }
	at(base)
	org := &seedOrg{shape: shape}

	contents := NewContentService(db)
	types := []string{"elearning", "video", "article", "assessment", "scorm", "pathway", "file", "event"}
	for i := range 40 {
		title, typ, official := fmt.Sprintf("Library item %02d", i+1), types[i%len(types)], i < 8
		minutes := 15 + (i*7)%60
		mp := &minutes
		tags := []string{}
		f := lethe.ContentFields{Title: &title, Type: &typ, IsOfficial: &official, Tags: &tags, DurationMinutes: &mp}
		c, err := contents.CreateContent(ctx, "", f)
		if err != nil {
			return nil, fmt.Errorf("seed content: %w", err)
		}
		org.contents = append(org.contents, c.ID)
	}
	counts.Contents = len(org.contents)

	audiences := NewAudienceService(db)
	create := func(name, ref string, parent *string, cat lethe.AudienceCategory) (string, error) {
		a, err := audiences.CreateAudience(ctx, lethe.AudienceFields{Name: &name, Reference: &ref, ParentID: parent, Category: &cat})
		if err != nil {
			return "", fmt.Errorf("seed audience: %w", err)
		}
		counts.Audiences++
		return a.ID, nil
	}
	root, err := create("Seeded organisation", "ORG", nil, lethe.CategoryStructure)
	if err != nil {
		return nil, err
	}
	if org.allStaff, err = create("All staff", "ALL-STAFF", &root, lethe.CategoryAudience); err != nil {
		return nil, err
	}
	for r := range shape.regions {
		id, err := create(fmt.Sprintf("Region %02d", r+1), fmt.Sprintf("REGION-%02d", r+1), &root, lethe.CategoryStructure)
		if err != nil {
			return nil, err
		}
		org.regions = append(org.regions, id)
	}
	for d := range shape.departments {
		id, err := create(fmt.Sprintf("Department %04d", d+1), fmt.Sprintf("DEPT-%04d", d+1), &org.regions[d%shape.regions],
			lethe.CategoryStructure)
		if err != nil {
			return nil, err
		}
		org.departments = append(org.departments, id)
	}

	assignments := NewAssignmentService(db)
	assign := func(audience, content string, period, recurrence, completes int) (seedAssign, error) {
		f := lethe.AssignmentFields{AudienceID: &audience, ContentID: &content, CompletionPeriod: &period}
		if recurrence > 0 {
			f.Recurrence = &recurrence
		}
		a, err := assignments.CreateAssignment(ctx, f)
		if err != nil {
			return seedAssign{}, fmt.Errorf("seed assignment: %w", err)
		}
		counts.Assignments++
		return seedAssign{id: a.ID, audience: audience, content: content, created: ms(a.CreatedAt), period: period,
			recurrence: recurrence, completes: completes}, nil
	}
	if org.conduct, err = assign(org.allStaff, org.contents[0], 30, 365, 85); err != nil {
		return nil, err
	}
	if org.protection, err = assign(org.allStaff, org.contents[1], 60, 730, 80); err != nil {
		return nil, err
	}
	for _, d := range org.departments {
		a, err := assign(d, org.contents[2], 90, 0, 90)
		if err != nil {
			return nil, err
		}
		org.induction = append(org.induction, a)
	}
	at(now.Add(-60 * 24 * time.Hour))
	for _, r := range org.regions {
		a, err := assign(r, org.contents[3], 90, 0, 55)
		if err != nil {
			return nil, err
		}
		org.safety = append(org.safety, a)
	}
	return org, nil
}

// orgSeeder writes the records of the seeded learners.
type orgSeeder struct {
	db       *DB
	org      *seedOrg
	o        SeedOptions
	learners []seedLearner
	counts   *SeedCounts
	progress func(string, int, int)
	now      time.Time
	// activities is how many activities each learner is owed.
	activities []uint8
}

// seedBatch is how many learners one transaction of the record pass takes.
const seedBatch = 20_000

// records writes, per learner in id order, the memberships, the data key,
// the enrolments with their events, the completions and the CPD entry.
func (s *orgSeeder) records(ctx context.Context) error {
	actor, _ := lethe.ActorFrom(ctx)
	rng := rand.New(rand.NewPCG(s.o.Seed^0x5eed, s.o.Seed))
	ids := &seedIDs{}
	for start := 0; start < len(s.learners); start += seedBatch {
		end := min(start+seedBatch, len(s.learners))
		err := s.db.rawWriteTx(ctx, actor, func(tx *Tx) error {
			w := newRecordWriters(tx)
			defer w.close()
			return pipeline(ctx, w.all(), func(ctx context.Context) error {
				for i := start; i < end; i++ {
					if err := s.learnerRecords(ctx, w, rng, ids, i); err != nil {
						return err
					}
				}
				return w.flush(ctx)
			})
		})
		if err != nil {
			return fmt.Errorf("seed records: %w", err)
		}
		s.progress("records", end, len(s.learners))
	}
	return nil
}

// seedIDs numbers the rows of each table; the ids are time-ordered ids of
// the seed's start with the number as the random half, so each table's
// ids rise in the order its rows are written.
type seedIDs struct{ enrolment, completion, cpd int }

type recordWriters struct {
	members, keys, enrolments, history, completions, cpd *rowWriter
}

func newRecordWriters(tx *Tx) *recordWriters {
	return &recordWriters{
		members: tx.rows(`INSERT INTO audience_members (tenant_id, audience_id, learner_id, added_at) VALUES `, 4),
		keys:    tx.rows(`INSERT INTO learner_keys (tenant_id, learner_id, data_key, created_at) VALUES `, 4),
		enrolments: tx.rows(`INSERT INTO enrolments (tenant_id, id, assignment_id, learner_id, audience_id, assigned,
			available_at, due_at, last_completed_at, last_completion_id, created_at, updated_at) VALUES `, 12),
		history: tx.rows(`INSERT INTO enrolment_history (tenant_id, enrolment_id, seq, type, completion_id,
			previous_status, next_status, created_at) VALUES `, 8),
		completions: tx.rows(`INSERT INTO completions (tenant_id, id, learner_id, content_id, completed_at,
			is_rpl, completion_type, created_at) VALUES `, 8),
		cpd: tx.rows(`INSERT INTO cpd_entries (tenant_id, id, learner_id, category_id, activity_type, activity_name,
			entry_date, duration_minutes, is_verified, created_at, sealed) VALUES `, 11),
	}
}

func (w *recordWriters) all() []*rowWriter {
	return []*rowWriter{w.members, w.keys, w.enrolments, w.history, w.completions, w.cpd}
}

func (w *recordWriters) flush(ctx context.Context) error { return flushRows(ctx, w.all()) }

func (w *recordWriters) close() { closeRows(w.all()) }

var cpdNames = []string{"Conference talk", "Webinar", "Professional reading", "Workshop", "Mentoring session", "Peer review"}

func (s *orgSeeder) learnerRecords(ctx context.Context, w *recordWriters, rng *rand.Rand, ids *seedIDs, i int) error {
	l := s.learners[i]
	tenant := string(w.members.tx.actor.TenantID)
	org, shape := s.org, s.org.shape
	erased := l.deletedAt != 0
	region, dept := i%shape.regions, i%shape.departments
	budget := s.o.RecordsPerUser
	var key []byte
	if !erased {
		for _, a := range []string{org.allStaff, org.regions[region], org.departments[dept]} {
			if err := w.members.add(ctx, tenant, a, l.id, l.created); err != nil {
				return err
			}
			s.counts.Memberships++
		}
		key = make([]byte, dataKeySize)
		if _, err := crand.Read(key); err != nil {
			return err
		}
		if err := w.keys.add(ctx, tenant, l.id, key, l.created); err != nil {
			return err
		}
	}
	assigned := []seedAssign{org.conduct, org.protection, org.induction[dept]}
	if !erased {
		assigned = append(assigned, org.safety[region])
	}
	for _, a := range assigned {
		if budget == 0 {
			break
		}
		budget--
		completed := budget > 0 && rng.IntN(100) < a.completes
		if completed {
			budget--
		}
		if err := s.enrolment(ctx, w, rng, ids, l, a, completed); err != nil {
			return err
		}
	}
	if budget > 0 {
		budget--
		if err := s.cpdEntry(ctx, w, rng, ids, l, key); err != nil {
			return err
		}
	}
	s.activities[i] = uint8(min(budget, 255))
	return nil
}

// enrolment writes learner l's enrolment in a, available when both existed
// and due a completion period later, with its events: assigned; completed,
// when it has a completion; unassigned, when the learner was erased.
func (s *orgSeeder) enrolment(ctx context.Context, w *recordWriters, rng *rand.Rand, ids *seedIDs, l seedLearner, a seedAssign, completed bool) error {
	tenant := string(w.members.tx.actor.TenantID)
	day := int64(dayMS)
	avail := max(l.created, a.created)
	e := &lethe.Enrolment{Assigned: true, AvailableAt: fromMS(avail), DueAt: fromMS(avail + int64(a.period)*day),
		CompletionPeriod: a.period}
	if a.recurrence > 0 {
		r := a.recurrence
		e.Recurrence = &r
	}
	end := ms(s.now) // the last moment anything can have happened
	if l.deletedAt != 0 {
		end = l.deletedAt
	}
	ids.enrolment++
	id := seedID(seedEpoch, ids.enrolment)
	h := []any{tenant, id, 1, lethe.EventAssigned, nil, nil, string(lethe.EnrolmentStatusAt(e, e.AvailableAt)), avail}
	seq, updated := 1, avail
	var completedAt, completionID any
	if completed {
		// A one-off is done within 1.2 periods of opening; a recurring one
		// was last done within a cycle and a period or so of now.
		var at int64
		if a.recurrence == 0 {
			at = avail + rng.Int64N(int64(a.period)*day*6/5+1)
		} else {
			at = end - rng.Int64N(int64(a.recurrence+a.period+60)*day)
		}
		at = min(max(at, avail), end-1)
		if at >= avail {
			before := lethe.EnrolmentStatusAt(e, fromMS(at))
			t := fromMS(at)
			e.LastCompletedAt = &t
			ids.completion++
			cid := seedID(seedEpoch, ids.completion)
			if err := w.completions.add(ctx, tenant, cid, l.id, a.content, at, false, lethe.CompletionManual, at); err != nil {
				return err
			}
			s.counts.Completions++
			completedAt, completionID = at, cid
			seq++
			h = append(h, tenant, id, seq, lethe.EventCompleted, cid, string(before), string(lethe.EnrolmentStatusAt(e, t)), at)
			updated = at
		}
	}
	assignedNow := l.deletedAt == 0
	if !assignedNow {
		before := lethe.EnrolmentStatusAt(e, fromMS(l.deletedAt))
		seq++
		h = append(h, tenant, id, seq, lethe.EventUnassigned, nil, string(before), string(lethe.EnrolmentUnassigned), l.deletedAt)
		updated = l.deletedAt
	}
	if err := w.enrolments.add(ctx, tenant, id, a.id, l.id, a.audience, assignedNow, avail, ms(e.DueAt),
		completedAt, completionID, avail, updated); err != nil {
		return err
	}
	s.counts.Enrolments++
	for len(h) > 0 {
		if err := w.history.add(ctx, h[:8]...); err != nil {
			return err
		}
		h = h[8:]
	}
	return nil
}

// cpdEntry writes one manual CPD entry of the past two years, its activity
// name sealed under the learner's key; an erased learner's (no key) has
// its text gone, as an erasure leaves it.
func (s *orgSeeder) cpdEntry(ctx context.Context, w *recordWriters, rng *rand.Rand, ids *seedIDs, l seedLearner, key []byte) error {
	tenant := string(w.members.tx.actor.TenantID)
	ids.cpd++
	id := seedID(seedEpoch, ids.cpd)
	end := ms(s.now)
	if l.deletedAt != 0 {
		end = l.deletedAt
	}
	start := max(l.created, end-2*365*dayMS)
	date := start + rng.Int64N(end-start+1)
	var sealed []byte
	if key != nil {
		ring := &keyring{keys: map[lethe.LearnerID][]byte{lethe.LearnerID(l.id): key}, aeads: map[lethe.LearnerID]cipher.AEAD{}}
		var err error
		if sealed, err = ring.seal(lethe.LearnerID(l.id), sealAAD(tenant, "cpd_entries", id),
			&sealedText{Name: cpdNames[rng.IntN(len(cpdNames))]}); err != nil {
			return err
		}
	}
	s.counts.CPDEntries++
	return w.cpd.add(ctx, tenant, id, l.id, nil, lethe.CPDActivityManual, "", date, 15+rng.IntN(226), false, date, sealed)
}

// seedEpoch is the time part of the ids of seeded enrolments, completions
// and CPD entries.
var seedEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// seedActivities writes the activities the record pass left each learner,
// in date order (the keys of activities lead with the date): first the
// erased learners', during their time, in learner order, which is the
// order they joined; then everyone else's, in sessions of up to five
// activities of one learner on one item, the sessions shuffled over the
// past year.
func (s *orgSeeder) seedActivities(ctx context.Context) error {
	actor, _ := lethe.ActorFrom(ctx)
	rng := rand.New(rand.NewPCG(s.o.Seed^0xac71, s.o.Seed))
	type activity struct {
		learner int
		date    int64
		typ     string
		content string
	}
	var sessions []int32
	for i, l := range s.learners {
		if l.deletedAt == 0 {
			for n := int(s.activities[i]); n > 0; n -= 5 {
				sessions = append(sessions, int32(i))
			}
		}
	}
	rng.Shuffle(len(sessions), func(a, b int) { sessions[a], sessions[b] = sessions[b], sessions[a] })
	live := 0
	for i, l := range s.learners {
		if l.deletedAt == 0 {
			live += int(s.activities[i])
		}
	}
	total := 0
	for _, n := range s.activities {
		total += int(n)
	}
	steps := []string{"viewed", "started", "progressed", "progressed", "completed"}
	// next yields the activities in order; ok is false at the end.
	erased, session, k, m := 0, 0, 0, 0
	var cur struct {
		learner, left, step int
		content             string
	}
	start, span := ms(s.now)-365*dayMS, int64(365*dayMS-3_600_000)
	next := func() (a activity, ok bool) {
		for erased < len(s.learners) {
			l := s.learners[erased]
			if l.deletedAt == 0 || s.activities[erased] == 0 {
				erased++
				continue
			}
			// The m-th of the learner's n, evenly between an hour after
			// joining and the erasure.
			n := int(s.activities[erased])
			m++
			from := l.created + 3_600_000
			a = activity{learner: erased, typ: steps[m%5], content: s.org.contents[m%len(s.org.contents)],
				date: from + (l.deletedAt-from)*int64(m)/int64(n+1)}
			if m == n {
				s.activities[erased], m = 0, 0
				erased++
			}
			return a, true
		}
		for cur.left == 0 {
			if session == len(sessions) {
				return a, false
			}
			i := int(sessions[session])
			session++
			n := min(5, int(s.activities[i]))
			s.activities[i] -= uint8(n)
			cur.learner, cur.left, cur.step = i, n, 0
			cur.content = s.org.contents[rng.IntN(len(s.org.contents))]
		}
		a = activity{learner: cur.learner, typ: steps[cur.step], content: cur.content,
			date: start + span*int64(k)/int64(max(live, 1))}
		cur.left--
		cur.step++
		k++
		return a, true
	}
	done := 0
	for done < total {
		err := s.db.rawWriteTx(ctx, actor, func(tx *Tx) error {
			w := tx.rows(`INSERT INTO activities (tenant_id, id, client_id, learner_id, type, date, context_type,
				context_id, created_at) VALUES `, 9)
			defer w.close()
			tenant := string(tx.actor.TenantID)
			return pipeline(ctx, []*rowWriter{w}, func(ctx context.Context) error {
				for end := min(done+200_000, total); done < end; done++ {
					a, ok := next()
					if !ok {
						return fmt.Errorf("seed activities: %d of %d written", done, total)
					}
					s.counts.Activities++
					err := w.add(ctx, tenant, seedID(fromMS(a.date), done), tx.activityKey("seed-"+strconv.FormatUint(s.o.Seed, 10)+
						"-"+strconv.Itoa(done)), s.learners[a.learner].id, a.typ, a.date, "content", a.content, a.date)
					if err != nil {
						return err
					}
				}
				return w.flush(ctx)
			})
		})
		if err != nil {
			return fmt.Errorf("seed activities: %w", err)
		}
		s.progress("activities", done, total)
	}
	return nil
}
