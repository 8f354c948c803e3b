package rest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// duplicateKey reports the first member name that appears twice in one
// object of a JSON body, at any depth, as a path such as
// identifiers[2].ref. A body that is not JSON has none: its decoder says
// what is wrong with it.
//
// encoding/json keeps the last of two members of one name, so the check
// runs on every body before it is decoded. It is a scanner of its own
// rather than a walk of json.Decoder.Token, which allocates for every
// token: on a batch of 1,000 activities the walk cost more than decoding
// the batch (docs/adr/0020-input-edges.md).
func duplicateKey(body []byte) (string, bool) {
	s := dupScanner{b: body}
	if s.value() != dupFound {
		return "", false
	}
	var path strings.Builder
	for _, f := range s.stack {
		if f.object {
			if path.Len() > 0 {
				path.WriteByte('.')
			}
			path.Write(f.key)
		} else {
			path.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	return path.String(), true
}

// maxDepth is as deep as the scanner follows nested values; encoding/json
// refuses deeper ones (its own limit is 10,000) with a syntax error.
const maxDepth = 10000

type dupResult int

const (
	dupNone  dupResult = iota // the value ended without a duplicate
	dupFound                  // stack names the duplicate
	dupBad                    // not JSON: left to the decoder
)

// dupFrame is an open object or array.
type dupFrame struct {
	object bool
	index  int    // the element of an array being read
	key    []byte // the member of an object being read
	names  [][]byte
	set    map[string]struct{} // the names, once an object has many
}

type dupScanner struct {
	b     []byte
	i     int
	stack []dupFrame
}

func (s *dupScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value.
func (s *dupScanner) value() dupResult {
	s.ws()
	if s.i >= len(s.b) {
		return dupBad
	}
	switch s.b[s.i] {
	case '{':
		return s.object()
	case '[':
		return s.array()
	case '"':
		if _, ok := s.str(); !ok {
			return dupBad
		}
		return dupNone
	}
	start := s.i // a number, true, false or null; the decoder checks which
	for s.i < len(s.b) && (isAlnum(s.b[s.i]) || s.b[s.i] == '-' || s.b[s.i] == '+' || s.b[s.i] == '.') {
		s.i++
	}
	if s.i == start {
		return dupBad
	}
	return dupNone
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// push opens a frame, reusing the name slice of one closed at this depth.
func (s *dupScanner) push(object bool) bool {
	if len(s.stack) >= maxDepth {
		return false
	}
	if n := len(s.stack); n < cap(s.stack) {
		s.stack = s.stack[:n+1]
		s.stack[n] = dupFrame{object: object, names: s.stack[n].names[:0]}
	} else {
		s.stack = append(s.stack, dupFrame{object: object})
	}
	s.i++
	return true
}

func (s *dupScanner) pop() dupResult {
	s.stack = s.stack[:len(s.stack)-1]
	s.i++
	return dupNone
}

func (s *dupScanner) object() dupResult {
	if !s.push(true) {
		return dupBad
	}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		return s.pop()
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return dupBad
		}
		name, ok := s.name()
		if !ok {
			return dupBad
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return dupBad
		}
		s.i++
		s.stack[len(s.stack)-1].key = name
		if s.seen(name) {
			return dupFound
		}
		if r := s.value(); r != dupNone {
			return r
		}
		s.ws()
		if s.i >= len(s.b) {
			return dupBad
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			return s.pop()
		default:
			return dupBad
		}
	}
}

func (s *dupScanner) array() dupResult {
	if !s.push(false) {
		return dupBad
	}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		return s.pop()
	}
	for {
		if r := s.value(); r != dupNone {
			return r
		}
		s.ws()
		if s.i >= len(s.b) {
			return dupBad
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.stack[len(s.stack)-1].index++
		case ']':
			return s.pop()
		default:
			return dupBad
		}
	}
}

// seen records name in the innermost object and reports whether it was
// there already: a slice while the object has few names, then a set.
func (s *dupScanner) seen(name []byte) bool {
	f := &s.stack[len(s.stack)-1]
	if f.set != nil {
		if _, ok := f.set[string(name)]; ok {
			return true
		}
		f.set[string(name)] = struct{}{}
		return false
	}
	for _, n := range f.names {
		if bytes.Equal(n, name) {
			return true
		}
	}
	if f.names = append(f.names, name); len(f.names) > 16 {
		f.set = make(map[string]struct{}, 32)
		for _, n := range f.names {
			f.set[string(n)] = struct{}{}
		}
	}
	return false
}

// str skips a string and returns it as written, quotes included.
func (s *dupScanner) str() ([]byte, bool) {
	start := s.i
	s.i++
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			return s.b[start:s.i], true
		case '\\':
			s.i += 2
		default:
			s.i++
		}
	}
	return nil, false
}

// name reads a member name as encoding/json would decode it: escapes
// resolved and invalid UTF-8 replaced, so "a" and "\u0061" are one name.
func (s *dupScanner) name() ([]byte, bool) {
	raw, ok := s.str()
	if !ok {
		return nil, false
	}
	plain := bytes.IndexByte(raw, '\\') < 0
	for _, c := range raw {
		if c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return raw[1 : len(raw)-1], true
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return nil, false
	}
	return []byte(v), true
}
