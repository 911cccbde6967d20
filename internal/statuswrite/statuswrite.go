// Package statuswrite decides when a controller writes a status it computed: a change a user or another
// controller acts on at once, a change of progress alone at most once per interval. The Wukong and
// WukongSet controllers classify their own statuses' changes; this is the one rule for what follows.
package statuswrite

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Change is how a computed status differs from the one last written.
type Change struct {
	// Significant names the first field a user acts on that changed ("phase", "condition Ready", ...); ""
	// when none did.
	Significant string
	// Progress is true when something changed that is only progress (a percentage, a count on its way, a
	// message).
	Progress bool
}

// Decide decides whether to write the status now. A significant change is written at once; progress only
// when the last write (since) is at least interval old, else it waits: retryAfter is when to look again,
// so the last value is written even if nothing else happens. A zero since writes progress at once; a clock
// that went backwards must not hold a write for longer than the interval.
func Decide(change Change, since, now time.Time, interval time.Duration) (write bool, retryAfter time.Duration) {
	switch {
	case change.Significant != "":
		return true, 0
	case !change.Progress:
		return false, 0
	}
	elapsed := now.Sub(since)
	if since.IsZero() || elapsed >= interval || elapsed < 0 {
		return true, 0
	}
	return false, interval - elapsed
}

// ConditionChanged returns the type of the first condition added, removed, or changed in status, reason or
// observedGeneration; "" when only messages differ (or nothing).
func ConditionChanged(old, now []metav1.Condition) string {
	if len(old) != len(now) {
		return "set"
	}
	byType := make(map[string]*metav1.Condition, len(old))
	for i := range old {
		byType[old[i].Type] = &old[i]
	}
	for _, c := range now {
		o := byType[c.Type]
		if o == nil || o.Status != c.Status || o.Reason != c.Reason || o.ObservedGeneration != c.ObservedGeneration {
			return c.Type
		}
	}
	return ""
}

// Write is one status write by this process: the object's UID, the resourceVersion the write produced and
// when it was made.
type Write struct {
	UID             types.UID
	ResourceVersion string
	At              time.Time
}

// Writes remembers this process's last status write of each object, so progress is held back against it and
// a cache that has not caught up with it can be recognised. After a restart it is empty: the first progress
// write is not held back.
type Writes struct {
	m sync.Map // client.ObjectKey -> Write
}

// Last is the last write of obj, zero when there was none of this UID (a deleted and re-created object
// starts afresh).
func (w *Writes) Last(obj client.Object) Write {
	v, _ := w.m.Load(client.ObjectKeyFromObject(obj))
	last, _ := v.(Write)
	if last.UID != obj.GetUID() {
		return Write{}
	}
	return last
}

// Record remembers a write of obj as it is after the write (its new resourceVersion) at at.
func (w *Writes) Record(obj client.Object, at time.Time) {
	w.m.Store(client.ObjectKeyFromObject(obj), Write{UID: obj.GetUID(), ResourceVersion: obj.GetResourceVersion(), At: at})
}

// Forget drops what is remembered of the object named key, when it is gone.
func (w *Writes) Forget(key client.ObjectKey) { w.m.Delete(key) }

// Sooner is the earlier of two requeue delays, zero meaning none.
func Sooner(a, b time.Duration) time.Duration {
	if b > 0 && (a == 0 || b < a) {
		return b
	}
	return a
}
