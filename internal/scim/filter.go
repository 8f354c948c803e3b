package scim

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
	filter "github.com/scim2/filter-parser/v2"
)

// Kinds of filterable attributes: what operators and values they take.
const (
	kindText  = "text"  // caseExact=false strings: eq ne co sw ew pr
	kindExact = "exact" // caseExact=true strings: the same operators
	kindBool  = "bool"  // eq ne pr, a boolean
	kindDate  = "date"  // eq ne gt ge lt le pr, an RFC 3339 date
)

// filterAttrs maps a filterable attribute, in lower case, to its name in
// lethe.SCIMFilter and its kind.
type filterAttrs map[string][2]string

var userFilters = filterAttrs{
	"id": {"id", kindExact}, "username": {"userName", kindText}, "externalid": {"externalId", kindExact},
	"emails": {"emails.value", kindText}, "emails.value": {"emails.value", kindText},
	"name.givenname": {"name.givenName", kindText}, "name.familyname": {"name.familyName", kindText},
	"displayname": {"displayName", kindText}, "title": {"title", kindText}, "active": {"active", kindBool},
	"meta.created": {"meta.created", kindDate}, "meta.lastmodified": {"meta.lastModified", kindDate},
}

var groupFilters = filterAttrs{
	"id": {"id", kindExact}, "displayname": {"displayName", kindText}, "externalid": {"externalId", kindExact},
	"members": {"members.value", kindExact}, "members.value": {"members.value", kindExact},
	"meta.created": {"meta.created", kindDate}, "meta.lastmodified": {"meta.lastModified", kindDate},
}

// maxFilterNesting bounds how deep a filter's parentheses and brackets
// nest. The parser backtracks: 4,096 open parentheses took it 360 ms, so
// the depth is checked, in one pass, before it runs.
const maxFilterNesting = 32

// nesting is the deepest nesting of ( and [ in s outside quoted strings.
func nesting(s string) int {
	depth, deepest, quoted := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == ')' || c == ']':
			depth--
		}
	}
	return deepest
}

// maxFilterLength bounds a filter (and so the depth of its tree).
const maxFilterLength = 4096

func invalidFilter(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, typeInvalidFilter, format, args...)
}

// parseFilter parses a SCIM filter over the attributes of a resource and
// translates it to the domain's filter. An empty filter is nil.
func parseFilter(raw string, res *resource, attrs filterAttrs) (*lethe.SCIMFilter, error) {
	raw = prepareFilter(raw)
	if raw == "" {
		return nil, nil
	}
	if len(raw) > maxFilterLength {
		return nil, invalidFilter("The filter must be at most %d characters.", maxFilterLength)
	}
	if nesting(raw) > maxFilterNesting {
		return nil, invalidFilter("The filter must not nest parentheses or brackets more than %d deep.", maxFilterNesting)
	}
	e, ok := simpleEquality(raw)
	if !ok {
		var err error
		if e, err = filter.ParseFilter([]byte(raw)); err != nil {
			return nil, invalidFilter("The filter is not valid SCIM filter syntax (RFC 7644 §3.4.2.2).")
		}
	}
	t := translator{res: res, attrs: attrs}
	return t.translate(e, "")
}

type translator struct {
	res   *resource
	attrs filterAttrs
}

// translate turns one node into a domain filter. within is the attribute
// of an enclosing value path (emails in emails[value co "x"]).
func (t translator) translate(e filter.Expression, within string) (*lethe.SCIMFilter, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := t.translate(e.Left, within)
		if err != nil {
			return nil, err
		}
		r, err := t.translate(e.Right, within)
		if err != nil {
			return nil, err
		}
		op := lethe.SCIMOr
		if e.Operator == filter.AND {
			op = lethe.SCIMAnd
		}
		return &lethe.SCIMFilter{Op: op, Left: l, Right: r}, nil
	case *filter.NotExpression:
		l, err := t.translate(e.Expression, within)
		if err != nil {
			return nil, err
		}
		return &lethe.SCIMFilter{Op: lethe.SCIMNot, Left: l}, nil
	case *filter.ValuePath:
		if within != "" {
			return nil, invalidFilter("Value filters do not nest.")
		}
		name, err := t.attrName(e.AttributePath)
		if err != nil {
			return nil, err
		}
		return t.translate(e.ValueFilter, name)
	case *filter.AttributeExpression:
		return t.leaf(e, within)
	}
	return nil, invalidFilter("The filter is not supported.")
}

// attrName reads an attribute path as a lower-case name, dropping the core
// schema's URN.
func (t translator) attrName(p filter.AttributePath) (string, error) {
	if uri := p.URI(); uri != "" && !strings.EqualFold(uri, t.res.core.ID) {
		return "", invalidFilter("Filters over %s attributes are not supported.", uriLabel(t.res, uri))
	}
	name := strings.ToLower(p.AttributeName)
	if p.SubAttribute != nil {
		name += "." + strings.ToLower(*p.SubAttribute)
	}
	return name, nil
}

func uriLabel(res *resource, uri string) string {
	if ext := res.extension(uri); ext != nil {
		return ext.Name
	}
	return "extension"
}

// leaf translates one comparison.
func (t translator) leaf(e *filter.AttributeExpression, within string) (*lethe.SCIMFilter, error) {
	name, err := t.attrName(e.AttributePath)
	if err != nil {
		return nil, err
	}
	op := strings.ToLower(string(e.Operator))
	if within != "" {
		if within == "emails" && (name == "type" || name == "primary") {
			// Lethe keeps one email, the work and primary one.
			return &lethe.SCIMFilter{Op: lethe.SCIMPr, Attr: "emails.value"}, nil
		}
		name = within + "." + name
	}
	def, ok := t.attrs[name]
	if !ok {
		return nil, invalidFilter("The attribute %s cannot be filtered on.", safeName(name))
	}
	f := &lethe.SCIMFilter{Op: op, Attr: def[0]}
	if op == lethe.SCIMPr {
		return f, nil
	}
	if f.Value, err = filterValue(def, op, e.CompareValue); err != nil {
		return nil, err
	}
	return f, nil
}

// filterValue checks the operator and value of a comparison against the
// attribute's kind, and converts the value.
func filterValue(def [2]string, op string, v any) (any, error) {
	attr, kind := def[0], def[1]
	switch kind {
	case kindBool:
		if op != lethe.SCIMEq && op != lethe.SCIMNe {
			return nil, invalidFilter("%s is a boolean: it takes eq, ne or pr.", attr)
		}
		b, ok := boolOf(v)
		if !ok {
			return nil, invalidFilter("%s is compared with true or false.", attr)
		}
		return b, nil
	case kindDate:
		s, ok := v.(string)
		if !ok || op == lethe.SCIMCo || op == lethe.SCIMSw || op == lethe.SCIMEw {
			return nil, invalidFilter("%s is a date: it takes eq, ne, gt, ge, lt, le or pr and a quoted RFC 3339 date.", attr)
		}
		d, err := time.Parse(time.RFC3339Nano, unescape(s))
		if err != nil {
			return nil, invalidFilter("%s is compared with an RFC 3339 date such as 2025-01-31T12:00:00Z.", attr)
		}
		return d.UTC(), nil
	}
	switch op {
	case lethe.SCIMGt, lethe.SCIMGe, lethe.SCIMLt, lethe.SCIMLe:
		return nil, invalidFilter("%s is text: it takes eq, ne, co, sw, ew or pr.", attr)
	}
	s, ok := v.(string)
	if !ok {
		return nil, invalidFilter("%s is compared with a quoted string.", attr)
	}
	return unescape(s), nil
}

// safeName is an attribute name fit for an error message: names are not
// personal data, but a client could put anything in one.
func safeName(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".:$_-", r)) {
			return "given"
		}
	}
	return s
}

// filterShape is a filter with its values replaced by ?, for logs:
// filters carry emails and names.
func filterShape(f *lethe.SCIMFilter) string {
	switch {
	case f == nil:
		return ""
	case f.Op == lethe.SCIMAnd || f.Op == lethe.SCIMOr:
		return "(" + filterShape(f.Left) + " " + f.Op + " " + filterShape(f.Right) + ")"
	case f.Op == lethe.SCIMNot:
		return "not (" + filterShape(f.Left) + ")"
	case f.Op == lethe.SCIMPr:
		return f.Attr + " pr"
	}
	return f.Attr + " " + f.Op + " ?"
}

// simpleEquality reads the filter every identity provider sends before it
// creates a user, such as userName eq "ann@example.org": an attribute, or
// attribute.sub, then eq, then a string without escapes. It gives what
// filter.ParseFilter gives for it, without the parser's allocations (an
// eighth of the CPU of a sync). Anything else is left to the parser.
func simpleEquality(raw string) (filter.Expression, bool) {
	name, rest, ok := strings.Cut(raw, " ")
	if !ok || !simpleAttrPath(name) {
		return nil, false
	}
	rest = strings.TrimLeft(rest, " ")
	op, value, ok := strings.Cut(rest, " ")
	if !ok || op != "eq" {
		return nil, false
	}
	value = strings.TrimLeft(value, " ")
	if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' ||
		strings.ContainsAny(value[1:len(value)-1], "\\\"") || !utf8.ValidString(value) {
		return nil, false
	}
	for _, r := range value {
		if r < 0x20 {
			return nil, false
		}
	}
	path := filter.AttributePath{AttributeName: name}
	if attr, sub, ok := strings.Cut(name, "."); ok {
		path = filter.AttributePath{AttributeName: attr, SubAttribute: &sub}
	}
	return &filter.AttributeExpression{AttributePath: path, Operator: filter.EQ, CompareValue: value[1 : len(value)-1]}, true
}

// simpleAttrPath reports whether s is name or name.sub, each a letter then
// letters, digits, "-" or "_".
func simpleAttrPath(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || !(p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z') {
			return false
		}
		for i := 1; i < len(p); i++ {
			c := p[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
