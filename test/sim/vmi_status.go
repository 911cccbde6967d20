package sim

import (
	"cmp"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// Condition reasons and messages as KubeVirt writes them.
const (
	vmiReasonGuestNotRunning  = kubevirtv1.GuestNotRunningReason
	vmiMessageGuestNotRunning = "Guest VM is not reported as running"
	vmiReasonUnschedulable    = corev1.PodReasonUnschedulable
	vmiReasonCrashed          = "Crashed"
	vmiReasonContainerCreate  = "ContainerCreating"
	vmiReasonFailedCreate     = "FailedCreate"
	// vmiRenderFailed is how virt-controller words a launcher pod it could not render.
	vmiRenderFailed = "failed to render launch manifest: "
)

// SimulatedGuestOS is the operating system every simulated guest agent reports.
var SimulatedGuestOS = kubevirtv1.VirtualMachineInstanceGuestOSInfo{
	Name: "Ubuntu", ID: "ubuntu", PrettyName: "Ubuntu 24.04.1 LTS", Version: "24.04.1 LTS (Noble Numbat)",
	VersionID: "24.04", KernelRelease: "6.8.0-45-generic", KernelVersion: "#45-Ubuntu SMP PREEMPT_DYNAMIC", Machine: "x86_64",
}

// bootPhases is how many timed steps a boot takes: Pending -> Scheduling -> Scheduled -> Running.
const bootPhases = 3

// vmiInputs is everything the simulated virt-handler decides an instance's status from.
type vmiInputs struct {
	// crash is the injected crash message; non-empty fails the instance.
	crash string
	// unschedulable is the injected scheduler message; non-empty holds an unscheduled instance in Scheduling.
	unschedulable string
	// notMigratable is the injected reason a running instance cannot migrate; "" means it can.
	notMigratable string
	// notShared is why the instance's volumes cannot migrate (a DataVolume that is not ReadWriteMany); "" when
	// they can. The injected notMigratable wins.
	notShared string
	// probeFail is the injected readiness probe failure; non-empty keeps a probed instance un-Ready.
	probeFail string
	// missingSecret names the network data Secret when it does not exist, which keeps the launcher pod from
	// starting.
	missingSecret string
	// missingAttachment is why the launcher pod cannot be rendered: an attachment a Multus network selects
	// does not exist (missingAttachment); "" when they all do. It holds the instance in Pending.
	missingAttachment string
	// interfaces are the guest's interfaces and addresses, reported once it runs.
	interfaces []kubevirtv1.VirtualMachineInstanceNetworkInterface
	// node is where the instance is placed.
	node string
	// step is how long each boot phase lasts; inPhase how long the instance has been in its current one.
	step, inPhase time.Duration
	now           metav1.Time
}

// vmiStepKey names the phase an instance is in, for the clock.
func vmiStepKey(vmi *kubevirtv1.VirtualMachineInstance) string {
	return string(vmi.UID) + "/" + string(vmi.Status.Phase)
}

// isFinal reports whether an instance has stopped for good; KubeVirt never moves it out of these phases.
func isFinal(vmi *kubevirtv1.VirtualMachineInstance) bool {
	return vmi.Status.Phase == kubevirtv1.Failed || vmi.Status.Phase == kubevirtv1.Succeeded
}

// planVMI is the simulated virt-handler's decision for one instance that is not final: its status now and
// how long until the next timed step (0: only a watch event can change the outcome). With a zero step it
// runs every untimed transition in one pass, so a benchmark pays one write per boot. The CPU and memory it
// reports follow the spec at once, so a live update of the spec is a hotplug done.
func planVMI(vmi *kubevirtv1.VirtualMachineInstance, in vmiInputs) (kubevirtv1.VirtualMachineInstanceStatus, time.Duration) {
	st := *vmi.Status.DeepCopy()
	syncHotplugStatus(&st, &vmi.Spec)
	if in.crash != "" {
		enterPhase(&st, kubevirtv1.Failed, in.now)
		st.Reason = vmiReasonCrashed
		setVMICondition(&st, kubevirtv1.VirtualMachineInstanceReady, corev1.ConditionFalse, vmiReasonCrashed, in.crash, in.now)
		return st, 0
	}
	wait := bootVMI(&st, in)
	if st.Phase == kubevirtv1.Running {
		if w := probeReadiness(&st, vmi.Spec.ReadinessProbe, in); w > 0 && (wait == 0 || w < wait) {
			wait = w
		}
		// virt-handler works out migratability once the domain runs (calculateLiveMigrationCondition).
		if msg := cmp.Or(in.notMigratable, in.notShared); msg != "" {
			setVMICondition(&st, kubevirtv1.VirtualMachineInstanceIsMigratable, corev1.ConditionFalse,
				kubevirtv1.VirtualMachineInstanceReasonDisksNotMigratable, msg, in.now)
		} else {
			setVMICondition(&st, kubevirtv1.VirtualMachineInstanceIsMigratable, corev1.ConditionTrue, "", "", in.now)
		}
	}
	return st, wait
}

// bootVMI moves st through the boot phases as far as time and faults allow; it returns how long until the
// next timed step.
func bootVMI(st *kubevirtv1.VirtualMachineInstanceStatus, in vmiInputs) time.Duration {
	elapsed := in.inPhase
	for {
		switch st.Phase {
		case kubevirtv1.Running:
			return 0
		case kubevirtv1.VmPhaseUnset:
			// A new instance is Pending at once: virt-controller has only to render its pod.
			enterPhase(st, kubevirtv1.Pending, in.now)
			setVMICondition(st, kubevirtv1.VirtualMachineInstanceReady, corev1.ConditionFalse,
				vmiReasonGuestNotRunning, vmiMessageGuestNotRunning, in.now)
			elapsed = 0
			continue
		case kubevirtv1.Pending:
			// virt-controller fails to render the launcher pod at once, creates none, and says so in the
			// Synchronized condition until a retry renders it (vmi controller sync: FailedCreate).
			if in.missingAttachment != "" {
				setVMICondition(st, kubevirtv1.VirtualMachineInstanceSynchronized, corev1.ConditionFalse,
					vmiReasonFailedCreate, vmiRenderFailed+in.missingAttachment, in.now)
				return 0
			}
			removeVMICondition(st, kubevirtv1.VirtualMachineInstanceSynchronized)
		case kubevirtv1.Scheduling:
			// The scheduler's verdict shows as soon as the pod exists, not after the phase's time.
			if in.unschedulable != "" {
				setVMICondition(st, kubevirtv1.VirtualMachineInstanceConditionType(corev1.PodScheduled),
					corev1.ConditionFalse, vmiReasonUnschedulable, in.unschedulable, in.now)
				return 0
			}
		}
		if elapsed < in.step {
			return in.step - elapsed
		}
		if !advanceVMI(st, in) {
			return 0
		}
		elapsed = 0
	}
}

// advanceVMI moves st one phase on; false when it must wait for something other than time.
func advanceVMI(st *kubevirtv1.VirtualMachineInstanceStatus, in vmiInputs) bool {
	podScheduled := kubevirtv1.VirtualMachineInstanceConditionType(corev1.PodScheduled)
	switch st.Phase {
	case kubevirtv1.Pending:
		enterPhase(st, kubevirtv1.Scheduling, in.now)
	case kubevirtv1.Scheduling:
		setVMICondition(st, podScheduled, corev1.ConditionTrue, "", "", in.now)
		st.NodeName = in.node
		if in.missingSecret != "" {
			// Scheduled, but the launcher pod cannot mount the Secret and stays in ContainerCreating.
			setVMICondition(st, kubevirtv1.VirtualMachineInstanceReady, corev1.ConditionFalse,
				vmiReasonContainerCreate, "secret \""+in.missingSecret+"\" not found", in.now)
			return false
		}
		setVMICondition(st, kubevirtv1.VirtualMachineInstanceReady, corev1.ConditionFalse,
			vmiReasonGuestNotRunning, vmiMessageGuestNotRunning, in.now)
		enterPhase(st, kubevirtv1.Scheduled, in.now)
	case kubevirtv1.Scheduled:
		enterPhase(st, kubevirtv1.Running, in.now)
		st.Interfaces = in.interfaces
		setVMICondition(st, kubevirtv1.VirtualMachineInstanceReady, corev1.ConditionTrue, "", "", in.now)
		// Every simulated guest runs qemu-guest-agent, which connects as the guest boots: virt-handler then
		// sets AgentConnected and copies the agent's guest-get-osinfo into status.guestOSInfo (its guest agent
		// poller, pkg/virt-handler; loosely: KubeVirt polls the agent every few seconds).
		setVMICondition(st, kubevirtv1.VirtualMachineInstanceAgentConnected, corev1.ConditionTrue, "", "", in.now)
		st.GuestOSInfo = SimulatedGuestOS
	default:
		// A phase the simulator does not write (WaitingForSync, Unknown): leave it to whoever wrote it.
		return false
	}
	return true
}

// enterPhase sets the phase and records the transition, as KubeVirt does in phaseTransitionTimestamps.
func enterPhase(st *kubevirtv1.VirtualMachineInstanceStatus, phase kubevirtv1.VirtualMachineInstancePhase, now metav1.Time) {
	if st.Phase == phase {
		return
	}
	st.Phase = phase
	st.PhaseTransitionTimestamps = append(st.PhaseTransitionTimestamps,
		kubevirtv1.VirtualMachineInstancePhaseTransitionTimestamp{Phase: phase, PhaseTransitionTimestamp: now})
}

// setVMICondition sets one condition, keeping its transition time when its status does not change.
func setVMICondition(st *kubevirtv1.VirtualMachineInstanceStatus, t kubevirtv1.VirtualMachineInstanceConditionType, status corev1.ConditionStatus, reason, message string, now metav1.Time) {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.Type != t {
			continue
		}
		if c.Status != status {
			c.LastTransitionTime = now
		}
		c.Status, c.Reason, c.Message = status, reason, message
		return
	}
	st.Conditions = append(st.Conditions, kubevirtv1.VirtualMachineInstanceCondition{
		Type: t, Status: status, Reason: reason, Message: message, LastTransitionTime: now,
	})
}

// removeVMICondition drops the condition of type t, as KubeVirt drops Synchronized once a sync succeeds.
func removeVMICondition(st *kubevirtv1.VirtualMachineInstanceStatus, t kubevirtv1.VirtualMachineInstanceConditionType) {
	st.Conditions = slices.DeleteFunc(st.Conditions, func(c kubevirtv1.VirtualMachineInstanceCondition) bool { return c.Type == t })
}

// vmiCondition returns the condition of type t, or nil.
func vmiCondition(vmi *kubevirtv1.VirtualMachineInstance, t kubevirtv1.VirtualMachineInstanceConditionType) *kubevirtv1.VirtualMachineInstanceCondition {
	for i := range vmi.Status.Conditions {
		if vmi.Status.Conditions[i].Type == t {
			return &vmi.Status.Conditions[i]
		}
	}
	return nil
}
