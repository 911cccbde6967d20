package wukong

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/apply"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/redact"
)

// observed is what one reconcile saw of a Wukong's world. It is the only input of computeStatus besides the
// Wukong itself.
type observed struct {
	// missingSecret names a Secret (or key) the cloud-init user refers to that does not exist.
	missingSecret string
	// missingCloneSource names a DataSource a disk clones that does not exist.
	missingCloneSource string
	// invalid is why the children could not be built from the spec.
	invalid error
	// conflict is a child name taken by an object this Wukong does not control.
	conflict *apply.ErrNotControlled
	// missingAttachments are referenced NetworkAttachmentDefinitions (nadName) that do not exist.
	missingAttachments []string
	// dataVolumes pairs each desired DataVolume with the existing one (nil when just created).
	dataVolumes []dataVolumeObservation
	// vm and vmi are the VirtualMachine and its instance, nil when absent.
	vm  *kubevirtv1.VirtualMachine
	vmi *kubevirtv1.VirtualMachineInstance
	// wrote lists the writes this reconcile made to children, for events.
	wrote []childWrite
	// update says whether this reconcile changed the VM or restarted it.
	update vmUpdate
}

// childWrite is one create or update of a child.
type childWrite struct {
	result apply.Result
	obj    client.Object
}

type dataVolumeObservation struct {
	desired, actual *cdiv1.DataVolume
}

// computeStatus derives the Wukong's status from what was observed. Every condition is set on every pass.
// After a failed reconcile (syncErr) only Ready changes, to ReconcileError with the redacted error: what was
// observed before the failure is partial, so the rest of the status stays as the last complete pass left it,
// observedGeneration included. A conflict is optimistic concurrency at work, not a failure: it changes
// nothing and is retried.
func computeStatus(w *vmv1alpha1.Wukong, obs *observed, syncErr error) vmv1alpha1.WukongStatus {
	st := *w.Status.DeepCopy()
	if syncErr != nil {
		if !apierrors.IsConflict(syncErr) {
			meta.SetStatusCondition(&st.Conditions, metav1.Condition{
				Type: vmv1alpha1.WukongReady, Status: metav1.ConditionFalse, Reason: ReasonReconcileError,
				Message: redact.String(syncErr.Error()), ObservedGeneration: w.Generation,
			})
		}
		return st
	}
	st.ObservedGeneration = w.Generation
	set := func(t string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			// Messages quote others (CDI's import error, KubeVirt's, the apiserver's), which may quote an
			// image URL with its credentials.
			Type: t, Status: status, Reason: reason, Message: redact.String(msg), ObservedGeneration: w.Generation,
		})
	}

	disksOK, disksReason, disksMsg := disksCondition(obs)
	set(vmv1alpha1.WukongDisksReady, disksOK, disksReason, disksMsg)
	if len(obs.missingAttachments) > 0 {
		set(vmv1alpha1.WukongNetworksReady, false, vmv1alpha1.ReasonAttachmentNotFound,
			"NetworkAttachmentDefinition not found: "+strings.Join(obs.missingAttachments, ", "))
	} else {
		set(vmv1alpha1.WukongNetworksReady, true, vmv1alpha1.ReasonAttachmentsReady, "")
	}
	restart, restartReason, restartMsg := restartCondition(obs)
	set(vmv1alpha1.WukongRestartRequired, restart, restartReason, restartMsg)
	disksCurrent, disksCurrentReason, disksCurrentMsg := disksUpToDateCondition(obs)
	set(vmv1alpha1.WukongDisksUpToDate, disksCurrent, disksCurrentReason, disksCurrentMsg)
	upToDate, upToDateReason, upToDateMsg := upToDateCondition(w, obs)
	set(vmv1alpha1.WukongUpToDate, upToDate, upToDateReason, upToDateMsg)

	phase, ready, reason, msg := phaseOf(w, obs, disksOK, disksReason, disksMsg)
	st.Phase = phase
	set(vmv1alpha1.WukongReady, ready, reason, msg)

	st.VMName, st.NodeName, st.IP, st.Networks, st.Guest = "", "", "", nil, nil
	if obs.vm != nil {
		st.VMName = obs.vm.Name
	}
	if obs.vmi != nil {
		st.NodeName = obs.vmi.Status.NodeName
		st.Networks, st.IP = networkStatus(w, obs.vmi)
		st.Guest = guestStatus(obs.vmi)
	}
	st.Volumes = volumeStatus(w, obs)
	return st
}

// phaseOf decides the phase and the Ready condition.
func phaseOf(w *vmv1alpha1.Wukong, obs *observed, disksOK bool, disksReason, disksMsg string) (vmv1alpha1.WukongPhase, bool, string, string) {
	switch {
	case obs.invalid != nil:
		return vmv1alpha1.WukongFailed, false, vmv1alpha1.ReasonInvalidSpec, obs.invalid.Error()
	case obs.conflict != nil:
		return vmv1alpha1.WukongFailed, false, vmv1alpha1.ReasonNameConflict, obs.conflict.Error()
	case obs.missingSecret != "":
		return vmv1alpha1.WukongPending, false, vmv1alpha1.ReasonSecretNotFound, obs.missingSecret + " not found"
	case obs.missingCloneSource != "":
		return vmv1alpha1.WukongPending, false, vmv1alpha1.ReasonCloneSourceNotFound, disksMsg
	case disksReason == vmv1alpha1.ReasonImportFailed:
		return vmv1alpha1.WukongFailed, false, vmv1alpha1.ReasonImportFailed, disksMsg
	case disksReason == vmv1alpha1.ReasonClonePending:
		return vmv1alpha1.WukongProvisioning, false, vmv1alpha1.ReasonClonePending, disksMsg
	case !disksOK:
		return vmv1alpha1.WukongProvisioning, false, vmv1alpha1.ReasonProvisioning, disksMsg
	case obs.vm == nil:
		return vmv1alpha1.WukongPending, false, vmv1alpha1.ReasonStarting, "VirtualMachine not created yet"
	}
	vm, vmi := obs.vm, obs.vmi
	if vmi == nil || vmi.Status.Phase == kubevirtv1.Succeeded {
		if w.Spec.RunStrategy == vmv1alpha1.RunStrategyHalted || w.Spec.RunStrategy == vmv1alpha1.RunStrategyManual ||
			vm.Status.PrintableStatus == kubevirtv1.VirtualMachineStatusStopped {
			return vmv1alpha1.WukongStopped, false, vmv1alpha1.ReasonStopped, "the VM is not running (runStrategy " + string(runStrategy(w)) + ")"
		}
		return vmv1alpha1.WukongStarting, false, vmv1alpha1.ReasonStarting, "waiting for the VirtualMachineInstance"
	}
	if vmi.Status.Phase == kubevirtv1.Failed || vm.Status.PrintableStatus == kubevirtv1.VirtualMachineStatusCrashLoopBackOff {
		msg := "the VM instance failed"
		if c := vmCondition(vm, kubevirtv1.VirtualMachineFailure); c != nil && c.Message != "" {
			msg = c.Message
		}
		return vmv1alpha1.WukongFailed, false, vmv1alpha1.ReasonVMFailed, msg
	}
	if vmi.Status.Phase == kubevirtv1.Running && vmiReady(vmi) {
		return vmv1alpha1.WukongRunning, true, vmv1alpha1.ReasonRunning, ""
	}
	if vmi.Status.Phase == kubevirtv1.Running {
		if reason, msg := notReadyWhileRunning(vmi); reason != "" {
			return vmv1alpha1.WukongStarting, false, reason, msg
		}
	}
	for _, c := range vmi.Status.Conditions {
		if c.Type == kubevirtv1.VirtualMachineInstanceConditionType(corev1.PodScheduled) && c.Status == corev1.ConditionFalse {
			return vmv1alpha1.WukongStarting, false, vmv1alpha1.ReasonUnschedulable, c.Message
		}
	}
	return vmv1alpha1.WukongStarting, false, vmv1alpha1.ReasonStarting, "VM instance is " + string(vmi.Status.Phase)
}

func runStrategy(w *vmv1alpha1.Wukong) vmv1alpha1.RunStrategy {
	if w.Spec.RunStrategy == "" {
		return vmv1alpha1.RunStrategyAlways
	}
	return w.Spec.RunStrategy
}

func vmiReady(vmi *kubevirtv1.VirtualMachineInstance) bool {
	for _, c := range vmi.Status.Conditions {
		if c.Type == kubevirtv1.VirtualMachineInstanceReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func vmCondition(vm *kubevirtv1.VirtualMachine, t kubevirtv1.VirtualMachineConditionType) *kubevirtv1.VirtualMachineCondition {
	for i := range vm.Status.Conditions {
		if vm.Status.Conditions[i].Type == t {
			return &vm.Status.Conditions[i]
		}
	}
	return nil
}

// disksCondition summarises the DataVolumes: ready, the reason and a message with each disk's state.
func disksCondition(obs *observed) (bool, string, string) {
	if obs.missingCloneSource != "" {
		return false, vmv1alpha1.ReasonCloneSourceNotFound, obs.missingCloneSource + " not found"
	}
	if len(obs.dataVolumes) == 0 {
		return true, vmv1alpha1.ReasonNoDisks, ""
	}
	var failed, pending []string
	cloning := false
	for _, o := range obs.dataVolumes {
		name := o.desired.Name
		if o.actual == nil {
			pending = append(pending, name+": creating")
			continue
		}
		if msg, bad := importFailure(o.actual); bad {
			failed = append(failed, name+": "+msg)
			continue
		}
		if msg := clonePending(o.actual); msg != "" {
			pending = append(pending, name+": "+msg)
			cloning = true
			continue
		}
		if o.actual.Status.Phase != cdiv1.Succeeded {
			s := name + ": " + string(o.actual.Status.Phase)
			if o.actual.Status.Progress != "" && o.actual.Status.Progress != "N/A" {
				s += " " + string(o.actual.Status.Progress)
			}
			pending = append(pending, s)
		}
	}
	switch {
	case len(failed) > 0:
		return false, vmv1alpha1.ReasonImportFailed, strings.Join(failed, "; ")
	case cloning:
		// A clone waiting for its source says so: "importing" would hide that it cannot start yet.
		return false, vmv1alpha1.ReasonClonePending, strings.Join(pending, "; ")
	case len(pending) > 0:
		return false, vmv1alpha1.ReasonImporting, strings.Join(pending, "; ")
	}
	return true, vmv1alpha1.ReasonDisksReady, ""
}

// importFailure reports CDI's failure message: phase Failed, or an import that keeps erroring (CDI retries a
// failing importer pod and reports Running=False with a reason other than Completed or Pending).
func importFailure(dv *cdiv1.DataVolume) (string, bool) {
	var msg string
	for _, c := range dv.Status.Conditions {
		if c.Type == cdiv1.DataVolumeRunning && c.Status == corev1.ConditionFalse && c.Reason != "" &&
			c.Reason != "Completed" && c.Reason != "Pending" && c.Reason != "ImportCompleted" {
			msg = c.Message
			if msg == "" {
				msg = c.Reason
			}
			if dv.Status.Phase != cdiv1.Succeeded {
				return msg, true
			}
		}
	}
	if dv.Status.Phase == cdiv1.Failed {
		if msg == "" {
			msg = "import failed"
		}
		return msg, true
	}
	return "", false
}

// restartCondition reports KubeVirt's RestartRequired: a change that takes effect only when the VM
// restarts, which the controller does (see needsRestart).
func restartCondition(obs *observed) (bool, string, string) {
	if obs.vm != nil {
		if c := vmCondition(obs.vm, kubevirtv1.VirtualMachineRestartRequired); c != nil && c.Status == corev1.ConditionTrue {
			msg := c.Message
			if msg == "" {
				msg = "the VM spec changed; the change takes effect when the VM restarts"
			}
			return true, vmv1alpha1.ReasonTemplateChanged, msg
		}
	}
	return false, vmv1alpha1.ReasonUpToDate, ""
}

// disksUpToDateCondition reports disks whose image, size or storage class in the spec differ from what their
// DataVolume was provisioned with. Such a disk keeps its data: CDI does not re-import, and the operator never
// deletes a disk to re-provision it.
func disksUpToDateCondition(obs *observed) (bool, string, string) {
	var msgs []string
	for _, o := range obs.dataVolumes {
		if o.actual == nil {
			continue
		}
		if !equality.Semantic.DeepEqual(o.actual.Spec.Source, o.desired.Spec.Source) ||
			!storageEqual(o.actual.Spec.Storage, o.desired.Spec.Storage) {
			msgs = append(msgs, fmt.Sprintf("DataVolume %s was provisioned from another image, size or storage class; "+
				"the disk keeps its data and is not re-imported (delete the DataVolume to re-provision it, losing its data)", o.desired.Name))
		}
	}
	if len(msgs) > 0 {
		return false, vmv1alpha1.ReasonDiskSpecChanged, strings.Join(msgs, "; ")
	}
	return true, vmv1alpha1.ReasonUpToDate, ""
}

func storageEqual(a, b *cdiv1.StorageSpec) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Resources.Requests.Storage().Cmp(*b.Resources.Requests.Storage()) == 0 &&
		equality.Semantic.DeepEqual(a.StorageClassName, b.StorageClassName)
}

// networkStatus lists the VM's interfaces in spec order (the pod network first) and picks the primary IP:
// the first secondary network's address, else the pod network's.
func networkStatus(w *vmv1alpha1.Wukong, vmi *kubevirtv1.VirtualMachineInstance) ([]vmv1alpha1.NetworkStatus, string) {
	byName := map[string]kubevirtv1.VirtualMachineInstanceNetworkInterface{}
	for _, i := range vmi.Status.Interfaces {
		byName[i.Name] = i
	}
	names := []string{cloudinit.PodNetworkName}
	for _, n := range w.Spec.Networks {
		names = append(names, n.Name)
	}
	var out []vmv1alpha1.NetworkStatus
	var podIP, primary string
	for _, name := range names {
		i, ok := byName[name]
		if !ok {
			continue
		}
		ns := vmv1alpha1.NetworkStatus{Name: name, Interface: i.InterfaceName, IP: i.IP, IPs: i.IPs, MAC: i.MAC}
		out = append(out, ns)
		switch {
		case name == cloudinit.PodNetworkName:
			podIP = i.IP
		case primary == "" && i.IP != "":
			primary = i.IP
		}
	}
	if primary == "" {
		primary = podIP
	}
	return out, primary
}

func volumeStatus(w *vmv1alpha1.Wukong, obs *observed) []vmv1alpha1.VolumeStatus {
	var out []vmv1alpha1.VolumeStatus
	for i, o := range obs.dataVolumes {
		vs := vmv1alpha1.VolumeStatus{Name: w.Spec.Disks[i].Name, DataVolume: o.desired.Name, Phase: "Pending"}
		if o.actual != nil {
			vs.Phase = string(o.actual.Status.Phase)
			vs.Progress = string(o.actual.Status.Progress)
		}
		out = append(out, vs)
	}
	return out
}

// guestStatus is what the instance reports from the guest agent: its AgentConnected condition and
// status.guestOSInfo (the OS's pretty name, else its name and version). KubeVirt keeps the last OS info after
// the agent disconnects, and so does the status.
func guestStatus(vmi *kubevirtv1.VirtualMachineInstance) *vmv1alpha1.GuestStatus {
	info := vmi.Status.GuestOSInfo
	os := info.PrettyName
	if os == "" {
		os = strings.TrimSpace(info.Name + " " + info.Version)
	}
	g := &vmv1alpha1.GuestStatus{OS: os, OSVersion: info.VersionID, Kernel: info.KernelRelease}
	for _, c := range vmi.Status.Conditions {
		if c.Type == kubevirtv1.VirtualMachineInstanceAgentConnected {
			g.AgentConnected = c.Status == corev1.ConditionTrue
		}
	}
	return g
}
