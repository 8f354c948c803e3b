package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/lethehq/lethe"
	"github.com/lethehq/lethe/internal/sqldb"
	"github.com/spf13/cobra"
)

// checkpointKind names a trail checkpoint among signed documents.
const checkpointKind = "lethe.trail-checkpoint"

// trailCheckpoint is what `lethe trail checkpoint` signs: every tenant's
// trail head at one moment.
type trailCheckpoint struct {
	CheckpointVersion int         `json:"checkpointVersion"`
	Kind              string      `json:"kind"`
	IssuedAt          string      `json:"issuedAt"`
	Heads             []trailHead `json:"heads"`
}

type trailHead struct {
	TenantID string `json:"tenantId"`
	Seq      int64  `json:"seq"`
	Hash     string `json:"hash"` // hex
}

func newTrailCmd(e env) *cobra.Command {
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the trail and its anchors (exit 1: broken)",
		Long: `Check every tenant's hash-chained trail, and that it still reaches each kept checkpoint or
erasure receipt given with --anchor; exit 1 when an entry was changed, removed or inserted.`,
	}
	var anchors []string
	verify.Flags().StringArrayVar(&anchors, "anchor", nil, "a `FILE` holding a signed trail checkpoint or erasure receipt the trail must still reach (repeatable)")
	publicKey := verify.Flags().String("public-key", "", "the Ed25519 public key (base64) anchors were signed with; default: the signing key's")
	checkpoint := &cobra.Command{Use: "checkpoint", Short: "Print a signed checkpoint of every tenant's trail head"}
	for _, c := range []*cobra.Command{verify, checkpoint} {
		dsn := dbFlag(c.Flags())
		signingKey := c.Flags().String("signing-key", "",
			"the Ed25519 key serve signs receipts with, when given to serve; default: the key kept in the database")
		bindEnv(c.Flags(), "signing-key", "LETHE_SIGNING_KEY")
		c.RunE = func(cmd *cobra.Command, args []string) error {
			t := trailRun{name: cmd.Name(), dsn: *dsn, signingKey: *signingKey, anchors: anchors}
			if cmd == verify {
				t.publicKey = *publicKey
			}
			return t.run(cmd.Context(), e, args)
		}
	}
	return group("trail", "Verify the trail and print checkpoints (on the database)", verify, checkpoint)
}

// trailRun is one lethe trail verify or checkpoint.
type trailRun struct {
	name, dsn, signingKey, publicKey string
	anchors                          []string
}

// run: lethe trail verify [--db DB] [--anchor FILE]... checks every
// tenant's trail, and that it still reaches every anchor, and exits
// non-zero when an entry was changed, removed or inserted; lethe trail
// checkpoint [--db DB] prints a signed checkpoint of every tenant's head.
func (t trailRun) run(ctx context.Context, e env, args []string) error {
	if err := noArgs("trail "+t.name, args); err != nil {
		return err
	}
	var opts []sqldb.Option
	if t.signingKey != "" {
		key, err := readSigningKey(t.signingKey)
		if err != nil {
			return usageError{"trail " + t.name + ": --signing-key: " + err.Error()}
		}
		opts = append(opts, sqldb.WithSigningKey(key))
	}
	var pub ed25519.PublicKey
	if t.publicKey != "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(t.publicKey))
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return usageError{"trail verify: --public-key must be the base64 of a 32-byte Ed25519 public key"}
		}
		pub = raw
	}
	db, err := sqldb.Open(ctx, t.dsn, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	if pub == nil {
		pub = db.SigningKey().Public().(ed25519.PublicKey)
	}
	if t.name == "checkpoint" {
		return trailCheckpointCmd(ctx, e, db)
	}
	return trailVerify(ctx, e, db, pub, t.anchors)
}

// trailCheckpointCmd prints a signed checkpoint of every tenant's head.
func trailCheckpointCmd(ctx context.Context, e env, db *sqldb.DB) error {
	heads, err := db.TrailHeads(ctx)
	if err != nil {
		return err
	}
	cp := trailCheckpoint{CheckpointVersion: 1, Kind: checkpointKind, IssuedAt: time.Now().UTC().Format(time.RFC3339Nano),
		Heads: []trailHead{}}
	for _, h := range heads {
		cp.Heads = append(cp.Heads, trailHead{TenantID: string(h.TenantID), Seq: h.Seq, Hash: hex.EncodeToString(h.Hash)})
	}
	signed, err := lethe.SignReceipt(db.SigningKey(), cp)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, signed, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = e.stdout.Write(out.Bytes())
	return err
}

func trailVerify(ctx context.Context, e env, db *sqldb.DB, pub ed25519.PublicKey, files []string) error {
	var anchors []sqldb.TrailAnchor
	for _, f := range files {
		a, err := readAnchors(f, pub)
		if err != nil {
			return err
		}
		anchors = append(anchors, a...)
	}
	n, problems, err := db.VerifyTrail(ctx)
	if err != nil {
		return err
	}
	missed, err := db.CheckAnchors(ctx, anchors)
	if err != nil {
		return err
	}
	problems = append(problems, missed...)
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("the trail is broken: %d problem(s) in %d entries and %d anchor(s)", len(problems), n, len(anchors))
	}
	if len(anchors) == 0 {
		fmt.Fprintf(e.stdout, "audit trail intact: %d entries (no anchor given: a cut at the end with its head rewritten would not show)\n", n)
		return nil
	}
	fmt.Fprintf(e.stdout, "audit trail intact: %d entries, reaching %d anchor(s)\n", n, len(anchors))
	return nil
}

// readAnchors reads the anchors of a file: a trail checkpoint (one per
// tenant) or an erasure receipt with a trail member. Its signature must be
// pub's: a changed or forged anchor is refused.
func readAnchors(file string, pub ed25519.PublicKey) ([]sqldb.TrailAnchor, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	if err := lethe.VerifyReceipt(pub, b); err != nil {
		return nil, fmt.Errorf("anchor %s is refused: %w", file, err)
	}
	var doc struct {
		Kind     string      `json:"kind"`
		TenantID string      `json:"tenantId"`
		Trail    *trailHead  `json:"trail"`
		Heads    []trailHead `json:"heads"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("anchor %s: %w", file, err)
	}
	var heads []trailHead
	switch {
	case doc.Kind == checkpointKind:
		heads = doc.Heads
	case doc.Trail != nil && doc.TenantID != "":
		doc.Trail.TenantID = doc.TenantID
		heads = []trailHead{*doc.Trail}
	default:
		return nil, fmt.Errorf("anchor %s is neither a trail checkpoint nor an erasure receipt with a trail member", file)
	}
	var out []sqldb.TrailAnchor
	for _, h := range heads {
		hash, err := hex.DecodeString(h.Hash)
		if err != nil || h.TenantID == "" || h.Seq < 0 {
			return nil, fmt.Errorf("anchor %s: a head needs a tenantId, a seq of 0 or more and a hex hash", file)
		}
		a := sqldb.TrailAnchor{From: file}
		a.TenantID, a.Seq, a.Hash = lethe.TenantID(h.TenantID), h.Seq, hash
		out = append(out, a)
	}
	return out, nil
}
