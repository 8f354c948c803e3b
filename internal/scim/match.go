package scim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// matches evaluates a PATCH path's value filter (emails[type eq "work"],
// members[value eq "id"]) against one element of a multi-valued attribute
// whose sub-attributes are sub. Text compares ignoring case unless the
// sub-attribute is caseExact.
func matches(e filter.Expression, elem any, sub []attr) (bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := matches(e.Left, elem, sub)
		if err != nil {
			return false, err
		}
		r, err := matches(e.Right, elem, sub)
		if err != nil {
			return false, err
		}
		if e.Operator == filter.AND {
			return l && r, nil
		}
		return l || r, nil
	case *filter.NotExpression:
		ok, err := matches(e.Expression, elem, sub)
		return !ok, err
	case *filter.AttributeExpression:
		name := e.AttributePath.AttributeName
		if e.AttributePath.SubAttribute != nil || e.AttributePath.URIPrefix != nil {
			return false, errorf(http.StatusBadRequest, typeInvalidPath, "A value filter names sub-attributes of its attribute only.")
		}
		var v any
		if m, ok := elem.(map[string]any); ok {
			v, _ = lookup(m, name)
		} else if strings.EqualFold(name, "value") {
			v = elem
		}
		exact := false
		if a := findAttr(sub, name); a != nil {
			exact = a.CaseExact
		}
		return compare(string(e.Operator), v, e.CompareValue, exact), nil
	}
	return false, errorf(http.StatusBadRequest, typeInvalidPath, "Value filters do not nest.")
}

// compare applies a SCIM operator to a stored value v and a filter's
// value want.
func compare(op string, v, want any, exact bool) bool {
	if op == "pr" {
		s, isStr := v.(string)
		return v != nil && (!isStr || s != "")
	}
	if v == nil {
		return op == "ne"
	}
	if b, ok := boolOf(v); ok {
		w, wok := boolOf(want)
		switch op {
		case "eq":
			return wok && b == w
		case "ne":
			return !wok || b != w
		}
		return false
	}
	if n, ok := numberOf(v); ok {
		if w, wok := numberOf(want); wok {
			return order(op, cmpFloat(n, w))
		}
	}
	s, ok := v.(string)
	w, wok := want.(string)
	if !ok || !wok {
		return op == "ne"
	}
	w = unescape(w)
	if !exact {
		s, w = strings.ToLower(s), strings.ToLower(w)
	}
	switch op {
	case "co":
		return strings.Contains(s, w)
	case "sw":
		return strings.HasPrefix(s, w)
	case "ew":
		return strings.HasSuffix(s, w)
	}
	if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
		if tw, err := time.Parse(time.RFC3339Nano, w); err == nil {
			return order(op, ts.Compare(tw))
		}
	}
	return order(op, strings.Compare(s, w))
}

func order(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// boolOf reads a boolean, accepting Entra's string booleans ("True").
func boolOf(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func numberOf(v any) (float64, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// unescape undoes the escapes the filter parser leaves in a quoted value
// (\" and \\; \uXXXX escapes are resolved before parsing, by
// prepareFilter).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// prepareFilter trims a filter or path and resolves \uXXXX escapes in its
// quoted values, which the parser refuses; an escape that stands for a
// quote, a backslash or a control character stays escaped.
func prepareFilter(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, `\u`) {
		return s
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			in = !in
		case c == '\\' && in && i+5 < len(s) && s[i+1] == 'u':
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil && n >= 0x20 && n != '"' && n != '\\' {
				b.WriteRune(rune(n))
				i += 5
				continue
			}
		case c == '\\' && in && i+1 < len(s):
			b.WriteByte(c)
			b.WriteByte(s[i+1])
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
