package console

import (
	"encoding/csv"
	"strconv"

	"github.com/lethehq/lethe"
)

// The reports' CSV: the columns of the API's (GET /lethe/v1/reports/…
// with format=csv), so a download and an export read alike.

func writeHeadcountCSV(w *csv.Writer, h *lethe.Headcount) {
	head := []string{"asOf", "headcount"}
	row := []string{h.AsOf.UTC().Format("2006-01-02T15:04:05.000Z"), strconv.Itoa(h.Active())}
	for _, st := range lethe.AllStates {
		head, row = append(head, string(st)), append(row, strconv.Itoa(h.ByState[st]))
	}
	w.Write(head)
	w.Write(row)
}

func writeComplianceCSV(w *csv.Writer, rep *lethe.ComplianceReport) {
	w.Write([]string{"assignmentId", "audienceId", "userId", "status", "lastCompletedAt", "deleted"})
	for _, a := range rep.Assignments {
		for _, p := range a.People {
			last := ""
			if p.LastCompletedAt != nil {
				last = p.LastCompletedAt.UTC().Format("2006-01-02T15:04:05.000Z")
			}
			w.Write([]string{a.AssignmentID, a.AudienceID, string(p.LearnerID), string(p.Status), last, strconv.FormatBool(p.Deleted)})
		}
	}
}
