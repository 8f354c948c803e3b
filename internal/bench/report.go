package bench

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lethehq/lethe/client"
)

// Error is the first failure of a scenario: the HTTP status (0 when
// no answer came) and the server's message, which never holds personal
// data.
type Error struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

func toError(err error) *Error {
	var be *Error
	var ae *client.Error
	switch {
	case errors.As(err, &be):
		return be
	case errors.As(err, &ae):
		return &Error{Status: ae.Status, Message: ae.Message}
	}
	return &Error{Message: err.Error()}
}

// Latency holds latency percentiles in milliseconds, from the sorted
// samples (nearest rank).
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Reads are the reads made beside the erasure job.
type Reads struct {
	Operations   int64    `json:"operations"`
	Errors       int64    `json:"errors"`
	FirstError   *Error   `json:"firstError,omitempty"`
	OpsPerSecond float64  `json:"opsPerSecond"`
	LatencyMs    *Latency `json:"latencyMs,omitempty"`
}

// Result is one scenario's line of the report.
type Result struct {
	Name           string   `json:"name"`
	Skipped        string   `json:"skipped,omitempty"` // why it could not run (no data of its kind)
	Operations     int64    `json:"operations"`
	Errors         int64    `json:"errors"`
	FirstError     *Error   `json:"firstError,omitempty"`
	Seconds        float64  `json:"seconds"`
	OpsPerSecond   float64  `json:"opsPerSecond"`
	ItemUnit       string   `json:"itemUnit,omitempty"` // users or activities, when the scenario moves many
	Items          *int64   `json:"items,omitempty"`
	ItemsPerSecond *float64 `json:"itemsPerSecond,omitempty"`
	LatencyMs      *Latency `json:"latencyMs,omitempty"` // per request; absent when none was made
	Reads          *Reads   `json:"reads,omitempty"`     // erasure-job only
	// ServerPeakRSSBytes is the server's peak resident memory (VmHWM) while
	// the scenario ran; null when bench did not start the server.
	ServerPeakRSSBytes *int64 `json:"serverPeakRssBytes"`
	// With --webhook: the events the receiver got for the scenario, and
	// how long after its end the outbox took to drain.
	EventsDelivered      *int64   `json:"eventsDelivered,omitempty"`
	EventsDrainedSeconds *float64 `json:"eventsDrainedSeconds,omitempty"`
}

// Report is the whole output.
type Report struct {
	Server          string  `json:"server"`
	StartedServer   bool    `json:"startedServer"`
	Database        string  `json:"database,omitempty"` // sqlite or postgres, when bench started the server
	PprofAddr       string  `json:"pprofAddr,omitempty"`
	Concurrency     int     `json:"concurrency"`
	DurationSeconds float64 `json:"durationSeconds"`
	// PeakRSSPerScenario, when bench started the server, says whether the
	// server's peak was reset before each scenario (through
	// /proc/PID/clear_refs); when false, each scenario's figure is the peak
	// since the server started.
	PeakRSSPerScenario *bool    `json:"peakRssPerScenario,omitempty"`
	Scenarios          []Result `json:"scenarios"`
	NotRun             []string `json:"notRun"` // destructive scenarios not named in --scenarios
}

// Failed reports whether some request of some scenario failed.
func (r *Report) Failed() bool {
	for _, res := range r.Scenarios {
		if res.Errors > 0 || (res.Reads != nil && res.Reads.Errors > 0) {
			return true
		}
	}
	return false
}

// WriteTable prints the report as the table lethe bench prints.
func (r *Report) WriteTable(w io.Writer) {
	where := r.Server
	if r.StartedServer {
		where += " (started by bench, " + r.Database + ")"
	}
	fmt.Fprintf(w, "server %s, %d workers, %s per timed scenario\n\n", where, r.Concurrency, time.Duration(r.DurationSeconds*float64(time.Second)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tOPS\tERRORS\tTIME\tOPS/S\tITEMS/S\tP50\tP95\tP99\tMAX\tSERVER PEAK RSS")
	row := func(name string, ops, errs int64, secs float64, rate float64, items string, lat *Latency, rss string) {
		l := [4]string{"-", "-", "-", "-"}
		if lat != nil {
			l = [4]string{fmtMs(lat.P50), fmtMs(lat.P95), fmtMs(lat.P99), fmtMs(lat.Max)}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, ops, errs, fmtSeconds(secs), fmtRate(rate), items, l[0], l[1], l[2], l[3], rss)
	}
	for _, s := range r.Scenarios {
		if s.Skipped != "" {
			fmt.Fprintf(tw, "%s\tskipped: %s\n", s.Name, s.Skipped)
			continue
		}
		items := "-"
		if s.ItemsPerSecond != nil {
			items = fmtRate(*s.ItemsPerSecond) + " " + s.ItemUnit + "/s"
		}
		rss := "n/a"
		if s.ServerPeakRSSBytes != nil {
			rss = fmt.Sprintf("%.1f MiB", float64(*s.ServerPeakRSSBytes)/(1<<20))
		}
		row(s.Name, s.Operations, s.Errors, s.Seconds, s.OpsPerSecond, items, s.LatencyMs, rss)
		if s.Reads != nil {
			row(s.Name+" reads", s.Reads.Operations, s.Reads.Errors, s.Seconds, s.Reads.OpsPerSecond, "-", s.Reads.LatencyMs, "")
		}
	}
	tw.Flush()
	var notes []string
	for _, s := range r.Scenarios {
		if s.Items != nil && s.Skipped == "" {
			notes = append(notes, fmt.Sprintf("%s: %s %s in %s", s.Name, fmtCount(*s.Items), s.ItemUnit, fmtSeconds(s.Seconds)))
		}
		if s.Reads != nil && s.Reads.LatencyMs != nil {
			verdict := "never blocked more than 100 ms"
			if s.Reads.LatencyMs.Max > 100 {
				verdict = "blocked more than 100 ms"
			}
			notes = append(notes, fmt.Sprintf("%s: reads beside the job: p99 %s, max %s (%s)", s.Name, fmtMs(s.Reads.LatencyMs.P99), fmtMs(s.Reads.LatencyMs.Max), verdict))
		}
		if s.EventsDelivered != nil && s.EventsDrainedSeconds != nil {
			notes = append(notes, fmt.Sprintf("%s: %s events delivered; the outbox drained %s after the scenario", s.Name,
				fmtCount(*s.EventsDelivered), fmtSeconds(*s.EventsDrainedSeconds)))
		}
		if s.FirstError != nil {
			notes = append(notes, fmt.Sprintf("%s: first error: %s", s.Name, fmtError(s.FirstError)))
		}
		if s.Reads != nil && s.Reads.FirstError != nil {
			notes = append(notes, fmt.Sprintf("%s reads: first error: %s", s.Name, fmtError(s.Reads.FirstError)))
		}
	}
	if len(r.NotRun) > 0 {
		notes = append(notes, fmt.Sprintf("not run (they erase users; name them in --scenarios): %s", strings.Join(r.NotRun, ", ")))
	}
	if r.PeakRSSPerScenario != nil && !*r.PeakRSSPerScenario {
		notes = append(notes, "server peak RSS: since the server started (the per-scenario reset was refused)")
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
}

func fmtError(e *Error) string {
	if e.Status == 0 {
		return "no answer: " + e.Message
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func fmtMs(v float64) string {
	switch {
	case v >= 1000:
		return fmtSeconds(v / 1000)
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

func fmtSeconds(s float64) string {
	if s >= 100 {
		return fmt.Sprintf("%.0fs", s)
	}
	return fmt.Sprintf("%.2fs", s)
}

// fmtRate prints a rate with two decimals below 10, one below 100, and
// whole, grouped by thousands, above.
func fmtRate(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmtCount(int64(v + 0.5))
}

// fmtCount prints n with its thousands grouped.
func fmtCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
