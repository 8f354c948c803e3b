package lethe_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lethehq/lethe"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestID_Parse(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0123456789abcdef01234567", "0123456789abcdef01234567"},
		{"0123456789ABCDEF01234567", "0123456789abcdef01234567"},
		{"ffffffffffffffffffffffff", "ffffffffffffffffffffffff"},
		{"000000000000000000000000", "000000000000000000000000"},
	}
	for _, c := range cases {
		t.Run("OK/"+c.in, func(t *testing.T) {
			if got, ok := lethe.ParseID(c.in); !ok || got != c.want {
				t.Errorf("ParseID(%q) = %q, %v; want %q", c.in, got, ok, c.want)
			}
		})
	}
	for _, in := range []string{
		"", "0123456789abcdef0123456", "0123456789abcdef012345678", "0123456789abcdeg01234567",
		"0123456789abcdef0123456 ", " 123456789abcdef01234567", "0123456789abcdef0123456\x00",
		"0123456789abcdef012345é", "0x23456789abcdef01234567", "../../../../../etc/passwd",
	} {
		t.Run("Err/"+in, func(t *testing.T) {
			if got, ok := lethe.ParseID(in); ok || got != "" {
				t.Errorf("ParseID(%q) = %q, %v; want refused", in, got, ok)
			}
		})
	}
}

func TestID_New(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 123e6, time.UTC)
	t.Run("OKFormat", func(t *testing.T) {
		id := lethe.NewID(now)
		if !hexID.MatchString(id) {
			t.Fatalf("NewID = %q, want 24 lower-case hex characters", id)
		}
		if got, ok := lethe.ParseID(id); !ok || got != id {
			t.Errorf("ParseID(NewID) = %q, %v", got, ok)
		}
		ms, err := strconv.ParseInt(id[:12], 16, 64)
		if err != nil || ms != now.UnixMilli() {
			t.Errorf("time part %s = %d, want %d", id[:12], ms, now.UnixMilli())
		}
	})
	t.Run("OKOrderedByTime", func(t *testing.T) {
		prev := lethe.NewID(now)
		for i := 1; i <= 1000; i++ {
			id := lethe.NewID(now.Add(time.Duration(i) * time.Millisecond))
			if id <= prev {
				t.Fatalf("NewID at +%dms = %s, not after %s", i, id, prev)
			}
			prev = id
		}
		// Across a day, and across the boundary where the top byte of
		// milliseconds changes.
		if a, b := lethe.NewID(now), lethe.NewID(now.Add(24*time.Hour)); a >= b {
			t.Errorf("%s >= %s", a, b)
		}
		if a, b := lethe.NewID(time.UnixMilli(0xffffffffff)), lethe.NewID(time.UnixMilli(0x10000000000)); a >= b {
			t.Errorf("%s >= %s", a, b)
		}
	})
	t.Run("OKUniqueWithinAMillisecond", func(t *testing.T) {
		seen := map[string]bool{}
		for range 10000 {
			id := lethe.NewID(now)
			if seen[id] {
				t.Fatalf("duplicate id %s", id)
			}
			seen[id] = true
			if !strings.HasPrefix(id, lethe.NewID(now)[:12]) {
				t.Fatalf("ids of one millisecond differ in their time part: %s", id)
			}
		}
	})
	t.Run("OKSubMillisecondIgnored", func(t *testing.T) {
		a, b := lethe.NewID(now), lethe.NewID(now.Add(999*time.Microsecond))
		if a[:12] != b[:12] {
			t.Errorf("time parts %s and %s differ within a millisecond", a[:12], b[:12])
		}
	})
}
