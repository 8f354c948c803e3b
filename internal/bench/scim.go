package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The SCIM scenarios speak SCIM 2.0 over plain net/http (the SDK has no
// SCIM client), as an identity provider does, with a token the run creates
// through POST /lethe/v1/scim/tokens and revokes at its end.

// scimClient is the run's SCIM connection.
type scimClient struct {
	base, token string // the server's /scim/v2 URL and the bearer token
	tokenID     string
	http        *http.Client
}

// scim returns the run's SCIM client, creating its token on first use.
func (b *runner) scim(ctx context.Context) (*scimClient, error) {
	b.scimOnce.Do(func() {
		body := fmt.Sprintf(`{"name":%q}`, b.prefix)
		var tok struct{ ID, Token string }
		b.scimErr = b.lethe(ctx, "POST", "/lethe/v1/scim/tokens", body, http.StatusCreated, &tok)
		if b.scimErr == nil {
			b.scimc = &scimClient{base: strings.TrimSuffix(b.server, "/") + "/scim/v2", token: tok.Token, tokenID: tok.ID, http: b.http}
		}
	})
	return b.scimc, b.scimErr
}

// closeSCIM revokes the run's SCIM token, if it made one.
func (b *runner) closeSCIM() {
	if b.scimc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.lethe(ctx, "DELETE", "/lethe/v1/scim/tokens/"+b.scimc.tokenID, "", http.StatusNoContent, nil); err != nil {
		fmt.Fprintf(b.log, "bench: revoke the run's SCIM token: %s\n", fmtError(toError(err)))
	}
}

// lethe sends one request to Lethe's own API with the tenant's key, and
// decodes the answer into out when it has the wanted status.
func (b *runner) lethe(ctx context.Context, method, path, body string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(b.server, "/")+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth(b.tenant, b.key)
	req.Header.Set("Content-Type", "application/json")
	return do(b.http, req, want, out, "message")
}

// do sends req and decodes the answer into out when its status is want;
// any other status is an *Error with the message the body holds under
// msgKey.
func do(c *http.Client, req *http.Request, want int, out any, msgKey string) error {
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		var e map[string]any
		_ = json.Unmarshal(b, &e)
		msg, _ := e[msgKey].(string)
		if msg == "" {
			msg = http.StatusText(res.StatusCode)
		}
		return &Error{Status: res.StatusCode, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &Error{Status: res.StatusCode, Message: "the answer is not the JSON expected: " + err.Error()}
	}
	return nil
}

// send sends one SCIM request; SCIM errors carry their message in detail.
func (s *scimClient) send(ctx context.Context, method, path string, body []byte, want int, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/scim+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	return do(s.http, req, want, out, "detail")
}

// lookup is Entra's lookup before a create: GET /Users?filter=userName eq
// "…"; it returns totalResults.
func (s *scimClient) lookup(ctx context.Context, userName string) (int, error) {
	var page struct {
		TotalResults *int `json:"totalResults"`
	}
	q := url.Values{"filter": {fmt.Sprintf("userName eq %q", userName)}}
	if err := s.send(ctx, "GET", "/Users?"+q.Encode(), nil, http.StatusOK, &page); err != nil {
		return 0, err
	}
	if page.TotalResults == nil {
		return 0, &Error{Status: http.StatusOK, Message: "the list response has no totalResults"}
	}
	return *page.TotalResults, nil
}

// createUser is Entra's POST /Users of a new person.
func (s *scimClient) createUser(ctx context.Context, userName string) error {
	body, _ := json.Marshal(map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"userName": userName, "externalId": "ext-" + userName, "active": true,
		"name":   map[string]string{"givenName": "Bench", "familyName": "User"},
		"emails": []map[string]any{{"value": userName + "@bench.example.com", "type": "work", "primary": true}},
		"title":  "Tester",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]string{"department": "Load"},
	})
	return s.send(ctx, "POST", "/Users", body, http.StatusCreated, nil)
}

// scim-sync: Entra's initial sync, one user at a time per worker: for
// each new user, GET /Users?filter=userName eq "…" (expecting none), then
// POST /Users. One operation is one user (both requests); it ends after
// --scim-users users or --duration.
func (b *runner) scimSync(ctx context.Context) Result {
	s, err := b.scim(ctx)
	if err != nil {
		return setupFailed(err)
	}
	b.pop = nil // the sample should see the new users
	var next atomic.Int64
	return b.timed(ctx, "users", func(ctx context.Context, rec *recorder) bool {
		n := next.Add(1)
		if n > int64(b.scimUsers) {
			return false
		}
		userName := fmt.Sprintf("%s-scim-%d", b.prefix, n)
		rec.measure(ctx, func() (int, error) {
			found, err := s.lookup(ctx, userName)
			if err != nil {
				return 0, err
			}
			if found != 0 {
				return 0, &Error{Status: http.StatusOK, Message: fmt.Sprintf("a new userName was found %d times before its POST", found)}
			}
			return 1, s.createUser(ctx, userName)
		})
		return true
	})
}

// scim-lookup: GET /Users?filter=userName eq "…" of random sampled live
// users, each of which must be found exactly once.
func (b *runner) scimLookup(ctx context.Context) Result {
	p, err := b.population(ctx)
	if err != nil {
		return setupFailed(err)
	}
	if len(p.refs) == 0 {
		return Result{Skipped: "the tenant has no live users"}
	}
	s, err := b.scim(ctx)
	if err != nil {
		return setupFailed(err)
	}
	return b.timed(ctx, "", func(ctx context.Context, rec *recorder) bool {
		ref := rec.pick(p.refs)
		rec.measure(ctx, func() (int, error) {
			found, err := s.lookup(ctx, ref)
			if err == nil && found != 1 {
				err = &Error{Status: http.StatusOK, Message: fmt.Sprintf("an existing userName was found %d times, want once", found)}
			}
			return found, err
		})
		return true
	})
}

// scimState is the runner's SCIM connection, made on first use.
type scimState struct {
	scimOnce sync.Once
	scimc    *scimClient
	scimErr  error
}
