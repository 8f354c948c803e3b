package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/console"
	"github.com/lethehq/lethe/internal/jobs"
	"github.com/lethehq/lethe/internal/rest"
	"github.com/lethehq/lethe/internal/scim"
	"github.com/lethehq/lethe/internal/server"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/lethehq/lethe/internal/webhook"
	"github.com/spf13/cobra"
)

// serveOptions are the flags of lethe serve.
type serveOptions struct {
	addr, dsn, signingKey, pprofAddr string
	pool, maxJobItems                int
	rewrite, jobRetention            time.Duration
	demo                             bool
	// Webhooks: private targets allowed, how long events are kept, and
	// the delivery lease (hidden: the crash tests shorten it).
	webhooksAllowPrivate, webhooksDeliver        bool
	eventRetention, webhookLease, webhookTimeout time.Duration
}

func newServeCmd(e env) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server",
		Long: `Run the HTTP server until SIGINT or SIGTERM, then let in-flight requests finish, stop the
background work and close the database cleanly. Logs are JSON on standard error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := noArgs("serve", args); err != nil {
				return err
			}
			return runServe(cmd.Context(), e, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	bindEnv(fs, "addr", "LETHE_ADDR")
	fs.StringVar(&o.dsn, "db", defaultDB, "database: a SQLite file path or a postgres:// URL")
	bindEnv(fs, "db", "LETHE_DB")
	fs.IntVar(&o.pool, "db-pool", 10, "PostgreSQL connection pool size")
	bindEnv(fs, "db-pool", "LETHE_DB_POOL")
	fs.DurationVar(&o.rewrite, "rewrite-interval", 24*time.Hour,
		"PostgreSQL: how often to rewrite the personal-data tables after erasures (VACUUM FULL); 0 disables")
	bindEnv(fs, "rewrite-interval", "LETHE_REWRITE_INTERVAL")
	fs.BoolVar(&o.demo, "demo", false, "create the demo tenant and sample users (idempotent)")
	fs.StringVar(&o.signingKey, "signing-key", "",
		"Ed25519 key that signs erasure receipts: a base64 seed or private key, or a file holding one; default: a key generated on first start and kept in the database")
	bindEnv(fs, "signing-key", "LETHE_SIGNING_KEY")
	fs.IntVar(&o.maxJobItems, "max-job-items", lethe.DefaultMaxJobItems,
		"the most users a job (POST /lethe/v1/jobs) may name; its body may carry 64 bytes per user")
	bindEnv(fs, "max-job-items", "LETHE_MAX_JOB_ITEMS")
	fs.DurationVar(&o.jobRetention, "job-retention", lethe.DefaultJobRetention,
		"how long a finished job and its per-item results are kept; 0 keeps them")
	bindEnv(fs, "job-retention", "LETHE_JOB_RETENTION")
	fs.BoolVar(&o.webhooksAllowPrivate, "webhooks-allow-private", false,
		"let webhook subscriptions name http:// URLs and private, loopback or link-local addresses (local testing)")
	bindEnv(fs, "webhooks-allow-private", "LETHE_WEBHOOKS_ALLOW_PRIVATE")
	fs.BoolVar(&o.webhooksDeliver, "webhooks-deliver", true,
		"deliver webhook events from this process; with false it only writes them, for other processes to deliver")
	bindEnv(fs, "webhooks-deliver", "LETHE_WEBHOOKS_DELIVER")
	fs.DurationVar(&o.eventRetention, "event-retention", 30*24*time.Hour,
		"how long delivered events and their attempts are kept (user.deleted deliveries stay: receipts show them)")
	bindEnv(fs, "event-retention", "LETHE_EVENT_RETENTION")
	fs.DurationVar(&o.webhookLease, "webhooks-lease", 60*time.Second, "how long a process holds a delivery it claimed")
	fs.DurationVar(&o.webhookTimeout, "webhooks-timeout", 15*time.Second, "how long one delivery attempt may take")
	_ = fs.MarkHidden("webhooks-lease")
	_ = fs.MarkHidden("webhooks-timeout")
	fs.StringVar(&o.pprofAddr, "pprof", "", "serve Go profiles (net/http/pprof) on this separate address, e.g. 127.0.0.1:6060; off by default")
	bindEnv(fs, "pprof", "LETHE_PPROF")
	return cmd
}

// check returns the usage error of o, if any.
func (o serveOptions) check() error {
	switch {
	case o.pool < 1:
		return usageError{"serve: --db-pool must be at least 1"}
	case o.maxJobItems < 1:
		return usageError{"serve: --max-job-items must be at least 1"}
	case o.jobRetention < 0:
		return usageError{"serve: --job-retention must not be negative"}
	case o.eventRetention < time.Hour:
		return usageError{"serve: --event-retention must be at least 1h"}
	case o.webhookTimeout < time.Second || o.webhookLease < o.webhookTimeout+3*time.Second:
		return usageError{"serve: --webhooks-timeout must be at least 1s, and --webhooks-lease 3s longer"}
	}
	return nil
}

// runServe runs the HTTP server until ctx ends (SIGINT or SIGTERM), then lets
// in-flight requests finish and closes the database cleanly.
func runServe(ctx context.Context, e env, o serveOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, nil))
	opts := []sqldb.Option{sqldb.WithMaxConns(o.pool), sqldb.WithLogger(logger)}
	if o.signingKey != "" {
		key, err := readSigningKey(o.signingKey)
		if err != nil {
			return usageError{"serve: --signing-key: " + err.Error()}
		}
		opts = append(opts, sqldb.WithSigningKey(key))
	}
	db, err := sqldb.Open(ctx, o.dsn, opts...)
	if err != nil {
		return err
	}
	db.AllowPrivateWebhooks = o.webhooksAllowPrivate
	defer func() {
		if err := db.Close(); err != nil {
			logger.Error("close database", "error", err.Error())
		}
		logger.Info("stopped")
	}()
	s := newServices(db, o)
	if o.demo {
		if err := setUpDemo(ctx, db, s.tenants, s.users); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	srv := server.New(server.Config{Logger: logger, Tenants: s.tenants, REST: s.rest(db, o, logger), SCIM: s.scim(db, logger),
		Console: s.console(db, logger),
		OAuth:   sqldb.NewOAuthService(db), Ready: db.Ping})
	if o.pprofAddr != "" {
		if err := servePprof(ctx, o.pprofAddr, logger); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	if o.demo {
		printDemo(e, ln.Addr().String())
	}
	logger.Info("listening", "addr", ln.Addr().String(), "database", db.Dialect(), "schema_version", sqldb.SchemaVersion())
	// The background loops end before the database closes (the deferred
	// Close runs after this), whatever ended Serve.
	loops := jobs.NewRunner(ctx)
	defer loops.Stop()
	if o.rewrite > 0 && db.RewritesFiles() {
		loops.Go(jobs.Rewrite(db, o.rewrite, logger))
	}
	loops.Go(jobs.Resume(s.assignments, time.Minute, logger))
	loops.Go(jobs.Policy(s.bulk, s.users, s.jobs, time.Minute, logger))
	loops.Go(jobs.DurableJobs(s.jobs, s.queued, 5*time.Second, logger))
	engine := webhook.New(s.webhooks, webhook.Options{Owner: processName(), AllowPrivate: o.webhooksAllowPrivate,
		Lease: o.webhookLease, Timeout: o.webhookTimeout, Logger: logger})
	if o.webhooksDeliver {
		db.EventsEmitted = engine.Wake
		loops.Go(jobs.Deliver(engine))
	}
	loops.Go(jobs.PruneEvents(s.webhooks, o.eventRetention, time.Hour, logger))
	return srv.Serve(ctx, ln)
}

// services are the store's services that serve shares between the API and
// the background loops.
type services struct {
	tenants     *sqldb.TenantService
	users       *sqldb.UserService
	assignments *sqldb.AssignmentService
	jobs        *sqldb.JobService
	bulk        *sqldb.BulkService
	webhooks    *sqldb.WebhookService
	queued      chan struct{} // a request queued a job: the job loop runs at once
}

func newServices(db *sqldb.DB, o serveOptions) services {
	s := services{tenants: sqldb.NewTenantService(db), users: sqldb.NewUserService(db), assignments: sqldb.NewAssignmentService(db),
		jobs: sqldb.NewJobService(db), bulk: sqldb.NewBulkService(db), webhooks: sqldb.NewWebhookService(db),
		queued: make(chan struct{}, 1)}
	s.jobs.MaxItems, s.jobs.Retention = o.maxJobItems, o.jobRetention
	return s
}

// rest is the API handler over the store.
func (s services) rest(db *sqldb.DB, o serveOptions, logger *slog.Logger) *rest.Handler {
	return &rest.Handler{
		Users: s.users, Provisioning: sqldb.NewProvisioningService(db), Logger: logger,
		Audiences: sqldb.NewAudienceService(db), Assignments: s.assignments,
		Enrolments: sqldb.NewEnrolmentService(db), Completions: sqldb.NewCompletionService(db),
		Tags: sqldb.NewTagService(db), CPD: sqldb.NewCPDService(db),
		Settings: sqldb.NewSettingsService(db), SigningKey: db.SigningKey(), Reports: sqldb.NewReportService(db),
		SCIMTokens: sqldb.NewSCIMTokenService(db), OAuth: sqldb.NewOAuthService(db), Webhooks: s.webhooks,
		Bulk: s.bulk, Jobs: s.jobs, JobsQueued: s.queued, MaxJobItems: o.maxJobItems,
		Contents: sqldb.NewContentService(db), Activities: sqldb.NewActivityService(db),
		Now: func() time.Time { return db.Now() },
	}
}

// console is the admin console over the store.
func (s services) console(db *sqldb.DB, logger *slog.Logger) *console.Handler {
	return console.New(console.Config{Logger: logger, Accounts: sqldb.NewConsoleService(db), Users: s.users, Jobs: s.jobs,
		JobsQueued: s.queued, Settings: sqldb.NewSettingsService(db), Tenants: s.tenants, SCIMTokens: sqldb.NewSCIMTokenService(db),
		OAuth: sqldb.NewOAuthService(db), Webhooks: s.webhooks, Trail: sqldb.NewTrailService(db), Reports: sqldb.NewReportService(db),
		Completions: sqldb.NewCompletionService(db), CPD: sqldb.NewCPDService(db),
		SigningKey: db.SigningKey(), Now: db.Now})
}

// scim is the SCIM 2.0 handler over the store.
func (s services) scim(db *sqldb.DB, logger *slog.Logger) *scim.Handler {
	return &scim.Handler{SCIM: sqldb.NewSCIMService(db), Tokens: sqldb.NewSCIMTokenService(db),
		Settings: sqldb.NewSettingsService(db), Logger: logger}
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
			// Not the path error's text: v may be the key itself, mistyped.
			var pe *fs.PathError
			if errors.As(rerr, &pe) {
				rerr = pe.Err
			}
			return nil, fmt.Errorf("neither a base64 key nor a readable file (%v)", rerr)
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

// processName names this process in webhook leases: host and pid.
func processName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}
