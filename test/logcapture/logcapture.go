// Package logcapture is a logr sink for tests that records every log line a process writes through
// controller-runtime's logger, so a test can search the manager's logs (its reconcilers' own lines and
// controller-runtime's "Reconciler error" lines) for what must never be logged.
package logcapture

import (
	"fmt"
	"strings"
	"sync"

	"github.com/go-logr/logr"
)

// Sink records log lines in memory: errors, and info lines up to a verbosity. The zero value is not usable;
// use New.
type Sink struct {
	verbosity int
	mu        *sync.Mutex
	lines     *[]string
	name      string
	kvs       []any
}

// New returns an empty sink that records info lines up to V(verbosity). Pass logr.New(sink) to
// ctrl.SetLogger before anything else sets a logger: controller-runtime keeps the first logger set.
func New(verbosity int) *Sink {
	return &Sink{verbosity: verbosity, mu: &sync.Mutex{}, lines: &[]string{}}
}

// Init implements logr.LogSink.
func (s *Sink) Init(logr.RuntimeInfo) {}

// Enabled implements logr.LogSink.
func (s *Sink) Enabled(level int) bool { return level <= s.verbosity }

// Info implements logr.LogSink.
func (s *Sink) Info(_ int, msg string, kvs ...any) { s.record("info", msg, nil, kvs) }

// Error implements logr.LogSink.
func (s *Sink) Error(err error, msg string, kvs ...any) { s.record("error", msg, err, kvs) }

// WithValues implements logr.LogSink.
func (s *Sink) WithValues(kvs ...any) logr.LogSink {
	c := *s
	c.kvs = append(append([]any(nil), s.kvs...), kvs...)
	return &c
}

// WithName implements logr.LogSink.
func (s *Sink) WithName(name string) logr.LogSink {
	c := *s
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	return &c
}

func (s *Sink) record(level, msg string, err error, kvs []any) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %q", level, s.name, msg)
	if err != nil {
		fmt.Fprintf(&b, " error=%q", err.Error())
	}
	all := append(append([]any(nil), s.kvs...), kvs...)
	for i := 0; i+1 < len(all); i += 2 {
		fmt.Fprintf(&b, " %v=%v", all[i], all[i+1])
	}
	s.mu.Lock()
	*s.lines = append(*s.lines, b.String())
	s.mu.Unlock()
}

// Lines returns the lines recorded so far that contain every one of parts.
func (s *Sink) Lines(parts ...string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range *s.lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}
