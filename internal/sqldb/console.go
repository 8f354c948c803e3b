package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// ConsoleService implements lethe.ConsoleService.
//
// Session tokens and set-password tokens are 32 random bytes in base64url;
// only their keyed hashes (HMAC-SHA256 under the server secret, one
// purpose each) are stored, and a token is found by its hash alone (it
// names no tenant). Passwords are argon2id hashes (password.go). TOTP
// secrets are sealed with AES-256-GCM under a key derived from the server
// secret, bound to their account's row, so a copy of the database alone
// does not give anyone's second factor.
type ConsoleService struct{ db *DB }

// NewConsoleService returns the console service of db.
func NewConsoleService(db *DB) *ConsoleService { return &ConsoleService{db: db} }

var _ lethe.ConsoleService = (*ConsoleService)(nil)

// consoleTouchEvery is how often a session's seen_at is written while it is
// in use: not on every page view.
const consoleTouchEvery = time.Minute

var (
	errConsoleSignIn  = lethe.Errorf(lethe.EUnauthenticated, "Wrong email, password or code.")
	errConsoleSession = lethe.Errorf(lethe.EUnauthenticated, "Not signed in, or the session has ended: sign in again.")
	errConsoleLink    = lethe.Errorf(lethe.EUnauthenticated, "This set-password link is not valid: it was used, or it has expired.")
)

// orErr is err, or otherwise fallback.
func orErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// newConsoleToken returns 32 random bytes in base64url without padding.
func newConsoleToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// validConsoleToken reports whether s has the form of newConsoleToken's.
func validConsoleToken(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

func (s *ConsoleService) sessionHash(token string) []byte {
	return s.db.keyedHash("console-session", []byte(token))
}

func (s *ConsoleService) linkHash(token string) []byte {
	return s.db.keyedHash("console-password-token", []byte(token))
}

// consoleRow is an account with what only the store sees.
type consoleRow struct {
	lethe.ConsoleAccount
	passwordHash  string
	totp, pending []byte // sealed
	totpLastStep  int64
}

// consoleAccountCols are the columns scanConsoleRow reads.
const consoleAccountCols = `id, tenant_id, email, role, password_hash, totp_secret, totp_pending, totp_last_step, created_at, last_login_at`

func scanConsoleRow(r rowScanner) (*consoleRow, error) {
	var a consoleRow
	var hash sql.NullString
	var created int64
	var login sql.NullInt64
	if err := r.Scan(&a.ID, &a.TenantID, &a.Email, &a.Role, &hash, &a.totp, &a.pending, &a.totpLastStep,
		&created, &login); err != nil {
		return nil, err
	}
	a.passwordHash, a.HasPassword, a.TOTP = hash.String, hash.Valid, a.totp != nil
	a.CreatedAt, a.LastLoginAt = fromMS(created), timePtr(login)
	return &a, nil
}

// consoleAccount reads an account by id; nil when there is none.
func consoleAccount(ctx context.Context, q querier, tenant lethe.TenantID, id string) (*consoleRow, error) {
	rows, err := queryAll(ctx, q, scanConsoleRow, `SELECT `+consoleAccountCols+` FROM console_accounts
		WHERE tenant_id = $1 AND id = $2`, string(tenant), id)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// checkConsoleEmail validates an account's email and returns it as stored.
func checkConsoleEmail(email string) (string, error) {
	email = lethe.CleanEmail(email)
	if !lethe.ValidEmail(email) {
		return "", lethe.FieldErrorf(lethe.EInvalid, "email", "invalid", "email must be a plain address such as name@example.com")
	}
	return email, nil
}

// CreateConsoleAccount implements lethe.ConsoleService.
func (s *ConsoleService) CreateConsoleAccount(ctx context.Context, email string, role lethe.ConsoleRole) (
	a *lethe.ConsoleAccount, token string, err error) {
	if email, err = checkConsoleEmail(email); err != nil {
		return nil, "", err
	}
	if !role.Valid() {
		return nil, "", lethe.FieldErrorf(lethe.EInvalid, "role", "invalid", "role must be admin, operator or viewer")
	}
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		tenant := string(tx.actor.TenantID)
		// Checked first rather than left to the unique index: PostgreSQL
		// would write the clashing address into its server log.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM console_accounts WHERE tenant_id = $1 AND email_norm = $2`,
			tenant, lethe.NormalizeEmail(email)).Scan(&n); err != nil {
			return fmt.Errorf("find console account: %w", err)
		}
		if n > 0 {
			return lethe.FieldErrorf(lethe.EConflict, "email", "taken", "The tenant has a console account with this email.")
		}
		a = &lethe.ConsoleAccount{ID: "adm_" + lethe.NewID(tx.now), TenantID: tx.actor.TenantID, Email: email, Role: role,
			CreatedAt: tx.now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO console_accounts (tenant_id, id, email, email_norm, role, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, tenant, a.ID, email, lethe.NormalizeEmail(email), string(role), ms(tx.now)); err != nil {
			return fmt.Errorf("insert console account: %w", err)
		}
		if token, err = s.newLink(ctx, tx, a.ID); err != nil {
			return err
		}
		return tx.appendTrail(ctx, "console.account.created", a.ID, map[string]any{"role": string(role)})
	})
	if err != nil {
		return nil, "", err
	}
	return a, token, nil
}

// newLink stores a new set-password token of account, valid for
// lethe.ConsoleSetPasswordLifetime, and deletes the tenant's expired ones.
func (s *ConsoleService) newLink(ctx context.Context, tx *Tx, account string) (string, error) {
	tenant := string(tx.actor.TenantID)
	if _, err := tx.ExecContext(ctx, `DELETE FROM console_password_tokens WHERE tenant_id = $1 AND expires_at <= $2`,
		tenant, ms(tx.now)); err != nil {
		return "", fmt.Errorf("prune set-password tokens: %w", err)
	}
	token := newConsoleToken()
	if _, err := tx.ExecContext(ctx, `INSERT INTO console_password_tokens (tenant_id, token_hash, account_id, expires_at, used)
		VALUES ($1, $2, $3, $4, FALSE)`, tenant, s.linkHash(token), account,
		ms(tx.now.Add(lethe.ConsoleSetPasswordLifetime))); err != nil {
		return "", fmt.Errorf("insert set-password token: %w", err)
	}
	return token, nil
}

// NewPasswordLink makes a new set-password token of the actor's tenant's
// account id, as CreateConsoleAccount does: to reset a password, and for
// fixtures such as the demo tenant's account. It is not part of
// lethe.ConsoleService. ENotFound when there is no such account.
func (s *ConsoleService) NewPasswordLink(ctx context.Context, id string) (token string, err error) {
	err = s.db.writeTx(ctx, func(tx *Tx) error {
		a, err := consoleAccount(ctx, tx, tx.actor.TenantID, id)
		if err != nil {
			return fmt.Errorf("find console account: %w", err)
		}
		if a == nil {
			return lethe.Errorf(lethe.ENotFound, "Console account not found.")
		}
		if token, err = s.newLink(ctx, tx, id); err != nil {
			return err
		}
		return tx.appendTrail(ctx, "console.password.link", id, nil)
	})
	return token, err
}

// FindConsoleAccounts implements lethe.ConsoleService.
func (s *ConsoleService) FindConsoleAccounts(ctx context.Context) (out []*lethe.ConsoleAccount, err error) {
	err = s.db.readTx(ctx, func(tx *Tx) error {
		rows, err := queryAll(ctx, tx, scanConsoleRow, `SELECT `+consoleAccountCols+` FROM console_accounts
			WHERE tenant_id = $1 ORDER BY created_at, id`, string(tx.actor.TenantID))
		if err != nil {
			return fmt.Errorf("find console accounts: %w", err)
		}
		for _, r := range rows {
			out = append(out, &r.ConsoleAccount)
		}
		return nil
	})
	if out == nil && err == nil {
		out = []*lethe.ConsoleAccount{}
	}
	return out, err
}

// checkConsolePassword validates a new password's length, in characters.
func checkConsolePassword(password string) error {
	n := utf8.RuneCountInString(password)
	if !utf8.ValidString(password) || n < lethe.MinConsolePasswordLength || n > lethe.MaxConsolePasswordLength {
		return lethe.FieldErrorf(lethe.EInvalid, "password", "invalid", "password must be %d to %d characters",
			lethe.MinConsolePasswordLength, lethe.MaxConsolePasswordLength)
	}
	return nil
}

// SetConsolePassword implements lethe.ConsoleService. The password is
// checked before the token is spent, so a refused password leaves the
// link working. Setting it spends every set-password token of the account.
func (s *ConsoleService) SetConsolePassword(ctx context.Context, token, password string) (*lethe.ConsoleAccount, error) {
	if !validConsoleToken(token) {
		return nil, errConsoleLink
	}
	hash := s.linkHash(token)
	var tenant, account string
	var stored []byte
	err := s.db.read.QueryRowContext(ctx, `SELECT tenant_id, account_id, token_hash FROM console_password_tokens
		WHERE token_hash = $1`, hash).Scan(&tenant, &account, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		subtle.ConstantTimeCompare(hash, dummyHash) // the same work as a match
		return nil, errConsoleLink
	}
	if err != nil {
		return nil, s.db.classify(fmt.Errorf("find set-password token: %w", err))
	}
	if subtle.ConstantTimeCompare(hash, stored) != 1 {
		return nil, errConsoleLink
	}
	if err := checkConsolePassword(password); err != nil {
		return nil, err
	}
	phc := hashPassword(password)
	actor := lethe.Actor{TenantID: lethe.TenantID(tenant), Source: lethe.SourceConsole, Name: account}
	var a *consoleRow
	err = s.db.rawWriteTx(ctx, actor, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE console_password_tokens SET used = TRUE
			WHERE token_hash = $1 AND used = FALSE AND expires_at > $2`, hash, ms(tx.now))
		if err != nil {
			return fmt.Errorf("spend set-password token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errConsoleLink
		}
		if a, err = consoleAccount(ctx, tx, actor.TenantID, account); err != nil || a == nil {
			return orErr(err, errConsoleLink)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE console_accounts SET password_hash = $3 WHERE tenant_id = $1 AND id = $2`,
			tenant, account, phc); err != nil {
			return fmt.Errorf("set console password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE console_password_tokens SET used = TRUE WHERE tenant_id = $1 AND account_id = $2`,
			tenant, account); err != nil {
			return fmt.Errorf("spend set-password tokens: %w", err)
		}
		ended, err := s.endSessions(ctx, tx, account)
		if err != nil {
			return err
		}
		a.HasPassword = true
		return tx.appendTrail(ctx, "console.password.set", account, map[string]any{"sessionsEnded": ended})
	})
	if err != nil {
		return nil, err
	}
	return &a.ConsoleAccount, nil
}

// endSessions deletes every session of account and counts them.
func (s *ConsoleService) endSessions(ctx context.Context, tx *Tx, account string) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE tenant_id = $1 AND account_id = $2`,
		string(tx.actor.TenantID), account)
	if err != nil {
		return 0, fmt.Errorf("end console sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ConsoleSignIn implements lethe.ConsoleService. Every failure answers
// errConsoleSignIn after the time of one password check; failures are not
// in the trail (there is no actor to name).
func (s *ConsoleService) ConsoleSignIn(ctx context.Context, tenant lethe.TenantID, email, password, code string) (
	string, *lethe.ConsoleSession, error) {
	var a *consoleRow
	if validTenantID(tenant) && utf8.ValidString(email) {
		rows, err := queryAll(ctx, s.db.read, scanConsoleRow, `SELECT `+consoleAccountCols+` FROM console_accounts
			WHERE tenant_id = $1 AND email_norm = $2`, string(tenant), lethe.NormalizeEmail(email))
		if err != nil {
			return "", nil, s.db.classify(fmt.Errorf("find console account: %w", err))
		}
		if len(rows) > 0 {
			a = rows[0]
		}
	}
	if a == nil {
		dummyPasswordCheck(password)
		return "", nil, errConsoleSignIn
	}
	if !checkPassword(password, a.passwordHash) {
		return "", nil, errConsoleSignIn
	}
	step := a.totpLastStep
	if a.totp != nil {
		key, err := s.unsealTOTP(a.TenantID, a.ID, a.totp)
		if err != nil {
			return "", nil, err
		}
		var ok bool
		if step, ok = totpMatch(key, code, s.db.Now(), a.totpLastStep); !ok {
			return "", nil, errConsoleSignIn
		}
	}
	return s.startSession(ctx, a, step)
}

// startSession records a sign-in of a (with the TOTP step it used, so a
// code works once) and starts a session.
func (s *ConsoleService) startSession(ctx context.Context, a *consoleRow, step int64) (string, *lethe.ConsoleSession, error) {
	token := newConsoleToken()
	var sess *lethe.ConsoleSession
	actor := lethe.Actor{TenantID: a.TenantID, Source: lethe.SourceConsole, Name: a.ID}
	err := s.db.rawWriteTx(ctx, actor, func(tx *Tx) error {
		tenant := string(a.TenantID)
		// The step must still be above the stored one: of two sign-ins
		// with one code, the second finds it spent.
		res, err := tx.ExecContext(ctx, `UPDATE console_accounts SET last_login_at = $3, totp_last_step = $4
			WHERE tenant_id = $1 AND id = $2 AND (totp_last_step < $4 OR totp_secret IS NULL)`, tenant, a.ID, ms(tx.now), step)
		if err != nil {
			return fmt.Errorf("record console sign-in: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errConsoleSignIn
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE tenant_id = $1 AND account_id = $2
			AND (expires_at <= $3 OR seen_at <= $4)`, tenant, a.ID, ms(tx.now), ms(tx.now.Add(-lethe.ConsoleIdleTimeout))); err != nil {
			return fmt.Errorf("prune console sessions: %w", err)
		}
		now := tx.now
		a.LastLoginAt = &now
		sess = &lethe.ConsoleSession{ID: "ses_" + lethe.NewID(now), Account: a.ConsoleAccount, CSRFToken: newConsoleToken(),
			CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(lethe.ConsoleSessionLifetime)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (tenant_id, token_hash, id, account_id, csrf_token,
			created_at, seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`, tenant, s.sessionHash(token), sess.ID,
			a.ID, sess.CSRFToken, ms(now), ms(sess.ExpiresAt)); err != nil {
			return fmt.Errorf("insert console session: %w", err)
		}
		return tx.appendTrail(ctx, "console.signin", a.ID, map[string]any{"sessionId": sess.ID, "totp": a.totp != nil})
	})
	if err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// consoleSessionRow is a stored session, by its token.
type consoleSessionRow struct {
	tenant                   lethe.TenantID
	id, account, csrf        string
	created, seen, expiresAt time.Time
}

// findSession reads the session of token; nil when there is none.
func (s *ConsoleService) findSession(ctx context.Context, token string) (*consoleSessionRow, error) {
	if !validConsoleToken(token) {
		return nil, nil
	}
	hash := s.sessionHash(token)
	var r consoleSessionRow
	var stored []byte
	var created, seen, expires int64
	err := s.db.read.QueryRowContext(ctx, `SELECT tenant_id, id, account_id, csrf_token, created_at, seen_at, expires_at, token_hash
		FROM console_sessions WHERE token_hash = $1`, hash).Scan(&r.tenant, &r.id, &r.account, &r.csrf, &created, &seen, &expires, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		subtle.ConstantTimeCompare(hash, dummyHash) // the same work as a match
		return nil, nil
	}
	if err != nil {
		return nil, s.db.classify(fmt.Errorf("find console session: %w", err))
	}
	if subtle.ConstantTimeCompare(hash, stored) != 1 {
		return nil, nil
	}
	r.created, r.seen, r.expiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return &r, nil
}

// ConsoleSession implements lethe.ConsoleService. An ended session found
// is deleted; seen_at is written at most once per consoleTouchEvery.
func (s *ConsoleService) ConsoleSession(ctx context.Context, token string) (*lethe.ConsoleSession, error) {
	sess, _, err := s.liveSession(ctx, token)
	return sess, err
}

// liveSession is ConsoleSession, with the account's stored row.
func (s *ConsoleService) liveSession(ctx context.Context, token string) (*lethe.ConsoleSession, *consoleRow, error) {
	r, err := s.findSession(ctx, token)
	if err != nil || r == nil {
		return nil, nil, orErr(err, errConsoleSession)
	}
	now := s.db.Now().UTC().Truncate(time.Millisecond)
	if !now.Before(r.expiresAt) || now.Sub(r.seen) >= lethe.ConsoleIdleTimeout {
		_, err := s.db.write.ExecContext(ctx, `DELETE FROM console_sessions WHERE tenant_id = $1 AND id = $2`, string(r.tenant), r.id)
		return nil, nil, orErr(s.db.classify(err), errConsoleSession)
	}
	a, err := consoleAccount(ctx, s.db.read, r.tenant, r.account)
	if err != nil || a == nil {
		return nil, nil, orErr(s.db.classify(err), errConsoleSession)
	}
	if now.Sub(r.seen) >= consoleTouchEvery || now.Before(r.seen) {
		// Of concurrent requests, the first writes; the others then find
		// the session seen within the minute and leave it.
		res, err := s.db.write.ExecContext(ctx, `UPDATE console_sessions SET seen_at = $3
			WHERE tenant_id = $1 AND id = $2 AND (seen_at <= $4 OR seen_at > $3)`,
			string(r.tenant), r.id, ms(now), ms(now.Add(-consoleTouchEvery)))
		if err != nil {
			return nil, nil, s.db.classify(fmt.Errorf("record console session use: %w", err))
		}
		if n, _ := res.RowsAffected(); n > 0 {
			r.seen = now
		}
	}
	return &lethe.ConsoleSession{ID: r.id, Account: a.ConsoleAccount, CSRFToken: r.csrf, CreatedAt: r.created,
		SeenAt: r.seen, ExpiresAt: r.expiresAt}, a, nil
}

// ConsoleSignOut implements lethe.ConsoleService.
func (s *ConsoleService) ConsoleSignOut(ctx context.Context, token string, everywhere bool) error {
	r, err := s.findSession(ctx, token)
	if err != nil || r == nil {
		return err
	}
	actor := lethe.Actor{TenantID: r.tenant, Source: lethe.SourceConsole, Name: r.account}
	return s.db.rawWriteTx(ctx, actor, func(tx *Tx) error {
		var n int64
		if everywhere {
			if n, err = s.endSessions(ctx, tx, r.account); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE tenant_id = $1 AND id = $2`, string(r.tenant), r.id)
			if err != nil {
				return fmt.Errorf("end console session: %w", err)
			}
			n, _ = res.RowsAffected()
		}
		if n == 0 {
			return nil // ended meanwhile
		}
		return tx.appendTrail(ctx, "console.signout", r.account, map[string]any{"sessionId": r.id, "everywhere": everywhere,
			"sessionsEnded": n})
	})
}

// totpAAD binds a sealed TOTP secret to its account's row.
func totpAAD(tenant lethe.TenantID, account string) []byte {
	return sealAAD(string(tenant), "console_accounts", account)
}

func (s *ConsoleService) sealTOTP(tenant lethe.TenantID, account string, key []byte) ([]byte, error) {
	aead, err := newAEAD(s.db.keyedHash("console-totp-secret"))
	if err != nil {
		return nil, err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(key)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, err
	}
	return aead.Seal(out, out, key, totpAAD(tenant, account)), nil
}

func (s *ConsoleService) unsealTOTP(tenant lethe.TenantID, account string, sealed []byte) ([]byte, error) {
	aead, err := newAEAD(s.db.keyedHash("console-totp-secret"))
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("unseal TOTP secret: too short")
	}
	key, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], totpAAD(tenant, account))
	if err != nil {
		return nil, fmt.Errorf("unseal TOTP secret: %w", err)
	}
	return key, nil
}

// StartConsoleTOTP implements lethe.ConsoleService. A secret started
// before and not confirmed is replaced; one in force stays until the new
// one is confirmed.
func (s *ConsoleService) StartConsoleTOTP(ctx context.Context, token string) (secret, link string, err error) {
	sess, err := s.ConsoleSession(ctx, token)
	if err != nil {
		return "", "", err
	}
	key := make([]byte, totpKeySize)
	if _, err := rand.Read(key); err != nil {
		return "", "", err
	}
	sealed, err := s.sealTOTP(sess.Account.TenantID, sess.Account.ID, key)
	if err != nil {
		return "", "", err
	}
	err = s.db.rawWriteTx(ctx, sess.ConsoleActor(), func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE console_accounts SET totp_pending = $3 WHERE tenant_id = $1 AND id = $2`,
			string(sess.Account.TenantID), sess.Account.ID, sealed); err != nil {
			return fmt.Errorf("start TOTP: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	secret = totpEncoding.EncodeToString(key)
	q := url.Values{"secret": {secret}, "issuer": {"Lethe"}}
	return secret, "otpauth://totp/Lethe:" + url.PathEscape(sess.Account.ID) + "?" + q.Encode(), nil
}

// ConfirmConsoleTOTP implements lethe.ConsoleService.
func (s *ConsoleService) ConfirmConsoleTOTP(ctx context.Context, token, code string) error {
	sess, a, err := s.liveSession(ctx, token)
	if err != nil {
		return err
	}
	if a.pending == nil {
		return lethe.FieldErrorf(lethe.EInvalid, "code", "invalid", "Start setting up the authenticator first.")
	}
	key, err := s.unsealTOTP(a.TenantID, a.ID, a.pending)
	if err != nil {
		return err
	}
	step, ok := totpMatch(key, code, s.db.Now(), a.totpLastStep)
	if !ok {
		return lethe.FieldErrorf(lethe.EInvalid, "code", "invalid", "The code is not right: enter the current code of the authenticator app.")
	}
	return s.db.rawWriteTx(ctx, sess.ConsoleActor(), func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE console_accounts SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $4
			WHERE tenant_id = $1 AND id = $2 AND totp_pending = $3`, string(a.TenantID), a.ID, a.pending, step)
		if err != nil {
			return fmt.Errorf("confirm TOTP: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return lethe.FieldErrorf(lethe.EInvalid, "code", "invalid", "Start setting up the authenticator again.")
		}
		return tx.appendTrail(ctx, "console.totp.enrolled", a.ID, map[string]any{"sessionId": sess.ID})
	})
}
