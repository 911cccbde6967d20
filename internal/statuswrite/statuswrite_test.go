package statuswrite

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	const interval = 10 * time.Second
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	progress := Change{Progress: true}
	cases := []struct {
		name      string
		change    Change
		last, now time.Time
		write     bool
		retry     time.Duration
	}{
		{"nothing changed", Change{}, t0, t0.Add(time.Minute), false, 0},
		{"nothing changed, never written", Change{}, time.Time{}, t0, false, 0},
		{"significant right after a write", Change{Significant: "phase"}, t0, t0.Add(time.Millisecond), true, 0},
		{"progress, never written by this process", progress, time.Time{}, t0, true, 0},
		{"progress 1 s after a write: wait 9 s", progress, t0, t0.Add(time.Second), false, 9 * time.Second},
		{"progress just before the interval", progress, t0, t0.Add(interval - time.Millisecond), false, time.Millisecond},
		{"progress at the interval", progress, t0, t0.Add(interval), true, 0},
		{"progress long after", progress, t0, t0.Add(time.Hour), true, 0},
		{"progress with the clock gone backwards", progress, t0, t0.Add(-time.Minute), true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			write, retry := Decide(c.change, c.last, c.now, interval)
			if write != c.write || retry != c.retry {
				t.Errorf("Decide = %v, %s; want %v, %s", write, retry, c.write, c.retry)
			}
		})
	}
}
