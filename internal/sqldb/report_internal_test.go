package sqldb

import (
	"testing"

	"github.com/lethehq/lethe"
)

func TestSortBySeq(t *testing.T) {
	events := []lethe.EnrolmentEvent{{Type: "c"}, {Type: "a"}, {Type: "d"}, {Type: "b"}}
	sortBySeq(events, []int64{3, 1, 4, 2})
	var got string
	for _, e := range events {
		got += e.Type
	}
	if got != "abcd" {
		t.Errorf("sorted events = %s, want abcd", got)
	}
}
