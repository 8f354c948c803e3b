package sqldb

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lethehq/lethe"
)

// Free text of the records kept after an erasure (an activity's name, data
// and with; a CPD entry's activity name and description) can name a person.
// It is stored sealed: AES-256-GCM under a data key of the learner the
// record belongs to (learner_keys), bound to its row. Erasing the learner
// deletes the key, so the text becomes unreadable everywhere at once (the
// row, old row versions in free page space, the WAL) without rewriting the
// records, and erasure costs the same however long the history is.

// dataKeySize is the size of a learner's data key (AES-256).
const dataKeySize = 32

// sealedText is what one sealed column holds, before sealing.
type sealedText struct {
	Name string          `json:"n,omitempty"`
	Data json.RawMessage `json:"d,omitempty"`
	With json.RawMessage `json:"w,omitempty"`
	Desc *string         `json:"s,omitempty"`
}

func (t *sealedText) empty() bool {
	return t.Name == "" && len(t.Data) == 0 && len(t.With) == 0 && t.Desc == nil
}

// sealAAD binds a sealed value to its tenant, table and row.
func sealAAD(tenant, table, row string) []byte {
	return []byte(tenant + "\x00" + table + "\x00" + row)
}

// keyring seals text under the data keys of a set of learners, with one
// cipher per learner.
type keyring struct {
	keys  map[lethe.LearnerID][]byte
	aeads map[lethe.LearnerID]cipher.AEAD
}

// seal encrypts t for a row of learner l; nil for empty text.
func (k *keyring) seal(l lethe.LearnerID, aad []byte, t *sealedText) ([]byte, error) {
	if t.empty() {
		return nil, nil
	}
	aead := k.aeads[l]
	if aead == nil {
		var err error
		if aead, err = newAEAD(k.keys[l]); err != nil {
			return nil, err
		}
		k.aeads[l] = aead
	}
	plain, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, err
	}
	return aead.Seal(out, out, plain, aad), nil
}

// unseal decrypts a sealed value. Without a key (the learner was erased) or
// without a value, the text is empty.
func unseal(key []byte, aad []byte, sealed []byte) (sealedText, error) {
	var t sealedText
	if len(sealed) == 0 || len(key) == 0 {
		return t, nil
	}
	aead, err := newAEAD(key)
	if err != nil {
		return t, err
	}
	n := aead.NonceSize()
	if len(sealed) < n {
		return t, errors.New("unseal: value too short")
	}
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return t, fmt.Errorf("unseal: %w", err)
	}
	return t, json.Unmarshal(plain, &t)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// keyring returns a keyring of learners (see dataKeys).
func (tx *Tx) keyring(ctx context.Context, learners []lethe.LearnerID) (*keyring, error) {
	keys, err := tx.dataKeys(ctx, learners)
	if err != nil {
		return nil, err
	}
	return &keyring{keys: keys, aeads: map[lethe.LearnerID]cipher.AEAD{}}, nil
}

// dataKeys returns the data keys of learners, creating the missing ones:
// per 500 learners, one query and, for new learners, one insert and one
// more query. A concurrent creation of the same key (PostgreSQL) keeps the
// first one, which the second query reads.
func (tx *Tx) dataKeys(ctx context.Context, learners []lethe.LearnerID) (map[lethe.LearnerID][]byte, error) {
	keys := map[lethe.LearnerID][]byte{}
	var ids []lethe.LearnerID
	for _, l := range learners {
		if _, ok := keys[l]; !ok {
			keys[l] = nil
			ids = append(ids, l)
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		if err := tx.loadDataKeys(ctx, ids[:n], keys); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return keys, nil
}

func (tx *Tx) loadDataKeys(ctx context.Context, ids []lethe.LearnerID, keys map[lethe.LearnerID][]byte) error {
	tenant := string(tx.actor.TenantID)
	args := []any{tenant}
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, string(id))
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	read := func() error {
		type row struct {
			id  lethe.LearnerID
			key []byte
		}
		rows, err := queryAll(ctx, tx, func(r rowScanner) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.key)
			return x, err
		}, `SELECT learner_id, data_key FROM learner_keys WHERE tenant_id = $1 AND learner_id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return fmt.Errorf("find data keys: %w", err)
		}
		for _, r := range rows {
			keys[r.id] = r.key
		}
		return nil
	}
	if err := read(); err != nil {
		return err
	}
	ins := tx.rows(`INSERT INTO learner_keys (tenant_id, learner_id, data_key, created_at) VALUES `, 4, onConflict(` ON CONFLICT DO NOTHING`))
	defer ins.close()
	missing := false
	for _, id := range ids {
		if keys[id] != nil {
			continue
		}
		key := make([]byte, dataKeySize)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		missing = true
		if err := ins.add(ctx, tenant, string(id), key, ms(tx.now)); err != nil {
			return fmt.Errorf("insert data keys: %w", err)
		}
	}
	if !missing {
		return nil
	}
	if err := ins.flush(ctx); err != nil {
		return fmt.Errorf("insert data keys: %w", err)
	}
	return read()
}
