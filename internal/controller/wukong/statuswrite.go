package wukong

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/statuswrite"
)

// ProgressInterval is the least time between two writes of a Wukong's status when only progress changed: an
// import's percentage, a DataVolume's intermediate phase, a condition's message. A set of thousands of
// members importing at once would otherwise write each member's status on every step CDI and KubeVirt
// report; what a user acts on (the phase, a condition's status or reason, the addresses, the node) is
// written at once.
const ProgressInterval = 10 * time.Second

// classifyStatusChange compares the status last written (old) with the one just computed (now).
func classifyStatusChange(old, now *vmv1alpha1.WukongStatus) statuswrite.Change {
	if startProgress(old, now) {
		return statuswrite.Change{Progress: !equality.Semantic.DeepEqual(old, now)}
	}
	switch {
	case old.Phase != now.Phase:
		return statuswrite.Change{Significant: "phase"}
	case old.ObservedGeneration != now.ObservedGeneration:
		return statuswrite.Change{Significant: "observedGeneration"}
	case old.VMName != now.VMName:
		return statuswrite.Change{Significant: "vmName"}
	}
	if t := statuswrite.ConditionChanged(old.Conditions, now.Conditions); t != "" {
		return statuswrite.Change{Significant: "condition " + t}
	}
	// A failed VM's messages say why it failed (the guest's crash, CDI's import error), which is what a user
	// and the set's autohealing act on: written at once, not held back as progress.
	if now.Phase == vmv1alpha1.WukongFailed && !equality.Semantic.DeepEqual(old.Conditions, now.Conditions) {
		return statuswrite.Change{Significant: "failure message"}
	}
	if len(old.Volumes) != len(now.Volumes) {
		return statuswrite.Change{Significant: "volumes"}
	}
	for i := range now.Volumes {
		if old.Volumes[i].Name != now.Volumes[i].Name || old.Volumes[i].DataVolume != now.Volumes[i].DataVolume {
			return statuswrite.Change{Significant: "volumes"}
		}
	}
	// The node, the addresses and the guest agent's report are written at once on a running VM (a
	// migration, a new DHCP lease, an agent that goes away). While it starts they change several times in
	// its last seconds (scheduled, the pod network's address, the agent), and the write of phase Running
	// carries their final values.
	if now.Phase == vmv1alpha1.WukongRunning {
		switch {
		case old.NodeName != now.NodeName:
			return statuswrite.Change{Significant: "nodeName"}
		case old.IP != now.IP || !equality.Semantic.DeepEqual(old.Networks, now.Networks):
			return statuswrite.Change{Significant: "networks"}
		case !equality.Semantic.DeepEqual(old.Guest, now.Guest):
			return statuswrite.Change{Significant: "guest"}
		}
	}
	return statuswrite.Change{Progress: !equality.Semantic.DeepEqual(old, now)}
}

// startingPhases are the phases of a VM on its way to Running: a first start, or a start after a stop or
// restart (the write that left Running or Stopped is significant, the steps after it are not).
var startingPhases = map[vmv1alpha1.WukongPhase]bool{
	"": true, vmv1alpha1.WukongPending: true, vmv1alpha1.WukongProvisioning: true, vmv1alpha1.WukongStarting: true,
}

// healthyStartReasons are the condition reasons of a start that goes as it should: disks importing or ready,
// attachments found, the VM being created and started. Any other reason (a missing Secret, clone source or
// attachment, a refused spec, an unschedulable or failing VM, a readiness probe failing) is what a user must
// see at once.
var healthyStartReasons = map[string]bool{
	vmv1alpha1.ReasonProvisioning: true, vmv1alpha1.ReasonStarting: true, vmv1alpha1.ReasonImporting: true,
	vmv1alpha1.ReasonDisksReady: true, vmv1alpha1.ReasonNoDisks: true, vmv1alpha1.ReasonAttachmentsReady: true,
	vmv1alpha1.ReasonUpToDate: true, vmv1alpha1.ReasonVMUpdating: true,
}

// startProgress reports whether the change from old to now is a healthy start's progress: both are starting
// phases (Pending, Provisioning, Starting, or no status yet), the spec's generation is the one old reported
// (an edit is significant), and every condition of now has a healthy start's reason. Such a change is
// written at most every ProgressInterval, counted from the Wukong's creation when it has no status yet: a
// member that runs within that time costs one status write (Running), and a long import shows Provisioning
// and its progress. The phase a start ends in (Running, Failed, Stopped) is written at once.
func startProgress(old, now *vmv1alpha1.WukongStatus) bool {
	if !startingPhases[old.Phase] || !startingPhases[now.Phase] || now.Phase == "" {
		return false
	}
	if old.Phase != "" && old.ObservedGeneration != now.ObservedGeneration {
		return false
	}
	for _, c := range now.Conditions {
		if !healthyStartReasons[c.Reason] {
			return false
		}
	}
	return true
}
