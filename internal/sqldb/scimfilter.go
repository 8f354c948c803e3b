package sqldb

import (
	"strconv"
	"strings"
	"time"

	"github.com/lethehq/lethe"
)

// SCIM filters (lethe.SCIMFilter) become SQL here: a WHERE condition whose
// values are all parameters, over the attributes of scimUserAttrs or
// scimGroupAttrs. The condition is never NULL, so "not" and "ne" keep the
// rows where an attribute is missing.

// scimKind is how an attribute compares.
type scimKind int

const (
	scimFold   scimKind = iota // text, ignoring case: lower() on both sides
	scimExact                  // text, case-sensitive (ids)
	scimEmail                  // the normalized email (lethe.NormalizeEmail)
	scimBool                   // active: the learner's state
	scimTime                   // Unix milliseconds
	scimMember                 // a group's members.value: an EXISTS
)

// scimAttr is one filterable attribute: its SQL expression (aliases l and
// p for users, a for groups) and whether it may be NULL.
type scimAttr struct {
	expr     string
	kind     scimKind
	nullable bool
	// indexed: an equality on it is served by an index (see selective).
	indexed bool
	// asciiFold: a column of the "C" collation on PostgreSQL, whose lower()
	// folds ASCII letters only, as SQLite's does: the value is folded so in
	// Go (foldASCII), never by lower() under the database's collation.
	asciiFold bool
}

// Keys are lowercase: SCIM attribute names ignore case.
var scimUserAttrs = map[string]scimAttr{
	"id":                {expr: "l.id", kind: scimExact, indexed: true},
	"username":          {expr: "p.ref", kind: scimFold, indexed: true, asciiFold: true},
	"externalid":        {expr: "p.scim_external_id", kind: scimExact, nullable: true, indexed: true},
	"emails.value":      {expr: "p.email_norm", kind: scimEmail, nullable: true, indexed: true},
	"name.givenname":    {expr: "p.first_name", kind: scimFold},
	"name.familyname":   {expr: "p.last_name", kind: scimFold},
	"displayname":       {expr: "(p.first_name || ' ' || p.last_name)", kind: scimFold},
	"title":             {expr: "p.job_title", kind: scimFold, nullable: true},
	"active":            {expr: "l.state", kind: scimBool},
	"meta.created":      {expr: "l.created_at", kind: scimTime},
	"meta.lastmodified": {expr: "l.updated_at", kind: scimTime},
}

var scimGroupAttrs = map[string]scimAttr{
	"id":                {expr: "a.id", kind: scimExact},
	"displayname":       {expr: "a.name", kind: scimFold},
	"externalid":        {expr: "a.reference", kind: scimExact, nullable: true},
	"members.value":     {kind: scimMember},
	"meta.created":      {expr: "a.created_at", kind: scimTime},
	"meta.lastmodified": {expr: "a.updated_at", kind: scimTime},
}

// maxFilterDepth bounds the nesting of a filter.
const maxFilterDepth = 64

var errSCIMFilter = lethe.FieldErrorf(lethe.EInvalid, "filter", "invalid",
	"The filter uses an attribute, operator or value the store does not support.")

// scimWhere translates filters to SQL, appending their values to args,
// whose first ($1) is the tenant.
type scimWhere struct {
	attrs map[string]scimAttr
	args  *[]any
}

func (w scimWhere) param(v any) string {
	*w.args = append(*w.args, v)
	return "$" + strconv.Itoa(len(*w.args))
}

// cond returns the SQL condition of f.
func (w scimWhere) cond(f *lethe.SCIMFilter, depth int) (string, error) {
	if f == nil || depth > maxFilterDepth {
		return "", errSCIMFilter
	}
	switch strings.ToLower(f.Op) {
	case lethe.SCIMAnd, lethe.SCIMOr:
		l, err := w.cond(f.Left, depth+1)
		if err != nil {
			return "", err
		}
		r, err := w.cond(f.Right, depth+1)
		if err != nil {
			return "", err
		}
		return "(" + l + " " + strings.ToUpper(f.Op) + " " + r + ")", nil
	case lethe.SCIMNot:
		c, err := w.cond(f.Left, depth+1)
		if err != nil {
			return "", err
		}
		return "(NOT " + c + ")", nil
	}
	a, ok := w.attrs[strings.ToLower(f.Attr)]
	if !ok {
		return "", errSCIMFilter
	}
	op := strings.ToLower(f.Op)
	switch a.kind {
	case scimBool:
		return w.boolCond(op, f.Value)
	case scimTime:
		return w.timeCond(a, op, f.Value)
	case scimMember:
		return w.memberCond(op, f.Value)
	}
	return w.textCond(a, op, f.Value)
}

// comparisons are the SQL of SCIM's ordering operators.
var comparisons = map[string]string{lethe.SCIMEq: "=", lethe.SCIMNe: "<>", lethe.SCIMGt: ">", lethe.SCIMGe: ">=",
	lethe.SCIMLt: "<", lethe.SCIMLe: "<="}

func (w scimWhere) boolCond(op string, v any) (string, error) {
	if op == lethe.SCIMPr {
		return "TRUE", nil
	}
	b, ok := v.(bool)
	if !ok || (op != lethe.SCIMEq && op != lethe.SCIMNe) {
		return "", errSCIMFilter
	}
	if b == (op == lethe.SCIMEq) {
		return "l.state = 'active'", nil
	}
	return "l.state <> 'active'", nil
}

func (w scimWhere) timeCond(a scimAttr, op string, v any) (string, error) {
	if op == lethe.SCIMPr {
		return "TRUE", nil
	}
	t, ok := v.(time.Time)
	cmp, known := comparisons[op]
	if !ok || !known {
		return "", errSCIMFilter
	}
	return a.expr + " " + cmp + " " + w.param(ms(t)), nil
}

func (w scimWhere) memberCond(op string, v any) (string, error) {
	// Members whose erasure is scheduled are gone for SCIM, as in
	// groupMembers.
	exists := `EXISTS (SELECT 1 FROM audience_members m WHERE m.tenant_id = $1 AND m.audience_id = a.id
		AND NOT EXISTS (SELECT 1 FROM pending_erasures e WHERE e.tenant_id = $1 AND e.learner_id = m.learner_id)`
	if op == lethe.SCIMPr {
		return exists + ")", nil
	}
	s, ok := v.(string)
	if !ok || (op != lethe.SCIMEq && op != lethe.SCIMNe) || !validText(s) {
		return "", errSCIMFilter
	}
	c := exists + " AND m.learner_id = " + w.param(s) + ")"
	if op == lethe.SCIMNe {
		c = "(NOT " + c + ")"
	}
	return c, nil
}

// textCond compares a text attribute: ignoring case (lower() on both
// sides, so both databases fold alike), exactly, or as a normalized email.
func (w scimWhere) textCond(a scimAttr, op string, v any) (string, error) {
	if op == lethe.SCIMPr {
		return "COALESCE(TRIM(" + a.expr + "), '') <> ''", nil
	}
	if op == lethe.SCIMNe {
		// Never NULL, so a missing value is unequal to every value.
		eq, err := w.textCond(a, lethe.SCIMEq, v)
		if err != nil {
			return "", err
		}
		return "(NOT " + eq + ")", nil
	}
	s, ok := v.(string)
	if !ok || !validText(s) {
		return "", errSCIMFilter
	}
	col := a.expr
	val := func(s string) string { return "CAST(" + w.param(s) + " AS TEXT)" }
	switch a.kind {
	case scimFold:
		col, val = "lower("+a.expr+")", func(s string) string { return "lower(CAST(" + w.param(s) + " AS TEXT))" }
		if a.asciiFold {
			val = func(s string) string { return "CAST(" + w.param(foldASCII(s)) + " AS TEXT)" }
		}
	case scimEmail:
		s = lethe.NormalizeEmail(s)
	}
	var c string
	switch op {
	case lethe.SCIMCo, lethe.SCIMSw, lethe.SCIMEw:
		c = w.likeCond(a, col, op, s, val)
	default:
		cmp, known := comparisons[op]
		if !known {
			return "", errSCIMFilter
		}
		c = col + " " + cmp + " " + val(s)
	}
	if a.nullable {
		c = "COALESCE(" + c + ", FALSE)"
	}
	return c, nil
}

// likeCond is co, sw or ew: LIKE with the value's wildcards escaped, where
// case is ignored; exact attributes compare substrings, since SQLite's
// LIKE ignores case.
func (w scimWhere) likeCond(a scimAttr, col, op, s string, val func(string) string) string {
	if a.kind == scimExact {
		switch op {
		case lethe.SCIMSw:
			return "substr(" + col + ", 1, length(" + val(s) + ")) = " + val(s)
		case lethe.SCIMEw:
			return "(length(" + col + ") >= length(" + val(s) + ") AND substr(" + col + ", length(" + col + ") - length(" +
				val(s) + ") + 1) = " + val(s) + ")"
		}
		return "(" + val(s) + " = '' OR replace(" + col + ", " + val(s) + ", '') <> " + col + ")"
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
	switch op {
	case lethe.SCIMSw:
		esc += "%"
	case lethe.SCIMEw:
		esc = "%" + esc
	default:
		esc = "%" + esc + "%"
	}
	return col + " LIKE " + val(esc) + ` ESCAPE '\'`
}

// selective reports whether every row f selects is found through an
// index by an equality (userName eq "x", or such conditions joined by and
// with anything, or by or with each other): few rows, best read through
// that index and sorted, rather than by walking the ids in order until a
// page is full, which SQLite's planner, seeing the ORDER BY and the LIMIT,
// prefers (see order).
func (w scimWhere) selective(f *lethe.SCIMFilter) bool {
	if f == nil {
		return false
	}
	switch strings.ToLower(f.Op) {
	case lethe.SCIMAnd:
		return w.selective(f.Left) || w.selective(f.Right)
	case lethe.SCIMOr:
		return w.selective(f.Left) && w.selective(f.Right)
	case lethe.SCIMEq:
		return w.attrs[strings.ToLower(f.Attr)].indexed
	}
	return false
}

// order returns the ORDER BY of sortBy (an attribute, or "" for id), the
// id last so pages are stable. With hideID the id is ordered by as an
// expression no index serves, so the planner reads the rows through the
// filter's index (selective) and sorts them.
func (w scimWhere) order(sortBy string, desc, hideID bool, id string) (string, error) {
	if hideID {
		id = "(" + id + " || '')"
	}
	dir := ""
	if desc {
		dir = " DESC"
	}
	if sortBy == "" {
		return " ORDER BY " + id + dir, nil
	}
	a, ok := w.attrs[strings.ToLower(sortBy)]
	if !ok || a.kind == scimMember {
		return "", lethe.FieldErrorf(lethe.EInvalid, "sortBy", "invalid", "sortBy names an attribute the store cannot sort by.")
	}
	col := a.expr
	if a.kind == scimFold {
		col = "lower(" + col + ")"
	}
	out := " ORDER BY "
	if a.nullable {
		out += "(" + a.expr + " IS NULL), " // missing values last, on both databases
	}
	return out + col + dir + ", " + id + dir, nil
}

// foldASCII lowers the ASCII letters of s and nothing else: what lower()
// does on SQLite and under PostgreSQL's "C" collation.
func foldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
