package lethe

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// LearnerID is the opaque, pseudonymous identity of a learner: 24 lower-case
// hexadecimal characters, time-ordered like the vendor's ids. Every learning
// record refers to a learner by this id and by nothing else.
type LearnerID string

// TenantID identifies a tenant; it is the user name of HTTP Basic authentication.
type TenantID string

// NewID returns a new 24-hex-character id: 6 bytes of Unix milliseconds
// followed by 6 random bytes, so ids sort by creation time.
func NewID(now time.Time) string {
	var b [12]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(b[:6], ms[2:])
	if _, err := rand.Read(b[6:]); err != nil {
		panic("lethe: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// ParseID normalises s to a lower-case 24-hex id and reports whether it is one.
func ParseID(s string) (string, bool) {
	if len(s) != 24 {
		return "", false
	}
	s = strings.ToLower(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", false
		}
	}
	return s, true
}
