package main

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// A progress bar is drawn only when standard error is a terminal; anywhere
// else (a pipe, a log file, the tests) a command writes what it wrote
// before the bar existed.

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress is a bar of done out of total on w, redrawn in place.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	stage string
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

// show draws done of total, described by desc.
func (p *progress) show(desc string, done, total int) {
	if total <= 0 {
		return
	}
	desc = fmt.Sprintf("%-10s", desc)
	if p.bar == nil {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true), progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30), progressbar.OptionThrottle(0))
	} else if desc != p.stage {
		p.bar.Describe(desc)
	}
	p.stage = desc
	p.bar.ChangeMax(total)
	_ = p.bar.Set(done)
}

// finish ends the bar drawn last, if any, on its own line.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
		p.bar = nil
	}
}
