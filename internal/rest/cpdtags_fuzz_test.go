package rest

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lethehq/lethe"
)

// Fuzz targets of the tag, skill and CPD decoders (see decode_fuzz_test.go
// for the shared properties).

var tagBodySeeds = []string{
	`{"name":"Leadership"}`, `{"name":"  x  "}`, `{"name":""}`, `{"name":null}`, `{"name":5}`, `{}`, ``, `[]`, `null`,
	`{"tags":["a","b"]}`, `{"tags":[]}`, `{"tags":[""]}`, `{"tags":"a"}`, `{"tags":[1]}`, `{"tags":["\u0000"]}`,
	`{"op":"remove","path":"tags","value":["a"]}`, `{"op":"remove","path":"tags"}`, `{"op":"add","path":"tags","value":["a"]}`,
	`{"op":"update","path":"skills","value":[{"tagName":"a","level":1,"targetLevel":3}]}`,
	`{"op":"update","path":"skills","value":[{"tagName":"a","level":-2}]}`,
	`{"op":"update","path":"skills","value":[{"tagName":"a","level":1e300}]}`,
	`{"op":"update","path":"skills","value":[null]}`, `{"op":"update","path":"skills","value":[{}]}`,
	`[{"name":"Novice","value":1,"isEnabled":true},{"name":"Expert","value":2,"enabled":false}]`,
	`[{"name":"a","value":1},{"name":"b","value":1}]`, `[{"value":1}]`, `[null]`, `[{"name":"a","value":"1"}]`,
	"{\"name\":\"\xff\"}", strings.Repeat(`[`, 20000),
}

func FuzzDecodeTags(f *testing.F) {
	for _, s := range tagBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if name, err := decodeTagName(body); err != nil {
			mustClientError(t, err)
		} else if name == "" || name != strings.TrimSpace(name) || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
			t.Fatalf("tag name %q", name)
		}
		checkNames := func(names []string, err error) {
			t.Helper()
			if err != nil {
				mustClientError(t, err)
				return
			}
			if len(names) < 1 || len(names) > lethe.MaxTagsPerRequest {
				t.Fatalf("%d names", len(names))
			}
			for _, n := range names {
				if strings.TrimSpace(n) == "" || strings.ContainsRune(n, 0) || !utf8.ValidString(n) {
					t.Fatalf("name %q", n)
				}
			}
		}
		checkNames(decodeAddTags(body))
		checkNames(decodeRemoveTags(body))
		if skills, err := decodeUpdateSkills(body); err != nil {
			mustClientError(t, err)
		} else {
			names := make([]string, len(skills))
			for i, s := range skills {
				names[i] = s.TagName
				for _, l := range []*int{s.Level, s.TargetLevel} {
					if l != nil && *l < lethe.MinSkillLevel {
						t.Fatalf("level %d", *l)
					}
				}
			}
			checkNames(names, nil)
		}
		if levels, err := decodeSkillLevels(body); err != nil {
			mustClientError(t, err)
		} else {
			seen := map[int]bool{}
			for _, l := range levels {
				if l.Name == "" || seen[l.Value] || l.Value < lethe.MinSkillLevel {
					t.Fatalf("levels %+v", levels)
				}
				seen[l.Value] = true
			}
		}
	})
}

var cpdBodySeeds = []string{
	`{"name":"Ethics"}`, `{"name":""}`, `{"audienceId":"TEAM","requiredMinutes":600}`, `{"audienceId":"TEAM","requiredMinutes":-1}`,
	`{"audienceId":"TEAM","requiredMinutes":1.5}`, `{"audienceId":"TEAM","requiredMinutes":"60"}`, `{"requiredMinutes":1}`,
	`{"userId":"000000000000000000000001","entryDate":"2025-02-01","durationMinutes":90}`,
	`{"userId":"000000000000000000000001","categoryId":"000000000000000000000002","activity":{"type":"course","name":"E"},
	  "entryDate":"2025-02-01 10:00:00","durationMinutes":0,"description":"with Bob"}`,
	`{"userId":"000000000000000000000001","entryDate":"2025-02-01","durationMinutes":-5}`,
	`{"userId":"000000000000000000000001","entryDate":"01/02/2025","durationMinutes":5}`,
	`{"userId":"000000000000000000000001","entryDate":"2025-02-01","durationMinutes":5,"activity":"x"}`,
	`{"userId":"000000000000000000000001","entryDate":"2025-02-01","durationMinutes":5,"description":"\u0000"}`,
	`{"userId":"x"}`, `{}`, ``, `[]`, `null`, strings.Repeat(`{"a":`, 20000),
}

func FuzzDecodeCPD(f *testing.F) {
	for _, s := range cpdBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if name, err := decodeCPDCategory(body); err != nil {
			mustClientError(t, err)
		} else if name == "" || strings.ContainsRune(name, 0) {
			t.Fatalf("category %q", name)
		}
		if aud, mins, err := decodeCPDRequirement(body); err != nil {
			mustClientError(t, err)
		} else if aud == "" || mins < 0 {
			t.Fatalf("requirement %q %d", aud, mins)
		}
		e, err := decodeCPDEntry(body)
		if err != nil {
			mustClientError(t, err)
			return
		}
		if _, ok := lethe.ParseID(string(e.LearnerID)); !ok || e.DurationMinutes < 0 || e.EntryDate.IsZero() ||
			e.EntryDate.Location() != time.UTC || e.ActivityType == "" || e.IsVerified {
			t.Fatalf("entry %+v", e)
		}
		if e.Description != nil && (!utf8.ValidString(*e.Description) || strings.ContainsRune(*e.Description, 0)) {
			t.Fatalf("description %q", *e.Description)
		}
	})
}

func FuzzParseCPDLists(f *testing.F) {
	for _, s := range []string{
		"", "page=2&perPage=50", "perPage=1001", "perPage=0", "updatedSince=2025-01-01", "updatedSince=x",
		"entryDateFrom=2025-01-01&entryDateTo=2025-01-31", "entryDateFrom=2025-01-01+00%3A00%3A00", "entryDateTo=x",
		"entryDateFrom=2025-01-01T00:00:00&entryDateTo=2025-02-01T00:00:00&userIds=000000000000000000000001,x",
		"entryDateFrom=2025-02-01T00:00:00&entryDateTo=2025-01-01T00:00:00", "userIds=%00", "%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		check := func(err error, p paging) {
			t.Helper()
			if err != nil {
				mustClientError(t, err)
				return
			}
			if p.perPage < 1 || p.perPage > 1000 || p.offset() < 0 {
				t.Fatalf("paging %+v", p)
			}
		}
		p, _, err := parseUpdatedSincePage(q)
		check(err, p)
		p, ef, err := parseCPDEntryList(q)
		check(err, p)
		if err == nil && ef.Limit != p.perPage {
			t.Fatalf("limit %d, perPage %d", ef.Limit, p.perPage)
		}
		p, sf, err := parseCPDSummaryList(q)
		check(err, p)
		if err == nil {
			if sf.To.Before(sf.From) {
				t.Fatalf("period %v to %v", sf.From, sf.To)
			}
			for _, id := range sf.LearnerIDs {
				if _, ok := lethe.ParseID(string(id)); !ok && id != "" {
					t.Fatalf("learner id %q", id)
				}
			}
		}
	})
}
