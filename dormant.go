package lethe

// DormantRules are the rules of a dormant-account audit. Each proposes an
// action for the users it matches; a user matching several gets the first:
// never signed in (purge when without history, else suspend), inactive,
// end date passed (suspend). Excluded roles and audiences (ids or
// references, current members) are left out.
type DormantRules struct {
	NeverLoggedInDays *int // never signed in, created more than this many days ago
	InactiveDays      *int // last signed in more than this many days ago
	EndDatePassed     bool
	ExcludeRoles      []Role
	ExcludeAudiences  []string
}

// Empty reports whether no rule is set.
func (r *DormantRules) Empty() bool {
	return r.NeverLoggedInDays == nil && r.InactiveDays == nil && !r.EndDatePassed
}
