package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/rest"
	"github.com/lethehq/lethe/internal/server"
	"github.com/lethehq/lethe/internal/sqldb"
)

// runServe runs the HTTP server until ctx ends (SIGINT or SIGTERM), then lets
// in-flight requests finish and closes the database cleanly.
func runServe(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "serve")
	addr := fs.String("addr", envOr(e, "LETHE_ADDR", "127.0.0.1:8080"), "listen address (env LETHE_ADDR)")
	dsn := fs.String("db", envOr(e, "LETHE_DB", defaultDB), "database: a SQLite file path or a postgres:// URL (env LETHE_DB)")
	pool := fs.Int("db-pool", 10, "PostgreSQL connection pool size")
	rewrite := fs.Duration("rewrite-interval", 24*time.Hour,
		"PostgreSQL: how often to rewrite the personal-data tables after erasures (VACUUM FULL); 0 disables")
	demo := fs.Bool("demo", false, "create the demo tenant and sample users (idempotent)")
	signingKey := fs.String("signing-key", envOr(e, "LETHE_SIGNING_KEY", ""),
		"Ed25519 key that signs erasure receipts: a base64 seed or private key, or a file holding one (env LETHE_SIGNING_KEY); default: a key generated on first start and kept in the database")
	maxJobItems := fs.Int("max-job-items", lethe.DefaultMaxJobItems,
		"the most users a job (POST /lethe/v1/jobs) may name; its body may carry 64 bytes per user")
	jobRetention := fs.Duration("job-retention", lethe.DefaultJobRetention,
		"how long a finished job and its per-item results are kept; 0 keeps them")
	pprofAddr := fs.String("pprof", "", "serve Go profiles (net/http/pprof) on this separate address, e.g. 127.0.0.1:6060; off by default")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"serve: unexpected arguments"}
	}
	if *pool < 1 {
		return usageError{"serve: --db-pool must be at least 1"}
	}
	if *maxJobItems < 1 {
		return usageError{"serve: --max-job-items must be at least 1"}
	}
	if *jobRetention < 0 {
		return usageError{"serve: --job-retention must not be negative"}
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, nil))

	opts := []sqldb.Option{sqldb.WithMaxConns(*pool), sqldb.WithLogger(logger)}
	if *signingKey != "" {
		key, err := readSigningKey(*signingKey)
		if err != nil {
			return usageError{"serve: --signing-key: " + err.Error()}
		}
		opts = append(opts, sqldb.WithSigningKey(key))
	}
	db, err := sqldb.Open(ctx, *dsn, opts...)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			logger.Error("close database", "error", err.Error())
		}
		logger.Info("stopped")
	}()
	tenants, users, assignments := sqldb.NewTenantService(db), sqldb.NewUserService(db), sqldb.NewAssignmentService(db)
	jobs, queued, bulk := sqldb.NewJobService(db), make(chan struct{}, 1), sqldb.NewBulkService(db)
	jobs.MaxItems, jobs.Retention = *maxJobItems, *jobRetention
	if *demo {
		if err := setUpDemo(ctx, db, tenants, users); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		fmt.Fprintf(e.stdout, "Demo tenant ready.\n  tenant id: %s\n  api key:   %s\n  try: curl -u %s:%s http://%s/rest/v1/users\n",
			demoTenantID, demoAPIKey, demoTenantID, demoAPIKey, *addr)
	}

	srv := server.New(server.Config{
		Logger:  logger,
		Tenants: tenants,
		REST: &rest.Handler{
			Users: users, Provisioning: sqldb.NewProvisioningService(db), Logger: logger,
			Audiences: sqldb.NewAudienceService(db), Assignments: assignments,
			Enrolments: sqldb.NewEnrolmentService(db), Completions: sqldb.NewCompletionService(db),
			Tags: sqldb.NewTagService(db), CPD: sqldb.NewCPDService(db),
			Settings: sqldb.NewSettingsService(db), SigningKey: db.SigningKey(), Reports: sqldb.NewReportService(db),
			Bulk: bulk, Jobs: jobs, JobsQueued: queued, MaxJobItems: *maxJobItems,
			Contents: sqldb.NewContentService(db), Activities: sqldb.NewActivityService(db),
			Now: func() time.Time { return db.Now() },
		},
		Ready: db.Ping,
	})
	if *pprofAddr != "" {
		if err := servePprof(ctx, *pprofAddr, logger); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", ln.Addr().String(), "database", db.Dialect(), "schema_version", sqldb.SchemaVersion())
	// The background loops end before the database closes (the deferred
	// Close runs after this), whatever ended Serve.
	loopCtx, stopLoops := context.WithCancel(ctx)
	var loops sync.WaitGroup
	defer func() {
		stopLoops()
		loops.Wait()
	}()
	if *rewrite > 0 && db.Dialect() == "postgres" {
		loops.Go(func() { rewriteLoop(loopCtx, db, *rewrite, logger) })
	}
	loops.Go(func() { resumeLoop(loopCtx, assignments, time.Minute, logger) })
	loops.Go(func() { policyLoop(loopCtx, users, jobs, bulk, time.Minute, logger) })
	loops.Go(func() { jobLoop(loopCtx, jobs, queued, 5*time.Second, logger) })
	return srv.Serve(ctx, ln)
}

// servePprof serves the Go runtime's profiles on their own listener, never
// on the API's, until ctx ends. They show code and timings, not data; bind
// them to loopback.
func servePprof(ctx context.Context, addr string, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: --pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("pprof server", "error", err.Error())
		}
	}()
	logger.Info("pprof listening", "addr", ln.Addr().String())
	return nil
}

// resumeLoop finishes, at start and then every interval, the enrolments of
// new assignments whose batches a stopped process left unfinished.
func resumeLoop(ctx context.Context, assignments *sqldb.AssignmentService, every time.Duration, logger *slog.Logger) {
	for {
		n, err := assignments.ResumeEnrolments(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("resume enrolments", "error", err.Error())
		case n > 0:
			logger.Info("resumed enrolments", "assignments", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// policyLoop runs, at start and every interval, the erasures whose grace
// period has ended and the dormant-account audits whose schedule is due
// (they are rows in the database: any process may run them, and one that
// was down runs them late, never not at all), and purges the idempotent
// answers older than their window.
func policyLoop(ctx context.Context, users *sqldb.UserService, jobs *sqldb.JobService, bulk *sqldb.BulkService, every time.Duration,
	logger *slog.Logger) {
	for {
		n, err := bulk.PurgeAnswers(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("purge idempotent answers", "error", err.Error())
		case n > 0:
			logger.Info("purged idempotent answers", "answers", n)
		}
		n, err = users.RunDueErasures(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("run due erasures", "error", err.Error())
		case n > 0:
			logger.Info("ran due erasures", "erased", n)
		}
		n, err = jobs.RunScheduledAudits(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("run scheduled audits", "error", err.Error())
		case n > 0:
			logger.Info("ran scheduled audits", "previews", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// jobLoop runs durable jobs: at start (a job a crash interrupted resumes
// where it stopped), when a request queues one, and every interval (jobs
// queued through other processes). At start and then every minute it
// removes the jobs finished longer ago than the retention, and those a
// stopped process left half-written.
func jobLoop(ctx context.Context, jobs *sqldb.JobService, queued <-chan struct{}, every time.Duration, logger *slog.Logger) {
	var swept time.Time
	for {
		if time.Since(swept) >= time.Minute {
			swept = time.Now()
			n, err := jobs.SweepJobs(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Error("remove expired jobs", "error", err.Error())
			case n > 0:
				logger.Info("removed expired jobs", "jobs", n)
			}
		}
		n, err := jobs.RunJobs(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("run jobs", "error", err.Error())
		case n > 0:
			logger.Info("ran jobs", "items", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-queued:
		case <-time.After(every):
		}
	}
}

// rewriteLoop rewrites the personal-data tables every interval when anyone
// was erased since the last rewrite (by any process: the marks are in the
// database), so no erased byte stays in free page space (see docs/deploy.md).
func rewriteLoop(ctx context.Context, db *sqldb.DB, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		due, err := db.RewriteDue(ctx)
		if err != nil {
			logger.Error("rewrite personal data", "error", err.Error())
			continue
		}
		if !due {
			continue
		}
		start := time.Now()
		if err := db.RewritePersonalData(ctx); err != nil {
			logger.Error("rewrite personal data", "error", err.Error())
			continue
		}
		logger.Info("rewrote personal data", "duration_ms", time.Since(start).Milliseconds())
	}
}

// readSigningKey reads an Ed25519 key given as the base64 of a 32-byte seed
// or of a 64-byte private key, or as the path of a file holding one.
func readSigningKey(v string) (ed25519.PrivateKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	path := "the value"
	if err != nil {
		b, rerr := os.ReadFile(v)
		if rerr != nil {
			return nil, fmt.Errorf("neither a base64 key nor a readable file: %w", rerr)
		}
		path = v
		if raw, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(b))); err != nil {
			return nil, fmt.Errorf("%s must hold a base64 key", v)
		}
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw), nil
	}
	return nil, fmt.Errorf("%s holds %d bytes; an Ed25519 seed has %d, a private key %d", path, len(raw), ed25519.SeedSize, ed25519.PrivateKeySize)
}
