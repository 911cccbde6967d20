package wukong

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// ProgressInterval is the least time between two writes of a Wukong's status when only progress changed: an
// import's percentage, a DataVolume's intermediate phase, a condition's message. A set of thousands of
// members importing at once would otherwise write each member's status on every step CDI and KubeVirt
// report; what a user acts on (the phase, a condition's status or reason, the addresses, the node) is
// written at once.
const ProgressInterval = 10 * time.Second

// statusChange is how a computed status differs from the one last written.
type statusChange struct {
	// significant names the first field a user acts on that changed ("phase", "condition Ready", ...); ""
	// when none did.
	significant string
	// progress is true when only progress changed: conditions' messages, volumes' phases and progress, and
	// before the VM runs its node, addresses and guest report.
	progress bool
}

// classifyStatusChange compares the status last written (old) with the one just computed (now).
func classifyStatusChange(old, now *vmv1alpha1.WukongStatus) statusChange {
	switch {
	case old.Phase != now.Phase:
		return statusChange{significant: "phase"}
	case old.ObservedGeneration != now.ObservedGeneration:
		return statusChange{significant: "observedGeneration"}
	case old.VMName != now.VMName:
		return statusChange{significant: "vmName"}
	}
	if t := conditionChanged(old.Conditions, now.Conditions); t != "" {
		return statusChange{significant: "condition " + t}
	}
	// A failed VM's messages say why it failed (the guest's crash, CDI's import error), which is what a user
	// and the set's autohealing act on: written at once, not held back as progress.
	if now.Phase == vmv1alpha1.WukongFailed && !equality.Semantic.DeepEqual(old.Conditions, now.Conditions) {
		return statusChange{significant: "failure message"}
	}
	if len(old.Volumes) != len(now.Volumes) {
		return statusChange{significant: "volumes"}
	}
	for i := range now.Volumes {
		if old.Volumes[i].Name != now.Volumes[i].Name || old.Volumes[i].DataVolume != now.Volumes[i].DataVolume {
			return statusChange{significant: "volumes"}
		}
	}
	// The node, the addresses and the guest agent's report are written at once on a running VM (a
	// migration, a new DHCP lease, an agent that goes away). While it starts they change several times in
	// its last seconds (scheduled, the pod network's address, the agent), and the write of phase Running
	// carries their final values.
	if now.Phase == vmv1alpha1.WukongRunning {
		switch {
		case old.NodeName != now.NodeName:
			return statusChange{significant: "nodeName"}
		case old.IP != now.IP || !equality.Semantic.DeepEqual(old.Networks, now.Networks):
			return statusChange{significant: "networks"}
		case !equality.Semantic.DeepEqual(old.Guest, now.Guest):
			return statusChange{significant: "guest"}
		}
	}
	return statusChange{progress: !equality.Semantic.DeepEqual(old, now)}
}

// conditionChanged returns the type of the first condition added, removed, or changed in status, reason or
// observedGeneration; "" when only messages differ (or nothing).
func conditionChanged(old, now []metav1.Condition) string {
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

// decideStatusWrite decides whether to write the status now. A significant change is written at once; a
// change of progress only when the last write is at least ProgressInterval old, else it waits (retryAfter
// is when to look again, so the last value is written even if nothing else happens). lastWrite is zero when
// this process has not written the Wukong's status yet.
func decideStatusWrite(change statusChange, lastWrite, now time.Time) (write bool, retryAfter time.Duration) {
	switch {
	case change.significant != "":
		return true, 0
	case !change.progress:
		return false, 0
	}
	since := now.Sub(lastWrite)
	if lastWrite.IsZero() || since >= ProgressInterval || since < 0 {
		// A clock that went backwards must not hold the write for longer than the interval.
		return true, 0
	}
	return false, ProgressInterval - since
}
