package lethe

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// CSV header names that name users, compared ignoring case, spaces,
// dashes and underscores.
var csvColumns = map[string]string{
	"id": "id", "userid": "id", "learnerid": "id",
	"ref": "ref", "reference": "ref", "userref": "ref", "employeeref": "ref", "employeeid": "ref",
	"email": "email", "emailaddress": "email", "mail": "email",
}

// ParseUserCSV reads a CSV of users: a header line with an id, ref or email
// column (the first found, in that order), comma- or semicolon-separated,
// with or without an Excel byte-order mark. Blank lines are skipped; a
// line whose cell is empty names nobody. field names the input in errors.
// Jobs read theirs with ScanUserCSV, one line at a time.
func ParseUserCSV(text, field string) ([]CSVUser, error) {
	var out []CSVUser
	err := ScanUserCSV(strings.NewReader(text), field, func(u CSVUser) error {
		out = append(out, u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// csvError is the 422 of a CSV that does not parse: it names the line (the
// header being line 1) and the problem, without the offending text.
func csvError(field string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return FieldErrorf(EInvalid, field, "invalid", "%s is not valid CSV at line %d: %s", field, pe.Line, pe.Err.Error())
	}
	return FieldErrorf(EInvalid, field, "invalid", "%s is not valid CSV: unreadable", field)
}

// errCSVScanStop ends a scan early without an error (CountUserCSV).
var errCSVScanStop = errors.New("stop")

// ScanUserCSV reads a CSV of users as ParseUserCSV says, from r, and gives
// each line naming a user (or naming nobody: an empty cell) to fn, in
// order; an error from fn ends the scan and is returned. It holds one line
// at a time, so its memory does not grow with the CSV.
func ScanUserCSV(r io.Reader, field string, fn func(CSVUser) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := br.ReadString('\n')
	if err != nil && err != io.EOF {
		return FieldErrorf(EInvalid, field, "invalid", "%s is not valid CSV: unreadable", field)
	}
	first = strings.TrimPrefix(first, "\ufeff")
	if strings.TrimSpace(first) == "" {
		return FieldErrorf(EInvalid, field, "no_header", "%s must start with a header line naming an id, ref or email column", field)
	}
	sep := ','
	if strings.Count(first, ";") > strings.Count(first, ",") {
		sep = ';'
	}
	cr := csv.NewReader(io.MultiReader(strings.NewReader(first), br))
	cr.Comma, cr.FieldsPerRecord, cr.ReuseRecord = sep, -1, true
	header, err := cr.Read()
	if err != nil {
		return csvError(field, err)
	}
	col, kind := -1, ""
	for _, want := range []string{"id", "ref", "email"} {
		for i, h := range header {
			key := strings.ToLower(strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.TrimSpace(h)))
			if csvColumns[key] == want {
				col, kind = i, want
				break
			}
		}
		if col >= 0 {
			break
		}
	}
	if col < 0 {
		found := strings.Join(header, ", ")
		if utf8.RuneCountInString(found) > 200 {
			found = string([]rune(found)[:200]) + "…"
		}
		return FieldErrorf(EInvalid, field, "no_user_column",
			"%s has no id, ref or email column; the header found is: %s", field, found)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// FieldPos would panic here: there is no record. The line is
			// the error's own.
			return csvError(field, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		line, _ := cr.FieldPos(0)
		u := CSVUser{Line: line}
		if col < len(rec) {
			v := strings.TrimSpace(rec[col])
			switch kind {
			case "id":
				if id, ok := ParseID(v); ok {
					u.Identifier.ID = LearnerID(id)
				} else if v != "" {
					u.Identifier.ID = LearnerID("invalid")
				}
			case "ref":
				u.Identifier.Ref = v
			case "email":
				u.Identifier.Email = v
			}
		}
		if err := fn(u); err != nil {
			return err
		}
	}
}

// CountUserCSV checks a CSV of users as ScanUserCSV does and counts its
// lines naming a user; it stops counting beyond max (answering max+1).
func CountUserCSV(r io.Reader, field string, max int) (int, error) {
	n := 0
	err := ScanUserCSV(r, field, func(CSVUser) error {
		if n++; n > max {
			return errCSVScanStop
		}
		return nil
	})
	if errors.Is(err, errCSVScanStop) {
		err = nil
	}
	return n, err
}

// CSVUser is one line of a CSV of users.
type CSVUser struct {
	Line       int // 1-based, the header being line 1
	Identifier Identifier
}
