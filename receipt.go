package lethe

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ReceiptAlgorithm is the signature algorithm of erasure receipts.
const ReceiptAlgorithm = "Ed25519"

// SignReceipt signs a receipt (any JSON object without a "signature"
// member) with key and returns it as JSON with its signature: the
// Ed25519 signature of the receipt's canonical form (CanonicalReceipt).
func SignReceipt(key ed25519.PrivateKey, receipt any) ([]byte, error) {
	b, err := json.Marshal(receipt)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		return nil, fmt.Errorf("receipt must be a JSON object: %w", err)
	}
	if _, ok := obj["signature"]; ok {
		return nil, errors.New("receipt already has a signature")
	}
	canonical, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	obj["signature"] = map[string]string{
		"algorithm": ReceiptAlgorithm,
		"publicKey": base64.StdEncoding.EncodeToString(pub),
		"value":     base64.StdEncoding.EncodeToString(ed25519.Sign(key, canonical)),
	}
	return json.Marshal(obj)
}

// CanonicalReceipt returns the bytes a receipt's signature covers: the
// receipt without its "signature" member, as JSON with object keys sorted
// and no insignificant space. Any change to any other member changes them.
func CanonicalReceipt(receipt []byte) (canonical []byte, signature string, err error) {
	d := json.NewDecoder(bytes.NewReader(receipt))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		return nil, "", fmt.Errorf("receipt is not a JSON object: %w", err)
	}
	sig, ok := obj["signature"].(map[string]any)
	if !ok {
		return nil, "", errors.New("receipt has no signature")
	}
	if sig["algorithm"] != ReceiptAlgorithm {
		return nil, "", fmt.Errorf("receipt signature algorithm %v, want %s", sig["algorithm"], ReceiptAlgorithm)
	}
	value, _ := sig["value"].(string)
	delete(obj, "signature")
	canonical, err = json.Marshal(obj)
	return canonical, value, err
}

// VerifyReceipt checks a signed receipt against the server's public key. It
// fails when any member was changed, added or removed after signing, or when
// another key signed it.
func VerifyReceipt(pub ed25519.PublicKey, receipt []byte) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("public key must be %d bytes", ed25519.PublicKeySize)
	}
	canonical, value, err := CanonicalReceipt(receipt)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(value)
	if err != nil || !ed25519.Verify(pub, canonical, sig) {
		return errors.New("receipt signature does not match: the receipt was changed, or another key signed it")
	}
	return nil
}

// ReceiptStatements say, per erasure mode, what a receipt attests.
var ReceiptStatements = map[string]string{
	ModeErase: "The person's personal data was erased and cannot be restored. The records listed as kept " +
		"remain under the internal user id only; free text they carried was sealed under a key that was destroyed.",
	ModeAnonymize: "The account was anonymized, which cannot be undone: it remains, suspended for good, with " +
		"random personal fields; everything else personal was erased. The records listed as kept remain under the internal user id.",
}

// Receipt is an erasure receipt before it is signed (SignReceipt): the
// document the API answers and the console offers for download. It holds
// ids, labels, counts and times only: no personal data.
type Receipt struct {
	ReceiptVersion int               `json:"receiptVersion"`
	TenantID       string            `json:"tenantId"`
	UserID         string            `json:"userId"`
	Mode           string            `json:"mode"`
	Irreversible   bool              `json:"irreversible"`
	Statement      string            `json:"statement"`
	RequestedAt    string            `json:"requestedAt"`
	ErasedAt       string            `json:"erasedAt"`
	Source         string            `json:"source"`
	Actor          string            `json:"actor"`
	Erased         map[string]int    `json:"erased"`
	Kept           map[string]int    `json:"kept"`
	KeptPolicies   map[string]string `json:"keptPolicies"`
	Verification   ReceiptCheck      `json:"verification"`
	// Trail is where the tenant's trail stood at the erasure: kept
	// with the receipt, it anchors the trail (lethe trail verify --anchor).
	Trail *ReceiptTrailPoint `json:"trail,omitempty"`
	// Propagation lists, per subscription sent the erasure's event, its
	// receiver (host only) and whether it acknowledged; Revision is 1 plus
	// the acknowledgements, so each arrival issues a new signed revision.
	Propagation []ReceiptPropagation `json:"propagation"`
	Revision    int                  `json:"revision"`
	IssuedAt    string               `json:"issuedAt"`
}

// ReceiptPropagation is a receipt's line for one subscription.
type ReceiptPropagation struct {
	SubscriptionID string  `json:"subscriptionId"`
	Receiver       string  `json:"receiver"`
	EventID        string  `json:"eventId"`
	State          string  `json:"state"`
	Attempts       int     `json:"attempts"`
	AcknowledgedAt *string `json:"acknowledgedAt"`
}

// ReceiptTrailPoint is an entry of a tenant's trail: its seq and its hash (hex).
type ReceiptTrailPoint struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// ReceiptCheck is a receipt's verification: the erasure checked again when
// the receipt was issued.
type ReceiptCheck struct {
	Passed    bool           `json:"passed"`
	CheckedAt string         `json:"checkedAt"`
	Checks    []ReceiptCount `json:"checks"`
}

// ReceiptCount is one check: what it looked for, and how much it found.
type ReceiptCount struct {
	Name  string `json:"name"`
	Found int    `json:"found"`
}

// receiptTime is a time as receipts (and the API) write it: UTC, with
// milliseconds and Z.
func receiptTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// NewReceipt is the receipt of erasure e of a person of tenant, issued at
// issuedAt.
func NewReceipt(tenant TenantID, e *Erasure, issuedAt time.Time) *Receipt {
	rc := &Receipt{ReceiptVersion: 1, TenantID: string(tenant), UserID: string(e.LearnerID), Mode: e.Mode,
		Irreversible: true, Statement: ReceiptStatements[e.Mode], RequestedAt: receiptTime(e.RequestedAt),
		ErasedAt: receiptTime(e.ErasedAt), Source: string(e.Source), Actor: e.Actor, Erased: e.Erased, Kept: e.Kept,
		KeptPolicies: map[string]string{}, IssuedAt: receiptTime(issuedAt), Propagation: []ReceiptPropagation{}, Revision: 1}
	for kind := range e.Kept {
		rc.KeptPolicies[kind] = KeptPolicy
	}
	for _, p := range e.Propagation {
		pj := ReceiptPropagation{SubscriptionID: p.SubscriptionID, Receiver: p.Receiver, EventID: p.EventID, State: p.State,
			Attempts: p.Attempts}
		if p.AcknowledgedAt != nil {
			at := receiptTime(*p.AcknowledgedAt)
			pj.AcknowledgedAt = &at
			rc.Revision++
		}
		rc.Propagation = append(rc.Propagation, pj)
	}
	if e.Trail != nil {
		rc.Trail = &ReceiptTrailPoint{Seq: e.Trail.Seq, Hash: hex.EncodeToString(e.Trail.Hash)}
	}
	if v := e.Verification; v != nil {
		rc.Verification = ReceiptCheck{Passed: v.Passed, CheckedAt: receiptTime(v.CheckedAt), Checks: []ReceiptCount{}}
		for _, c := range v.Checks {
			rc.Verification.Checks = append(rc.Verification.Checks, ReceiptCount(c))
		}
	}
	return rc
}
