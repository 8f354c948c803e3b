package client

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// Erasure is the signed receipt of an erasure or an anonymization: ids,
// labels, counts and times only.
type Erasure struct {
	ReceiptVersion int       `json:"receiptVersion"`
	TenantID       string    `json:"tenantId"`
	UserID         string    `json:"userId"`
	Mode           string    `json:"mode"` // "erase" or "anonymize"
	Irreversible   bool      `json:"irreversible"`
	Statement      string    `json:"statement"`
	RequestedAt    time.Time `json:"requestedAt"`
	ErasedAt       time.Time `json:"erasedAt"`
	Source         string    `json:"source"`
	Actor          string    `json:"actor"`
	// Erased counts what was removed or made unreadable, by category, e.g. "person": 1.
	Erased map[string]int `json:"erased"`
	// Kept counts the records that stayed, by kind, e.g. "statusHistory": 3.
	Kept map[string]int `json:"kept"`
	// KeptPolicies names the policy that kept each kind ("pseudonymize").
	KeptPolicies map[string]string `json:"keptPolicies"`
	Verification struct {
		Passed    bool      `json:"passed"`
		CheckedAt time.Time `json:"checkedAt"`
		Checks    []struct {
			Name  string `json:"name"`
			Found int    `json:"found"`
		} `json:"checks"`
	} `json:"verification"`
	// Trail is where the tenant's trail stood at the erasure (absent
	// for erasures older than trail anchors): keep the receipt, and it
	// anchors the trail (lethe trail verify --anchor).
	Trail *struct {
		Seq  int64  `json:"seq"`
		Hash string `json:"hash"` // hex
	} `json:"trail"`
	IssuedAt  time.Time `json:"issuedAt"`
	Signature struct {
		Algorithm string `json:"algorithm"`
		PublicKey string `json:"publicKey"`
		Value     string `json:"value"`
	} `json:"signature"`
}

// GetErasure returns the receipt of the erased or anonymized user with id
// (GET /lethe/v1/erasures/{userId}). Not found when the user was not erased.
func (c *Client) GetErasure(ctx context.Context, id string) (*Erasure, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Erasure](ctx, c, call{method: "GET", pattern: "/lethe/v1/erasures/{userId}", args: []string{id}})
}

// GetErasureReceipt returns the receipt exactly as the server signed it,
// to keep or to check offline (lethe erasure verify).
func (c *Client) GetErasureReceipt(ctx context.Context, id string) (json.RawMessage, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	var raw json.RawMessage
	err := c.do(ctx, call{method: "GET", pattern: "/lethe/v1/erasures/{userId}", args: []string{id}}, &raw)
	return raw, err
}

// PublicKey is the key erasure receipts are signed with.
type PublicKey struct {
	Algorithm string `json:"algorithm"` // "Ed25519"
	PublicKey string `json:"publicKey"` // base64
}

// GetErasurePublicKey returns the server's receipt key (GET
// /lethe/v1/erasures/public-key).
func (c *Client) GetErasurePublicKey(ctx context.Context) (*PublicKey, error) {
	return doInto[PublicKey](ctx, c, call{method: "GET", pattern: "/lethe/v1/erasures/public-key"})
}

// AnonymizeUser keeps the account with random personal fields, suspended for
// good, and erases everything else (POST /lethe/v1/users/{id}/anonymize). It
// returns the receipt. It cannot be undone.
func (c *Client) AnonymizeUser(ctx context.Context, id string) (*Erasure, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Erasure](ctx, c, call{method: "POST", pattern: "/lethe/v1/users/{id}/anonymize", args: []string{id}})
}

// Deletion is what a delete by id did.
type Deletion struct {
	UserID  string     `json:"userId"`
	Outcome string     `json:"outcome"` // erased, scheduled, repeated or purged
	DueAt   *time.Time `json:"dueAt"`   // for a scheduled erasure
}

// DeleteUserByID erases the user with id as the tenant's deletion policy says
// (DELETE /lethe/v1/users/{id}): at once, or after the grace period.
func (c *Client) DeleteUserByID(ctx context.Context, id string) (*Deletion, error) {
	return c.deleteByID(ctx, id, "erase")
}

// PurgeUser removes an account that was never used and everything about it
// (DELETE /lethe/v1/users/{id}?mode=purge). Conflict, saying why, when the
// account has history.
func (c *Client) PurgeUser(ctx context.Context, id string) (*Deletion, error) {
	return c.deleteByID(ctx, id, "purge")
}

func (c *Client) deleteByID(ctx context.Context, id, mode string) (*Deletion, error) {
	if id == "" {
		return nil, errEmpty("id")
	}
	return doInto[Deletion](ctx, c, call{method: "DELETE", pattern: "/lethe/v1/users/{id}", args: []string{id},
		query: url.Values{"mode": {mode}}})
}

// Settings are a tenant's settings.
type Settings struct {
	Deletion struct {
		Mode          string `json:"mode"` // "erase" or "restricted"
		GraceDays     int    `json:"graceDays"`
		TombstoneDays int    `json:"tombstoneDays"`
	} `json:"deletion"`
	UpdatedAt *time.Time `json:"updatedAt"`
}

// DeletionSettings changes the deletion policy; nil leaves a value.
type DeletionSettings struct {
	Mode          *string `json:"mode,omitempty"`
	GraceDays     *int    `json:"graceDays,omitempty"`
	TombstoneDays *int    `json:"tombstoneDays,omitempty"`
}

// GetSettings returns the tenant's settings (GET /lethe/v1/settings).
func (c *Client) GetSettings(ctx context.Context) (*Settings, error) {
	return doInto[Settings](ctx, c, call{method: "GET", pattern: "/lethe/v1/settings"})
}

// UpdateDeletionSettings changes the tenant's deletion policy (PATCH
// /lethe/v1/settings).
func (c *Client) UpdateDeletionSettings(ctx context.Context, d DeletionSettings) (*Settings, error) {
	return doInto[Settings](ctx, c, call{method: "PATCH", pattern: "/lethe/v1/settings",
		in: map[string]any{"deletion": d}})
}
