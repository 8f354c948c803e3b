package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lethehq/lethe/client"
)

// population samples the tenant's users: up to sampleUsers ids from pages
// spread evenly over the whole list.
func (b *runner) population(ctx context.Context) (*userSample, error) {
	if b.pop != nil {
		return b.pop, nil
	}
	first, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: pageUsers})
	if err != nil {
		return nil, err
	}
	p := &userSample{}
	add := func(users []client.User) {
		for _, u := range users {
			p.sample = append(p.sample, u.ID)
			if !u.Deleted {
				p.live = append(p.live, u.ID)
				p.refs = append(p.refs, u.Ref)
			}
		}
	}
	add(first.Results)
	pages, want := first.Pagination.TotalPages, sampleUsers/pageUsers
	for i := 1; i < min(pages, want); i++ {
		page, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: pageUsers, Page: 1 + i*pages/min(pages, want)})
		if err != nil {
			return nil, err
		}
		add(page.Results)
	}
	b.pop = p
	return p, nil
}

// create-users: POST /rest/v2/users with refs and emails unique to the run.
func (b *runner) createUsers(ctx context.Context) Result {
	b.pop = nil // the sample should see the new users
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		ref := fmt.Sprintf("%s-%d-%d", b.prefix, rec.worker, rec.op)
		rec.op++
		f := client.UserFields{FirstName: client.Ptr("Bench"), LastName: client.Ptr("User"), Email: client.Ptr(ref + "@bench.example.com")}
		rec.measure(ctx, func() (int, error) {
			_, err := b.c.CreateUser(ctx, ref, f)
			return 1, err
		})
		return true
	})
}

// get-user: GET /rest/v1/user/{id} of random sampled users.
func (b *runner) getUser(ctx context.Context) Result {
	p, err := b.population(ctx)
	if err != nil {
		return setupFailed(err)
	}
	if len(p.sample) == 0 {
		return Result{Skipped: "the tenant has no users"}
	}
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		id := rec.pick(p.sample)
		rec.measure(ctx, func() (int, error) {
			_, err := b.c.GetUser(ctx, id)
			return 1, err
		})
		return true
	})
}

// searchPageLimit is how deep search-status reads: a search that a person
// or a tool browses. Reading every page is full-sync's scenario; a jump to
// a deep page costs the rows skipped before it (ADR 0012).
const searchPageLimit = 50

// searchPages is the number of pages of GET /rest/v1/users?status=active
// at perPage=100 that search-status reads from: all of them, at most
// searchPageLimit (at least 1).
func (b *runner) searchPages(ctx context.Context) (int, error) {
	page, err := b.c.SearchUsers(ctx, client.SearchParams{Status: client.StatusActive, PerPage: 100})
	if err != nil {
		return 0, err
	}
	return min(searchPageLimit, max(1, page.Pagination.TotalPages)), nil
}

func (b *runner) searchActive(ctx context.Context, rec *recorder, pages int) {
	page := 1 + rec.rng.IntN(pages)
	rec.measure(ctx, func() (int, error) {
		res, err := b.c.SearchUsers(ctx, client.SearchParams{Status: client.StatusActive, PerPage: 100, Page: page})
		if err != nil {
			return 0, err
		}
		return len(res.Results), nil
	})
}

// search-status: GET /rest/v1/users?status=active&perPage=100 at random
// pages among the first searchPageLimit.
func (b *runner) searchStatus(ctx context.Context) Result {
	pages, err := b.searchPages(ctx)
	if err != nil {
		return setupFailed(err)
	}
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		b.searchActive(ctx, rec, pages)
		return true
	})
}

// full-sync: one client reads every page at perPage=200 until a short
// page, as the Airbyte connector does.
func (b *runner) fullSync(ctx context.Context) Result {
	rec := newRecorder(0)
	start := time.Now()
	for page, more := 1, true; more && ctx.Err() == nil; page++ {
		more = false
		rec.measure(ctx, func() (int, error) {
			res, err := b.c.SearchUsers(ctx, client.SearchParams{PerPage: 200, Page: page})
			if err != nil {
				return 0, err
			}
			more = len(res.Results) == 200
			return len(res.Results), nil
		})
	}
	var res Result
	items := merge(&res, rec)
	finish(&res, time.Since(start), "users", items)
	return res
}

var activityTypes = []string{"viewed", "started", "progressed", "liked"}

// ingest: POST /lethe/v1/activities, batches of 1,000 new activities of
// sampled live users, dated within the last hour.
func (b *runner) ingest(ctx context.Context) Result {
	p, err := b.population(ctx)
	if err != nil {
		return setupFailed(err)
	}
	if len(p.live) == 0 {
		return Result{Skipped: "the tenant has no live users"}
	}
	return b.timed(ctx, "activities", func(ctx context.Context, rec *recorder) bool {
		now := time.Now()
		batch := make([]client.NewActivity, batchSize)
		for i := range batch {
			batch[i] = client.NewActivity{
				ID:     fmt.Sprintf("%s-a%d-%d", b.prefix, rec.worker, rec.op),
				UserID: rec.pick(p.live), Type: activityTypes[rec.op%len(activityTypes)],
				Date:        now.Add(-time.Duration(rec.rng.Int64N(int64(time.Hour)))),
				ContextType: "content", ContextID: fmt.Sprintf("c%023x", rec.op%500),
				Name: "Activity", Data: json.RawMessage(`{"source":{"source":"feed"}}`),
			}
			rec.op++
		}
		rec.measure(ctx, func() (int, error) {
			res, err := b.c.IngestActivities(ctx, batch)
			if err != nil {
				return 0, err
			}
			return res.Stored, nil
		})
		return true
	})
}

// activity-window: GET /rest/v1/activities for random 24-hour windows of
// the last year, perPage=200.
func (b *runner) activityWindow(ctx context.Context) Result {
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		to := time.Now().Add(-time.Duration(rec.rng.Int64N(int64(364 * 24 * time.Hour)))).Truncate(time.Second)
		from := to.Add(-24 * time.Hour)
		rec.measure(ctx, func() (int, error) {
			res, err := b.c.ListActivities(ctx, client.ActivityParams{From: &from, To: &to, PerPage: 200})
			if err != nil {
				return 0, err
			}
			return len(res.Results), nil
		})
		return true
	})
}

// countEnrolments counts an assignment's enrolments with pages of one: a
// doubling search for an empty page, then a bisection, so about 2·log₂(n)
// small requests instead of reading every enrolment.
func (b *runner) countEnrolments(ctx context.Context, id string) (int, error) {
	has := func(k int) (bool, error) {
		list, err := b.c.ListEnrolments(ctx, id, client.EnrolmentParams{Page: k, PerPage: 1})
		return len(list) > 0, err
	}
	ok, err := has(1)
	if err != nil || !ok {
		return 0, err
	}
	lo, hi := 1, 2 // page lo has an enrolment; hi is the next guess
	for {
		if ok, err = has(hi); err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if ok, err = has(mid); err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// enrolmentTarget is --assignment, or the assignment with the most
// enrolments, and its number of enrolments.
func (b *runner) enrolmentTarget(ctx context.Context) (string, int, error) {
	if b.assignment != "" {
		n, err := b.countEnrolments(ctx, b.assignment)
		return b.assignment, n, err
	}
	var best string
	most := 0
	for page := 1; ; page++ {
		list, err := b.c.ListAssignments(ctx, client.AssignmentParams{Page: page, PerPage: 100})
		if err != nil {
			return "", 0, err
		}
		for _, a := range list {
			if a.IsDeleted {
				continue
			}
			n, err := b.countEnrolments(ctx, a.ID)
			if err != nil {
				return "", 0, err
			}
			if n > most {
				best, most = a.ID, n
			}
		}
		if len(list) < 100 {
			return best, most, nil
		}
	}
}

// enrolments: GET /rest/v1/assignments/{id}/enrolments at random pages of 100.
func (b *runner) enrolments(ctx context.Context) Result {
	id, n, err := b.enrolmentTarget(ctx)
	if err != nil {
		return setupFailed(err)
	}
	if n == 0 {
		return Result{Skipped: "no assignment has enrolments"}
	}
	fmt.Fprintf(b.log, "bench: enrolments: assignment %s, %d enrolments\n", id, n)
	pages := (n + 99) / 100
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		page := 1 + rec.rng.IntN(pages)
		rec.measure(ctx, func() (int, error) {
			list, err := b.c.ListEnrolments(ctx, id, client.EnrolmentParams{Page: page, PerPage: 100})
			return len(list), err
		})
		return true
	})
}

// userSample is what bench learnt about the tenant's users.
type userSample struct {
	sample []string // ids of up to sampleUsers users spread over the tenant
	live   []string // the sampled users that are not erased
	refs   []string // their refs, SCIM's userNames
}
