package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client calls one Lethe (or vendor-compatible) server as one tenant. It is
// safe for concurrent use.
type Client struct {
	baseURL  string
	tenantID string
	apiKey   string
	http     *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc, e.g. to set
// timeouts, a proxy or TLS settings. The default is http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// New returns a Client for the server at baseURL, such as
// "https://lethe.example.com" or "http://127.0.0.1:8080", authenticating as
// tenantID with apiKey. Paths such as /rest/v1/users are appended to baseURL,
// so it may carry a path prefix of a reverse proxy.
func New(baseURL, tenantID, apiKey string, opts ...Option) *Client {
	c := &Client{
		baseURL:  strings.TrimRight(baseURL, "/"),
		tenantID: tenantID,
		apiKey:   apiKey,
		http:     http.DefaultClient,
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// userAgent identifies the SDK in requests.
const userAgent = "lethe-go-client"

// seg escapes s as one path segment: "/" becomes %2F, so refs containing
// slashes stay one segment. Segments made only of dots would be removed by
// path cleaning on the server, so their dots are escaped too.
func seg(s string) string {
	e := url.PathEscape(s)
	if strings.Trim(e, ".") == "" {
		e = strings.Repeat("%2E", len(e))
	}
	return e
}

// errEmpty reports a missing ref or id before any request is sent: an empty
// path segment would address another endpoint.
func errEmpty(what string) error {
	return fmt.Errorf("lethe: %s must not be empty", what)
}

// expand fills the {placeholders} of pattern, in order, with the escaped
// args.
func expand(pattern string, args ...string) string {
	var b strings.Builder
	rest := pattern
	for _, a := range args {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			break
		}
		b.WriteString(rest[:i])
		b.WriteString(seg(a))
		rest = rest[j+1:]
	}
	b.WriteString(rest)
	return b.String()
}

// call is one API request: the route pattern (as the server names it), the
// values of its placeholders, an optional query and request body.
type call struct {
	method  string
	pattern string
	args    []string
	query   url.Values
	in      any
	header  http.Header // extra request headers
	raw     *[]byte     // when set, the body is kept as is instead of decoded
	copyTo  io.Writer   // when set, the body is copied to it as it comes
	status  *int        // when set, receives the response status
}

// doInto runs r and decodes the answer into a new T.
func doInto[T any](ctx context.Context, c *Client, r call) (*T, error) {
	var out T
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// do sends one request and decodes a 2xx JSON body into out (when out is not
// nil). A non-2xx response becomes an *Error. Transport errors name the route
// pattern instead of the URL, so refs (personal data) do not end up in the
// caller's logs through an error message.
func (c *Client) do(ctx context.Context, r call, out any) error {
	var body io.Reader
	if r.in != nil {
		// Not HTML-escaped: custom fields are stored as sent.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.in); err != nil {
			return fmt.Errorf("lethe: encode request: %w", err)
		}
		body = bytes.NewReader(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	}
	u := c.baseURL + expand(r.pattern, r.args...)
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return fmt.Errorf("lethe: %s %s: invalid request", r.method, r.pattern)
	}
	req.SetBasicAuth(c.tenantID, c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	for k, vs := range r.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = c.baseURL + r.pattern
		}
		return err
	}
	defer func() {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errorFromResponse(resp)
	}
	if r.status != nil {
		*r.status = resp.StatusCode
	}
	if r.copyTo != nil {
		if _, err := io.Copy(r.copyTo, resp.Body); err != nil {
			return fmt.Errorf("lethe: %s %s: read response: %w", r.method, r.pattern, err)
		}
		return nil
	}
	if r.raw != nil {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("lethe: %s %s: read response: %w", r.method, r.pattern, err)
		}
		*r.raw = b
		return nil
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("lethe: %s %s: empty response body", r.method, r.pattern)
		}
		return fmt.Errorf("lethe: %s %s: decode response: %w", r.method, r.pattern, err)
	}
	return nil
}
