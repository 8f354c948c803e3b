package sqldb

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// TOTP (RFC 6238) as authenticator apps use it by default: HMAC-SHA-1, six
// digits, 30-second steps counted from the Unix epoch.
const (
	totpStep    = 30 // seconds
	totpDigits  = 6
	totpSkew    = 1  // steps accepted either side of now, for clock drift
	totpKeySize = 20 // bytes: RFC 4226's recommended 160 bits
)

// totpEncoding is how secrets are shown: base32 without padding.
var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// totpStepAt is the step of t.
func totpStepAt(t time.Time) int64 { return t.Unix() / totpStep }

// hotp is RFC 4226's code of key at counter, as six decimal digits.
func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000)
}

// totpMatch returns the step whose code is code, within totpSkew steps of
// now and after last (the last step accepted: a code works once); ok false
// when there is none. The code is compared in constant time.
func totpMatch(key []byte, code string, now time.Time, last int64) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits {
		return 0, false
	}
	cur := totpStepAt(now)
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		if s > last && hmac.Equal([]byte(hotp(key, s)), []byte(code)) && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}
