package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lethehq/lethe"
	"github.com/spf13/cobra"
)

func newErasureCmd(e env) *cobra.Command {
	var r remote
	show := &cobra.Command{
		Use:   "show USER_ID",
		Short: "Print the signed receipt of an erasure",
		Long:  "Print the signed receipt of an erased user, as the server signed it: keep it, or check it with lethe erasure verify.",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runErasureShow(cmd.Context(), e, r, args)
		},
	}
	r = remoteFlags(show.Flags())
	var key string
	verify := &cobra.Command{
		Use:   "verify --public-key KEY RECEIPT",
		Short: "Check a receipt offline (exit 1: invalid)",
		Long: `Check an erasure receipt offline against the server's public key (GET /lethe/v1/erasures/public-key):
exit 0 when valid, 1 when invalid or changed. RECEIPT is a file, or - for standard input.`,
		RunE: func(_ *cobra.Command, args []string) error { return runErasureVerify(e, key, args) },
	}
	verify.Flags().StringVar(&key, "public-key", "", "the server's Ed25519 public key, base64 (required)")
	return group("erasure", "Show and verify erasure receipts", show, verify)
}

// runErasureShow prints the signed receipt of an erased user, as the server
// signed it: keep it, or check it with lethe erasure verify.
func runErasureShow(ctx context.Context, e env, r remote, pos []string) error {
	if len(pos) != 1 {
		return usageError{"erasure show: want one user id"}
	}
	c, err := r.client("erasure show")
	if err != nil {
		return err
	}
	raw, err := c.GetErasureReceipt(ctx, pos[0])
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = e.stdout.Write(out.Bytes())
	return err
}

// runErasureVerify checks a receipt offline against the server's public key
// (GET /lethe/v1/erasures/public-key): exit 0 when valid, 1 when invalid or
// changed.
func runErasureVerify(e env, keyFlag string, pos []string) error {
	if keyFlag == "" || len(pos) != 1 {
		return usageError{"erasure verify: want --public-key KEY and one receipt file (- for standard input)"}
	}
	pub, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keyFlag))
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return usageError{"erasure verify: --public-key must be the base64 of a 32-byte Ed25519 public key"}
	}
	var receipt []byte
	if pos[0] == "-" {
		receipt, err = io.ReadAll(os.Stdin)
	} else {
		receipt, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return err
	}
	if err := lethe.VerifyReceipt(ed25519.PublicKey(pub), receipt); err != nil {
		return fmt.Errorf("receipt is NOT valid: %w", err)
	}
	var r struct {
		UserID, Mode, ErasedAt string
		Trail                  *struct{ Seq int64 }
	}
	_ = json.Unmarshal(receipt, &r)
	fmt.Fprintf(e.stdout, "receipt is valid: %s of user %s at %s, signed by this key\n", r.Mode, r.UserID, r.ErasedAt)
	if r.Trail != nil {
		fmt.Fprintf(e.stdout, "it anchors the trail at entry %d: keep it, and check with lethe trail verify --anchor\n", r.Trail.Seq)
	}
	return nil
}
