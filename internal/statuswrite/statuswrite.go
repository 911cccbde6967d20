// Package statuswrite decides when a controller writes a status it computed: a change a user or another
// controller acts on at once, a change of progress alone at most once per interval. The Wukong and
// WukongSet controllers classify their own statuses' changes; this is the one rule for what follows.
package statuswrite

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
