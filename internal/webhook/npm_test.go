package webhook_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe/client"
	"github.com/lethehq/lethe/internal/webhook"
)

// npmDir holds the pinned npm verifiers and the script that runs them;
// `make npm-deps` installs its node_modules.
var npmDir = filepath.Join("testdata", "npm")

// npmSample is one delivery as verify.mjs reads it.
type npmSample struct {
	Name    string            `json:"name"`
	Secret  string            `json:"secret"` // whsec_ form
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Expect  string            `json:"expect"` // valid, invalid or no-secret
}

// signedSample signs body with secret as Lethe does at t and describes it
// for verify.mjs; edit, if set, changes the delivery after signing.
func signedSample(name string, secret []byte, t time.Time, body, expect string, edit func(h http.Header, body *string)) npmSample {
	h := http.Header{}
	webhook.Sign(h, secret, "6571a2f0c3e9b8d4a1f20e38", t, []byte(body))
	if edit != nil {
		edit(h, &body)
	}
	flat := map[string]string{}
	for k := range h {
		flat[k] = h.Get(k)
	}
	return npmSample{Name: name, Secret: "whsec_" + base64.StdEncoding.EncodeToString(secret), Headers: flat, Body: body, Expect: expect}
}

// npmSamples are deliveries signed now, so that the verifiers' own
// five-minute tolerance passes, and spoilt ones.
func npmSamples(now time.Time) []npmSample {
	secret := []byte("s3cret-of-acme")
	long := []byte(strings.Repeat("Zoë-東京-", 20)) // 200 characters, not ASCII
	created := `{"dispatchedAt":"` + now.UTC().Format("2006-01-02T15:04:05.000Z") + `","createdAt":"2026-12-07T09:59:58.000Z","eventType":"user.created","tenantId":"acme","user":{"id":"6571a2f0c3e9b8d4a1f20e37","ref":"EMP042","firstName":"Zoë","lastName":"Ñúñez 東京"}}`
	deleted := `{"dispatchedAt":"2026-12-07T10:00:00.123Z","createdAt":"2026-12-07T09:00:00.000Z","eventType":"user.deleted","tenantId":"acme","user":{"id":"6571a2f0c3e9b8d4a1f20e37"}}`
	return []npmSample{
		signedSample("user.created", secret, now, created, "valid", nil),
		signedSample("a 200-character secret, not ASCII", long, now, created, "valid", nil),
		signedSample("user.deleted, erased", secret, now, deleted, "valid", nil),
		signedSample("a second old signature beside", secret, now, deleted, "valid", func(h http.Header, _ *string) {
			h.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32))+" "+h.Get("Webhook-Signature"))
		}),
		signedSample("tampered body", secret, now, created, "invalid", func(_ http.Header, b *string) {
			*b = strings.Replace(*b, "EMP042", "EMP043", 1)
		}),
		signedSample("another id", secret, now, created, "invalid", func(h http.Header, _ *string) {
			h.Set("Webhook-Id", "6571a2f0c3e9b8d4a1f20e39")
		}),
		signedSample("signed 10 minutes ago", secret, now.Add(-10*time.Minute), created, "invalid", nil),
		signedSample("signed 10 minutes ahead", secret, now.Add(10*time.Minute), created, "invalid", nil),
		{Name: "wrong secret", Secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte("s3cret-of-umbrella")),
			Headers: signedSample("", secret, now, created, "", nil).Headers, Body: created, Expect: "invalid"},
		signedSample("no secret on the subscription", nil, now, created, "no-secret", nil),
	}
}

// npmVerifiers finds node and the installed verifiers, skipping the test
// when they are missing, except on CI, which must run it.
func npmVerifiers(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	var missing string
	switch {
	case err != nil:
		missing = "node is not installed"
	default:
		for _, p := range []string{"standardwebhooks", "svix"} {
			if _, err := os.Stat(filepath.Join(npmDir, "node_modules", p, "package.json")); err != nil {
				missing = "the npm verifiers are not installed (make npm-deps)"
			}
		}
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(missing + ": CI must run the npm verifiers")
		}
		t.Skip(missing + ": the npm verifiers were not run")
	}
	checkPinned(t)
	return node
}

// checkPinned fails when node_modules holds other versions than
// package.json pins: a stale install would test the wrong verifiers.
func checkPinned(t *testing.T) {
	t.Helper()
	var pkg struct{ Dependencies map[string]string }
	readJSON(t, filepath.Join(npmDir, "package.json"), &pkg)
	for name, want := range pkg.Dependencies {
		var got struct{ Version string }
		readJSON(t, filepath.Join(npmDir, "node_modules", name, "package.json"), &got)
		if got.Version != want {
			t.Fatalf("node_modules has %s %s, package.json pins %s: run make npm-deps", name, got.Version, want)
		}
	}
}

// readJSON decodes the JSON file at path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// The Standard Webhooks verifiers that receivers use from npm accept what
// Sign makes, and reject it spoilt; the SDK's Verify agrees on every sample.
func TestSign_NPMVerifiers(t *testing.T) {
	node := npmVerifiers(t)
	now := time.Now()
	samples := npmSamples(now)
	for _, s := range samples {
		h := http.Header{}
		for k, v := range s.Headers {
			h.Set(k, v)
		}
		err := client.Verify(s.Secret, h, []byte(s.Body), now)
		if ok := err == nil; ok != (s.Expect == "valid") || (s.Expect == "no-secret" && !errors.Is(err, client.ErrSecret)) {
			t.Errorf("client.Verify of %q (%s): %v", s.Name, s.Expect, err)
		}
	}

	b, err := json.Marshal(map[string]any{"samples": samples})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "samples.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, filepath.Join(npmDir, "verify.mjs"), file).CombinedOutput()
	if err != nil {
		t.Fatalf("node verify.mjs: %v\n%s", err, out)
	}
	// Each valid sample is two checks per verifier (itself, and tampered),
	// the others one, plus the two checks that both kinds are present.
	want := 2
	for _, s := range samples {
		want += 2
		if s.Expect == "valid" {
			want += 2
		}
	}
	if m := regexp.MustCompile(`(\d+) passed, 0 failed`).FindSubmatch(out); m == nil || string(m[1]) != strconv.Itoa(want) {
		t.Fatalf("node verify.mjs: want %d passed, 0 failed; it said:\n%s", want, out)
	}
	t.Logf("%s", out)
}
