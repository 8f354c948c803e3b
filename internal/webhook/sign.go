package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Sign sets the signature headers of a delivery of body, an attempt of
// event id made at t, keyed with secret:
//
//   - x-hmac-signature: sha256=<hex HMAC-SHA256(secret, body)>, the
//     vendor's, when a secret is set;
//   - webhook-id, webhook-timestamp and webhook-signature (v1,<base64
//     HMAC-SHA256(secret, id "." timestamp "." body)>), Standard Webhooks,
//     always. A receiver's whsec_ secret is "whsec_" + base64(secret).
func Sign(h http.Header, secret []byte, id string, t time.Time, body []byte) {
	if len(secret) > 0 {
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		h.Set("X-Hmac-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	h.Set("Webhook-Id", id)
	h.Set("Webhook-Timestamp", ts)
	h.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
}
