package wukongset

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// expectationTTL bounds how long a create or delete the cache has not shown yet is trusted; after it, the
// cache is believed again (a lost watch event cannot wedge a set).
const expectationTTL = 2 * time.Minute

// expectations remember members this process created or deleted until the cache shows it, so that a
// reconcile on a stale cache neither creates a member twice (deterministic names make that harmless but
// costly) nor refills an index whose member is still going away.
type expectations struct {
	mu      sync.Mutex
	creates map[types.UID]map[string]time.Time
	deletes map[types.UID]map[string]time.Time
}

func (e *expectations) expectCreate(set types.UID, name string) {
	e.drop(e.deletes, set, name)
	e.put(&e.creates, set, name)
}
func (e *expectations) expectDelete(set types.UID, name string) { e.put(&e.deletes, set, name) }
func (e *expectations) forgetCreate(set types.UID, name string) { e.drop(e.creates, set, name) }
func (e *expectations) forgetDelete(set types.UID, name string) { e.drop(e.deletes, set, name) }

func (e *expectations) put(m *map[types.UID]map[string]time.Time, set types.UID, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if *m == nil {
		*m = map[types.UID]map[string]time.Time{}
	}
	if (*m)[set] == nil {
		(*m)[set] = map[string]time.Time{}
	}
	(*m)[set][name] = time.Now()
}

func (e *expectations) drop(m map[types.UID]map[string]time.Time, set types.UID, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(m[set], name)
}

// pendingCreates returns the names created but not yet in the cache (seen), dropping those now seen or
// expired.
func (e *expectations) pendingCreates(set types.UID, seen map[string]bool) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for name, at := range e.creates[set] {
		if seen[name] || time.Since(at) > expectationTTL {
			delete(e.creates[set], name)
			continue
		}
		out = append(out, name)
	}
	return out
}

// pruneDeletes forgets deletions the cache has caught up with: the member is no longer listed.
func (e *expectations) pruneDeletes(set types.UID, seen map[string]bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for name := range e.deletes[set] {
		if !seen[name] {
			delete(e.deletes[set], name)
		}
	}
}

// deleted reports whether this process deleted the member and the cache may not show it yet.
func (e *expectations) deleted(set types.UID, name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	at, ok := e.deletes[set][name]
	if ok && time.Since(at) > expectationTTL {
		delete(e.deletes[set], name)
		return false
	}
	return ok
}

// forget drops everything about a set.
func (e *expectations) forget(set types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.creates, set)
	delete(e.deletes, set)
}
