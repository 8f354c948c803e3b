package lethe_test

import (
	"testing"
	"time"

	"github.com/lethehq/lethe"
)

func TestStatus_At(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	cases := []struct {
		name string
		l    lethe.Learner
		want lethe.Status
	}{
		{"OKNew", lethe.Learner{State: lethe.StateActive}, lethe.StatusNew},
		{"OKActive", lethe.Learner{State: lethe.StateActive, FirstLoginAt: at(-time.Hour)}, lethe.StatusActive},
		{"OKNewWithFutureEnd", lethe.Learner{State: lethe.StateActive, EndDate: at(time.Nanosecond)}, lethe.StatusNew},
		{"OKActiveWithFutureEnd", lethe.Learner{State: lethe.StateActive, EndDate: at(time.Hour), FirstLoginAt: at(-time.Hour)}, lethe.StatusActive},
		{"OKExpiredAtEnd", lethe.Learner{State: lethe.StateActive, EndDate: at(0)}, lethe.StatusExpired},
		{"OKExpiredAfterEnd", lethe.Learner{State: lethe.StateActive, EndDate: at(-time.Nanosecond)}, lethe.StatusExpired},
		{"OKExpiredAfterLogin", lethe.Learner{State: lethe.StateActive, EndDate: at(-time.Hour), FirstLoginAt: at(-2 * time.Hour)}, lethe.StatusExpired},
		{"OKExpiredEndInOtherZone", lethe.Learner{State: lethe.StateActive, EndDate: func() *time.Time {
			t := now.In(time.FixedZone("X", 5*3600))
			return &t
		}()}, lethe.StatusExpired},
		{"OKSuspended", lethe.Learner{State: lethe.StateSuspended}, lethe.StatusInactive},
		{"OKSuspendedBeatsExpired", lethe.Learner{State: lethe.StateSuspended, EndDate: at(-time.Hour)}, lethe.StatusInactive},
		{"OKSuspendedAfterLogin", lethe.Learner{State: lethe.StateSuspended, FirstLoginAt: at(-time.Hour)}, lethe.StatusInactive},
		{"OKDeleted", lethe.Learner{State: lethe.StateDeleted, FirstLoginAt: at(-time.Hour)}, lethe.StatusInactive},
		{"OKUnknownStateIsInactive", lethe.Learner{State: "bogus"}, lethe.StatusInactive},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := lethe.StatusAt(&c.l, now); got != c.want {
				t.Errorf("StatusAt = %q, want %q", got, c.want)
			}
		})
	}
}

func TestStatus_Parse(t *testing.T) {
	for _, st := range lethe.AllStatuses {
		t.Run("OK"+string(st), func(t *testing.T) {
			if got, ok := lethe.ParseStatus(string(st)); !ok || got != st {
				t.Errorf("ParseStatus(%q) = %q, %v", st, got, ok)
			}
		})
	}
	for _, s := range []string{"", "deleted", "Active", " new", "suspended"} {
		t.Run("ErrUnknown/"+s, func(t *testing.T) {
			if got, ok := lethe.ParseStatus(s); ok || got != "" {
				t.Errorf("ParseStatus(%q) = %q, %v; want not found", s, got, ok)
			}
		})
	}
	if len(lethe.AllStatuses) != 4 {
		t.Errorf("AllStatuses = %v, want the vendor's four", lethe.AllStatuses)
	}
}

func TestRole_Valid(t *testing.T) {
	for _, r := range []lethe.Role{lethe.RoleAdministrator, lethe.RoleLearnerAdmin, lethe.RoleLearner} {
		if !r.Valid() {
			t.Errorf("%q is not valid", r)
		}
	}
	for _, r := range []lethe.Role{"", "Learner", "admin", "learner "} {
		if r.Valid() {
			t.Errorf("%q is valid", r)
		}
	}
}

func TestLoginMethod_Valid(t *testing.T) {
	for _, m := range []lethe.LoginMethod{lethe.LoginEmail, lethe.LoginRef} {
		if !m.Valid() {
			t.Errorf("%q is not valid", m)
		}
	}
	for _, m := range []lethe.LoginMethod{"", "Email", "sso", "ref "} {
		if m.Valid() {
			t.Errorf("%q is valid", m)
		}
	}
}

func TestEventType_Valid(t *testing.T) {
	for _, e := range []lethe.EventType{lethe.EventUserJoined, lethe.EventUserUpdated, lethe.EventUserSuspended, lethe.EventUserDeleted} {
		if !e.Valid() {
			t.Errorf("%q is not valid", e)
		}
	}
	for _, e := range []lethe.EventType{"", "user_created", "USER_JOINED"} {
		if e.Valid() {
			t.Errorf("%q is valid", e)
		}
	}
}
