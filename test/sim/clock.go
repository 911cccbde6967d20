package sim

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// clock remembers when each object entered its current simulated step, so a reconcile woken early (by a
// watch event, a resync or a conflict retry) neither skips nor restarts the step. It is the only state the
// simulator keeps outside the apiserver; losing it (a restart) only lengthens the step in flight.
type clock struct {
	mu    sync.Mutex
	marks map[types.NamespacedName]mark
	now   func() time.Time
}

type mark struct {
	step string
	at   time.Time
}

func newClock() *clock {
	return &clock{marks: map[types.NamespacedName]mark{}, now: time.Now}
}

// since is how long key has been in step. The first call for a step starts its clock, so an object first
// seen mid-step (simulator restarted) gets the whole step again.
func (c *clock) since(key types.NamespacedName, step string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	m, ok := c.marks[key]
	if !ok || m.step != step {
		c.marks[key] = mark{step: step, at: now}
		return 0
	}
	return now.Sub(m.at)
}

// enter records that key entered step now; called right after the status write that moved it there.
func (c *clock) enter(key types.NamespacedName, step string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.marks[key] = mark{step: step, at: c.now()}
}

// forget drops key once it reached a final step or disappeared, so the map does not grow with churn.
func (c *clock) forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.marks, key)
}
