package lethe

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
