package lethe_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/lethehq/lethe"
)

func TestParseUserCSV(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		rows, err := lethe.ParseUserCSV("\ufeffName;E-mail\r\nAda;ada@example.com\r\n\r\nBob;\r\n", "file")
		if err != nil || len(rows) != 2 || rows[0].Line != 2 || rows[0].Identifier.Email != "ada@example.com" ||
			rows[1].Line != 4 || rows[1].Identifier != (lethe.Identifier{}) {
			t.Fatalf("ParseUserCSV = %+v, %v", rows, err)
		}
	})
	t.Run("ErrStrayQuote", func(t *testing.T) {
		// A bare quote in a data line is a read error: the parser must not
		// ask the reader for the position of a record it does not have.
		for _, tc := range []struct {
			text string
			line int
		}{
			{"ref\nab\"c\n", 2},
			{"ref\nA\nB\n\"C\"x\n", 4},
			{"re\"f\nA\n", 1},
		} {
			_, err := lethe.ParseUserCSV(tc.text, "csv")
			want := "csv is not valid CSV at line " + strconv.Itoa(tc.line) + ": "
			if lethe.ErrorCode(err) != lethe.EInvalid || !strings.HasPrefix(lethe.ErrorMessage(err), want) {
				t.Errorf("ParseUserCSV(%q) = %v, want invalid starting %q", tc.text, err, want)
			}
			if d := err.(*lethe.Error).Details; len(d) != 1 || d[0].Field != "csv" {
				t.Errorf("details = %+v, want the field csv", d)
			}
		}
	})
}

// FuzzParseUserCSV: the parser never panics; an error is a 422 naming the
// input; a row's line is within the text and after the header.
func FuzzParseUserCSV(f *testing.F) {
	for _, s := range []string{
		"ref\nA\n", "ref\nab\"c\n", "\ufeffEmail,Name\na@example.com,A\r\n", "id;ref\n650000000000000000000001;x\n",
		"Name\nA\n", "", "\n", "ref\n\"a\nb\"\n", "ref\n\"unterminated\n", "ref,\"x\ny\"\nA,B\n", "a,b\n1,2,3\n",
		"ref\n\x00\n", "ref\n\xff\xfe\n", "\"\"\"\n", "ref\r\r\n\"\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rows, err := lethe.ParseUserCSV(text, "csv")
		if err != nil {
			e, ok := err.(*lethe.Error)
			if !ok || e.Code != lethe.EInvalid || len(e.Details) != 1 || e.Details[0].Field != "csv" {
				t.Fatalf("error %#v, want invalid naming csv", err)
			}
			return
		}
		lines := strings.Count(text, "\n") + 1
		for i, r := range rows {
			if r.Line < 2 || r.Line > lines || (i > 0 && r.Line <= rows[i-1].Line) {
				t.Fatalf("row %d at line %d of %d: %+v", i, r.Line, lines, rows)
			}
		}
	})
}
