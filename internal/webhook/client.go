package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lethehq/lethe"
)

// ErrPrivateAddress is a connection refused because the receiver's
// address, after DNS, is private, loopback or link-local.
var ErrPrivateAddress = errors.New("webhook: private address refused")

// NewClient returns the HTTP client deliveries go through: no proxy from
// the environment (it would hide the real target), no redirects followed
// (a 3xx is the answer), timeout per attempt, and, unless allowPrivate,
// a dialer that refuses private targets at connect time, after DNS, so a
// name that resolves to 127.0.0.1 or 169.254.169.254 is refused too.
func NewClient(allowPrivate bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !lethe.PublicAddr(ap.Addr()) {
				return ErrPrivateAddress
			}
			return nil
		}
	}
	t := &http.Transport{
		Proxy: nil, DialContext: d.DialContext, ForceAttemptHTTP2: true,
		MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Transport: t, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Body is what is POSTed for d at t: its payload with dispatchedAt first.
func Body(d *lethe.DueDelivery, t time.Time) []byte {
	var b bytes.Buffer
	b.Grow(len(d.Payload) + 48)
	b.WriteString(`{"dispatchedAt":"` + t.UTC().Format("2006-01-02T15:04:05.000Z") + `"`)
	if rest := bytes.TrimPrefix(d.Payload, []byte("{")); len(rest) > 1 {
		b.WriteByte(',')
		b.Write(rest)
	} else {
		b.WriteByte('}')
	}
	return b.Bytes()
}

// Post makes one attempt of d and says how it went. The error words are
// fixed, never the receiver's own text.
func Post(ctx context.Context, c *http.Client, d *lethe.DueDelivery, now func() time.Time) lethe.DeliveryResult {
	start := now()
	res := lethe.DeliveryResult{TenantID: d.TenantID, DeliveryID: d.ID, At: start}
	body := Body(d, start)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		res.Error = "invalid url"
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Lethe-Webhooks/1")
	Sign(req.Header, d.Secret, d.EventID, start, body)
	resp, err := c.Do(req)
	res.LatencyMS = now().Sub(start).Milliseconds()
	if err != nil {
		res.Error = failure(err)
		return res
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, lethe.MaxResponseBytes))
	res.Status, res.Response = resp.StatusCode, strings.ToValidUTF8(string(answer), "")
	res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), start)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		res.Error = "redirect not followed"
	}
	return res
}

// failure names what went wrong with a request in fixed words.
func failure(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, ErrPrivateAddress):
		return "private address refused"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.As(err, &dnsErr):
		return "dns lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	case strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "x509:"):
		return "tls failed"
	}
	return "request failed"
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
