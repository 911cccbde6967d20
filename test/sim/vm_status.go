package sim

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// Condition reasons and messages on a VirtualMachine.
const (
	vmReasonVMINotExists     = "VMINotExists"
	vmMessageVMINotExists    = "VMI does not exist"
	vmReasonCrashLoopBackOff = "CrashLoopBackOff"
	vmReasonStopping         = "Stopping"
	vmMessageStopping        = "VMI is being deleted"
)

// PodScheduled is a Pod condition that KubeVirt carries on instances and VMs under the same name.
const (
	vmConditionPodScheduled  = kubevirtv1.VirtualMachineConditionType(corev1.PodScheduled)
	vmiConditionPodScheduled = kubevirtv1.VirtualMachineInstanceConditionType(corev1.PodScheduled)
)

// vmStatus is the VM's status after plan was carried out: what virt-controller writes, computed afresh on
// every pass (every condition set or removed each time) so it cannot drift from the instance. RestartRequired
// is the exception, as in KubeVirt v1.7: once set it stays, even on a stopped VM, until the simulator starts
// or stops an instance (cleanupRestartRequired), and keeps its first message.
func vmStatus(in vmInputs, p vmPlan, now metav1.Time) kubevirtv1.VirtualMachineStatus {
	vm, vmi := in.vm, in.vmi
	st := *vm.Status.DeepCopy()
	st.StateChangeRequests = p.requests
	st.RunStrategy = p.strategy
	st.Ready = false
	if vmi != nil {
		syncGeneration(&st, vm, vmi, p)
	}
	if p.create || p.delete {
		removeVMCondition(&st, kubevirtv1.VirtualMachineRestartRequired)
	}
	if c := vmConditionOf(&st, kubevirtv1.VirtualMachineRestartRequired); p.restartRequired != "" && (c == nil || c.Status != corev1.ConditionTrue) {
		setVMCondition(&st, kubevirtv1.VirtualMachineRestartRequired, corev1.ConditionTrue, "", p.restartRequired, now)
	}

	switch {
	case p.create:
		st.Created = true
		st.PrintableStatus = kubevirtv1.VirtualMachineStatusStarting
		setVMCondition(&st, kubevirtv1.VirtualMachineReady, corev1.ConditionFalse, vmiReasonGuestNotRunning, vmiMessageGuestNotRunning, now)
		removeVMCondition(&st, vmConditionPodScheduled)
		removeVMCondition(&st, kubevirtv1.VirtualMachineFailure)
		return st
	case vmi == nil:
		st.Created = false
		st.PrintableStatus = printableWithoutInstance(in, p)
		setVMCondition(&st, kubevirtv1.VirtualMachineReady, corev1.ConditionFalse, vmReasonVMINotExists, vmMessageVMINotExists, now)
		removeVMCondition(&st, vmConditionPodScheduled)
		removeVMCondition(&st, kubevirtv1.VirtualMachineFailure)
		return st
	}

	st.Created = true
	stopping := p.delete || vmi.DeletionTimestamp != nil
	crash := in.faults[AnnotationCrash]
	switch {
	case stopping:
		st.PrintableStatus = kubevirtv1.VirtualMachineStatusStopping
	default:
		st.PrintableStatus = printableOfInstance(vmi, crash)
	}

	ready := vmiCondition(vmi, kubevirtv1.VirtualMachineInstanceReady)
	switch {
	case stopping:
		setVMCondition(&st, kubevirtv1.VirtualMachineReady, corev1.ConditionFalse, vmReasonStopping, vmMessageStopping, now)
	case ready != nil && ready.Status == corev1.ConditionTrue && vmi.Status.Phase == kubevirtv1.Running:
		st.Ready = true
		setVMCondition(&st, kubevirtv1.VirtualMachineReady, corev1.ConditionTrue, "", "", now)
	case ready != nil:
		setVMCondition(&st, kubevirtv1.VirtualMachineReady, corev1.ConditionFalse, ready.Reason, ready.Message, now)
	default:
		setVMCondition(&st, kubevirtv1.VirtualMachineReady, corev1.ConditionFalse, vmiReasonGuestNotRunning, vmiMessageGuestNotRunning, now)
	}

	// KubeVirt copies a failed scheduling from the instance, so `kubectl get vm -o yaml` shows why.
	if ps := vmiCondition(vmi, vmiConditionPodScheduled); ps != nil && ps.Status == corev1.ConditionFalse && !stopping {
		setVMCondition(&st, vmConditionPodScheduled, ps.Status, ps.Reason, ps.Message, now)
	} else {
		removeVMCondition(&st, vmConditionPodScheduled)
	}

	if vmi.Status.Phase == kubevirtv1.Failed && crash != "" {
		setVMCondition(&st, kubevirtv1.VirtualMachineFailure, corev1.ConditionTrue, vmReasonCrashLoopBackOff, crash, now)
	} else {
		removeVMCondition(&st, kubevirtv1.VirtualMachineFailure)
	}

	return st
}

// syncGeneration is syncGenerationInfo: observedGeneration is the VM generation the instance is up to date
// with (its kubevirt.io/vm-generation annotation, after this pass's bump), desiredGeneration the VM's. Without
// an instance both keep their last values.
func syncGeneration(st *kubevirtv1.VirtualMachineStatus, vm *kubevirtv1.VirtualMachine, vmi *kubevirtv1.VirtualMachineInstance, p vmPlan) {
	gen := vmi.Annotations[kubevirtv1.VirtualMachineGenerationAnnotation]
	if v := p.annotations[kubevirtv1.VirtualMachineGenerationAnnotation]; v != nil {
		gen = *v
	}
	g, err := strconv.ParseInt(gen, 10, 64)
	if err != nil {
		// An instance the simulator did not create; KubeVirt would read its ControllerRevision.
		return
	}
	st.ObservedGeneration, st.DesiredGeneration = g, vm.Generation
}

// printableWithoutInstance explains why a VM has no instance: it is not meant to run, or its disks hold it.
func printableWithoutInstance(in vmInputs, p vmPlan) kubevirtv1.VirtualMachinePrintableStatus {
	wantsRun := len(p.requests) > 0 && p.requests[0].Action == kubevirtv1.StartRequest
	switch p.strategy {
	case kubevirtv1.RunStrategyAlways, kubevirtv1.RunStrategyRerunOnFailure, kubevirtv1.RunStrategyOnce:
		wantsRun = true
	}
	switch {
	case !wantsRun:
		return kubevirtv1.VirtualMachineStatusStopped
	case in.disks.failed != "":
		return kubevirtv1.VirtualMachineStatusDataVolumeError
	case len(in.disks.waiting) > 0:
		return kubevirtv1.VirtualMachineStatusProvisioning
	default:
		return kubevirtv1.VirtualMachineStatusStarting
	}
}

// printableOfInstance is the printable status of a VM whose instance exists and is not being deleted.
func printableOfInstance(vmi *kubevirtv1.VirtualMachineInstance, crash string) kubevirtv1.VirtualMachinePrintableStatus {
	switch vmi.Status.Phase {
	case kubevirtv1.VmPhaseUnset, kubevirtv1.Pending, kubevirtv1.Scheduling:
		if ps := vmiCondition(vmi, vmiConditionPodScheduled); ps != nil && ps.Status == corev1.ConditionFalse &&
			ps.Reason == vmiReasonUnschedulable {
			return kubevirtv1.VirtualMachineStatusUnschedulable
		}
		return kubevirtv1.VirtualMachineStatusStarting
	case kubevirtv1.Scheduled:
		return kubevirtv1.VirtualMachineStatusStarting
	case kubevirtv1.Running:
		return kubevirtv1.VirtualMachineStatusRunning
	case kubevirtv1.Failed:
		if crash != "" {
			return kubevirtv1.VirtualMachineStatusCrashLoopBackOff
		}
		return kubevirtv1.VirtualMachineStatusStopped
	case kubevirtv1.Succeeded:
		return kubevirtv1.VirtualMachineStatusStopped
	default:
		return kubevirtv1.VirtualMachineStatusUnknown
	}
}

// setVMCondition sets one condition, keeping its transition time when its status does not change.
func setVMCondition(st *kubevirtv1.VirtualMachineStatus, t kubevirtv1.VirtualMachineConditionType, status corev1.ConditionStatus, reason, message string, now metav1.Time) {
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
	st.Conditions = append(st.Conditions, kubevirtv1.VirtualMachineCondition{
		Type: t, Status: status, Reason: reason, Message: message, LastTransitionTime: now,
	})
}

// vmConditionOf returns the condition of type t, or nil.
func vmConditionOf(st *kubevirtv1.VirtualMachineStatus, t kubevirtv1.VirtualMachineConditionType) *kubevirtv1.VirtualMachineCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

func removeVMCondition(st *kubevirtv1.VirtualMachineStatus, t kubevirtv1.VirtualMachineConditionType) {
	out := st.Conditions[:0]
	for _, c := range st.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	st.Conditions = out
}
