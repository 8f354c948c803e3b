package sqldb

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Console passwords are kept as argon2id hashes in the PHC string format,
// $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH (base64 without padding), with
// OWASP's minimum parameters: 19 MiB of memory, 2 passes, 1 lane. A hash
// is verified with the parameters it names, so raising them later leaves
// the stored hashes working.
const (
	argon2Memory  = 19 * 1024 // KiB
	argon2Passes  = 2
	argon2Lanes   = 1
	argon2SaltLen = 16
	argon2KeyLen  = 32
)

var phcEncoding = base64.RawStdEncoding

// passwordInput is the form of a password that is hashed: Unicode NFC, so
// a password typed with a precomposed é or with e and a combining accent
// is one password.
func passwordInput(password string) []byte { return []byte(norm.NFC.String(password)) }

// hashPassword returns the PHC string of password under a new salt.
func hashPassword(password string) string {
	salt := make([]byte, argon2SaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	key := argon2.IDKey(passwordInput(password), salt, argon2Passes, argon2Memory, argon2Lanes, argon2KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argon2Memory, argon2Passes, argon2Lanes,
		phcEncoding.EncodeToString(salt), phcEncoding.EncodeToString(key))
}

// phcHash is a parsed PHC string.
type phcHash struct {
	memory, passes uint32
	lanes          uint8
	salt, key      []byte
}

// parsePHC reads an argon2id PHC string; ok false when it is not one, or
// names parameters beyond sane bounds (a stored value is not trusted to
// make the server spend gigabytes).
func parsePHC(s string) (h phcHash, ok bool) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, false
	}
	params := map[string]uint64{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return h, false
		}
		params[k] = n
	}
	m, t, p := params["m"], params["t"], params["p"]
	if len(params) != 3 || m < 8 || m > 1<<21 || t < 1 || t > 16 || p < 1 || p > 16 {
		return h, false
	}
	var err1, err2 error
	h.salt, err1 = phcEncoding.DecodeString(parts[4])
	h.key, err2 = phcEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.salt) < 8 || len(h.key) < 16 || len(h.key) > 64 {
		return h, false
	}
	h.memory, h.passes, h.lanes = uint32(m), uint32(t), uint8(p)
	return h, true
}

// checkPassword reports whether password matches the PHC string stored.
// An unreadable stored value (or none) costs the same time as a check, so
// the answer's timing does not tell whether an account has a password.
func checkPassword(password, stored string) bool {
	h, ok := parsePHC(stored)
	if !ok {
		dummyPasswordCheck(password)
		return false
	}
	key := argon2.IDKey(passwordInput(password), h.salt, h.passes, h.memory, h.lanes, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// dummySalt is the salt of dummyPasswordCheck.
var dummySalt = make([]byte, argon2SaltLen)

// dummyPasswordCheck spends the time of a password check against nothing:
// a sign-in with an unknown email takes as long as one with a wrong
// password.
func dummyPasswordCheck(password string) {
	key := argon2.IDKey(passwordInput(password), dummySalt, argon2Passes, argon2Memory, argon2Lanes, argon2KeyLen)
	subtle.ConstantTimeCompare(key, dummySalt)
}
