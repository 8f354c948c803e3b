package lethe

import (
	"context"
	"time"
)

// StoredAnswer is the first answer of a call made with an Idempotency-Key:
// the status, the answer without the request's identifiers or user ids, and
// the user each result names, by position. Users is read back without the
// users erased since (or by the call itself): a kept answer never names an
// erased person.
type StoredAnswer struct {
	Status int
	Answer []byte
	Users  map[int]LearnerID
}

// IdempotencyWindow is how long the first answer of a call made with an
// Idempotency-Key is kept and replayed; an older one is never replayed.
const IdempotencyWindow = 24 * time.Hour

// IdempotencyLease is how long a call holds its Idempotency-Key without
// renewing it; a holder that stops renewing (a crashed process) loses the
// key to the next call with it once this passes.
const IdempotencyLease = 15 * time.Second

// IdempotencyService keeps the first answers of calls made with an
// Idempotency-Key, scoped to the tenant of the Actor in ctx. A key is held
// by one call at a time: ClaimKey answers the first answer, or gives the
// caller a hold of the key; the holder renews it while it works and ends
// with SaveAnswer (or ReleaseKey when it failed and keeps no answer).
type IdempotencyService interface {
	// ClaimKey returns the first answer of key, or a hold when the caller
	// now holds key. While another call holds it, ClaimKey waits for its
	// answer (or for ctx). EConflict when key came with another body within
	// the window.
	ClaimKey(ctx context.Context, key string, body []byte) (*StoredAnswer, *KeyHold, error)
	// RenewKey keeps the key held for another IdempotencyLease.
	RenewKey(ctx context.Context, h *KeyHold) error
	// SaveAnswer keeps the answer of the call holding the key for
	// IdempotencyWindow and returns it as every retry will read it.
	// EConflict when the hold was lost: the holder stopped renewing, and
	// another call took the key over.
	SaveAnswer(ctx context.Context, h *KeyHold, a StoredAnswer) (*StoredAnswer, error)
	// ReleaseKey gives up the key: the next call with it acts anew. A hold
	// lost to another call releases nothing.
	ReleaseKey(ctx context.Context, h *KeyHold) error
}

// KeyHold is a call's hold of an Idempotency-Key. Its token, random and
// new at every claim, is what renewing, saving and releasing check: a call
// that lost the key (it stopped renewing, and another took it over) can
// neither save over the new holder's answer nor free its hold.
type KeyHold struct {
	Key   string
	Token string
}
