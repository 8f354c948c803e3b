package jobs

import (
	"context"
	"log/slog"
	"time"
)

// The work of the loops, as the store's services offer it. Each count is of
// the things done, for the log.
type (
	// Enrolments finishes the enrolments of new assignments whose batches
	// a stopped process left unfinished.
	Enrolments interface {
		ResumeEnrolments(ctx context.Context) (int, error)
	}
	// Erasures runs the erasures whose grace period has ended.
	Erasures interface {
		RunDueErasures(ctx context.Context) (int, error)
	}
	// Audits runs the dormant-account audits whose schedule is due.
	Audits interface {
		RunScheduledAudits(ctx context.Context) (int, error)
	}
	// Answers purges the idempotent answers older than their window.
	Answers interface {
		PurgeAnswers(ctx context.Context) (int, error)
	}
	// Jobs runs queued durable jobs and removes expired ones.
	Jobs interface {
		RunJobs(ctx context.Context) (int, error)
		SweepJobs(ctx context.Context) (int, error)
	}
	// Rewriter rewrites the personal-data tables (PostgreSQL, VACUUM FULL)
	// when anyone was erased since the last rewrite.
	Rewriter interface {
		RewriteDue(ctx context.Context) (bool, error)
		RewritePersonalData(ctx context.Context) error
	}
)

// Resume finishes, at start and then every interval, the enrolments of new
// assignments whose batches a stopped process left unfinished.
func Resume(e Enrolments, every time.Duration, logger *slog.Logger) Loop {
	return Loop{Every: every, Step: func(ctx context.Context) {
		counted(ctx, logger, "resume enrolments", "resumed enrolments", "assignments", e.ResumeEnrolments)
	}}
}

// Policy runs, at start and every interval, in this order: the purge of
// idempotent answers older than their window, the erasures whose grace
// period has ended and the dormant-account audits whose schedule is due.
// They are rows in the database: any process may run them, and one that was
// down runs them late, never not at all.
func Policy(answers Answers, erasures Erasures, audits Audits, every time.Duration, logger *slog.Logger) Loop {
	return Loop{Every: every, Step: func(ctx context.Context) {
		counted(ctx, logger, "purge idempotent answers", "purged idempotent answers", "answers", answers.PurgeAnswers)
		counted(ctx, logger, "run due erasures", "ran due erasures", "erased", erasures.RunDueErasures)
		counted(ctx, logger, "run scheduled audits", "ran scheduled audits", "previews", audits.RunScheduledAudits)
	}}
}

// SweepEvery is how often the job loop removes the jobs finished longer ago
// than the retention, and those a stopped process left half-written.
const SweepEvery = time.Minute

// DurableJobs runs durable jobs: at start (a job a crash interrupted resumes
// where it stopped), when a request queues one (a receive on queued), and
// every interval (jobs queued through other processes). At start and then
// every SweepEvery it sweeps the expired jobs first.
func DurableJobs(j Jobs, queued <-chan struct{}, every time.Duration, logger *slog.Logger) Loop {
	var swept time.Time
	return Loop{Every: every, Wake: queued, Step: func(ctx context.Context) {
		if time.Since(swept) >= SweepEvery {
			swept = time.Now()
			counted(ctx, logger, "remove expired jobs", "removed expired jobs", "jobs", j.SweepJobs)
		}
		counted(ctx, logger, "run jobs", "ran jobs", "items", j.RunJobs)
	}}
}

// Rewrite rewrites the personal-data tables every interval (the first time
// one interval after start) when anyone was erased since the last rewrite,
// by any process: the marks are in the database. So no erased byte stays in
// free page space (see docs/deploy.md).
func Rewrite(r Rewriter, every time.Duration, logger *slog.Logger) Loop {
	return Loop{Every: every, Delay: true, Step: func(ctx context.Context) {
		due, err := r.RewriteDue(ctx)
		if err != nil {
			logger.Error("rewrite personal data", "error", err.Error())
			return
		}
		if !due {
			return
		}
		start := time.Now()
		if err := r.RewritePersonalData(ctx); err != nil {
			logger.Error("rewrite personal data", "error", err.Error())
			return
		}
		logger.Info("rewrote personal data", "duration_ms", time.Since(start).Milliseconds())
	}}
}

// Delivery is the webhook engine (internal/webhook): it runs until its
// context ends.
type Delivery interface {
	Run(ctx context.Context)
}

// Deliver runs the webhook engine for as long as the runner runs; if it
// ever returns early it is started again after a second.
func Deliver(d Delivery) Loop {
	return Loop{Every: time.Second, Step: d.Run}
}

// Events prunes the events older than the retention whose deliveries are
// done.
type Events interface {
	PruneEvents(ctx context.Context, retention time.Duration) (int, error)
}

// PruneEvents removes, at start and every interval, the events older than
// retention (and their deliveries and attempts) that nothing waits for.
func PruneEvents(e Events, retention, every time.Duration, logger *slog.Logger) Loop {
	return Loop{Every: every, Step: func(ctx context.Context) {
		counted(ctx, logger, "prune events", "pruned events", "events", func(ctx context.Context) (int, error) {
			return e.PruneEvents(ctx, retention)
		})
	}}
}
