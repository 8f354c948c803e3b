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
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/jobs"
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
	jobService, queued, bulk := sqldb.NewJobService(db), make(chan struct{}, 1), sqldb.NewBulkService(db)
	jobService.MaxItems, jobService.Retention = *maxJobItems, *jobRetention
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
			Bulk: bulk, Jobs: jobService, JobsQueued: queued, MaxJobItems: *maxJobItems,
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
	loops := jobs.NewRunner(ctx)
	defer loops.Stop()
	if *rewrite > 0 && db.Dialect() == "postgres" {
		loops.Go(jobs.Rewrite(db, *rewrite, logger))
	}
	loops.Go(jobs.Resume(assignments, time.Minute, logger))
	loops.Go(jobs.Policy(bulk, users, jobService, time.Minute, logger))
	loops.Go(jobs.DurableJobs(jobService, queued, 5*time.Second, logger))
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
