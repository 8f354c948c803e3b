package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a `lethe serve` that bench started as a child process of
// the same executable.
type server struct {
	cmd      *exec.Cmd
	url      string
	database string
	done     chan struct{} // closed when the process has exited
	waitErr  error

	mu    sync.Mutex
	tail  [][]byte // the last log lines, shown when the server fails
	pprof string

	stopOnce sync.Once
	stopErr  error
}

// startServer runs `exe serve --db dsn --addr 127.0.0.1:0` (exe is the
// lethe executable) and waits for its "listening" log record; on failure it
// writes the server's last log lines to log.
func startServer(ctx context.Context, log io.Writer, exe, dsn string, pprof, webhooks bool) (*server, error) {
	args := []string{"serve", "--db", dsn, "--addr", "127.0.0.1:0"}
	if webhooks {
		args = append(args, "--webhooks-allow-private")
	}
	if pprof {
		args = append(args, "--pprof", "127.0.0.1:0")
	}
	s := &server{done: make(chan struct{})}
	s.cmd = exec.CommandContext(ctx, exe, args...)
	s.cmd.Cancel = func() error { return s.cmd.Process.Signal(syscall.SIGTERM) }
	s.cmd.WaitDelay = time.Minute
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start the server: %w", err)
	}
	listening := make(chan [2]string, 1)
	go func() {
		// The log is read to its end (the server's exit) before Wait,
		// which closes the pipe.
		s.readLog(stderr, listening)
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	select {
	case l := <-listening:
		s.url, s.database = "http://"+l[0], l[1]
		return s, nil
	case <-s.done:
		err = fmt.Errorf("bench: the server exited before listening (%v)", s.waitErr)
		if pprof && s.cmd.ProcessState.ExitCode() == 2 {
			err = fmt.Errorf("%w; does this lethe's serve take --pprof?", err)
		}
	case <-time.After(5 * time.Minute):
		s.stop()
		err = errors.New("bench: the server did not listen within 5 minutes")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	s.writeTail(log)
	return nil, err
}

// readLog reads the server's JSON log lines: it reports the address of the
// "listening" record, notes a pprof address, and keeps the last lines.
// It reads to the end, so the server never blocks on a full pipe.
func (s *server) readLog(r io.Reader, listening chan<- [2]string) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			s.note(line, listening)
		}
		if err != nil {
			return
		}
	}
}

func (s *server) note(line []byte, listening chan<- [2]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tail = append(s.tail, line)
	if len(s.tail) > 20 {
		s.tail = s.tail[1:]
	}
	// Only the rare records worth parsing are parsed: the server logs a
	// line per request.
	if !bytes.Contains(line, []byte(`"listening"`)) && !bytes.Contains(line, []byte("pprof")) {
		return
	}
	var rec struct{ Msg, Addr, Database string }
	if json.Unmarshal(line, &rec) != nil || rec.Addr == "" {
		return
	}
	switch {
	case rec.Msg == "listening":
		select {
		case listening <- [2]string{rec.Addr, rec.Database}:
		default:
		}
	case strings.Contains(rec.Msg, "pprof"):
		s.pprof = rec.Addr
	}
}

func (s *server) pprofAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pprof
}

func (s *server) writeTail(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tail) > 0 {
		fmt.Fprintln(w, "bench: the server's last log lines:")
		for _, l := range s.tail {
			w.Write(l)
		}
	}
}

// resetPeak resets the server's peak resident memory (Linux: writing 5 to
// /proc/PID/clear_refs); false when that is refused.
func (s *server) resetPeak() bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.cmd.Process.Pid), []byte("5"), 0) == nil
}

// peakRSS reads VmHWM from /proc/PID/status; nil when it cannot.
func (s *server) peakRSS() *int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return nil
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return nil
			}
			kb *= 1024
			return &kb
		}
	}
	return nil
}

// stop ends the server as SIGTERM does (in-flight requests finish, the
// database is closed) and waits for it; an unclean exit is an error.
func (s *server) stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(time.Minute):
				s.cmd.Process.Kill()
				<-s.done
				s.stopErr = errors.New("bench: the server did not stop within a minute of SIGTERM; killed")
				return
			}
		}
		if s.waitErr != nil {
			s.stopErr = fmt.Errorf("bench: the server exited uncleanly: %v", s.waitErr)
		}
	})
	return s.stopErr
}
