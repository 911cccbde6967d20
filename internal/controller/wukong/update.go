package wukong

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// vmUpdate is what one reconcile knows about how far the VM is from the Wukong's spec, for the UpToDate
// condition and the restart decision.
type vmUpdate struct {
	// applied is true when this reconcile wrote the VM: KubeVirt has not seen the new spec yet.
	applied bool
	// created is true when this reconcile created the VM: no instance runs, and the first one starts from
	// the spec just applied.
	created bool
	// restarted is true when this reconcile asked KubeVirt to restart the VM.
	restarted bool
}

// needsRestart decides whether the VM must be restarted to take its spec: KubeVirt reports RestartRequired
// (virt-controller sets it when a field that cannot be changed live differs from what the running instance
// started with; KubeVirt v1.7 pkg/virt-controller/watch/vm/vm.go addRestartRequiredIfNeeded), for the
// generation it was last given, on an instance that is running, with no stop or start already pending.
// KubeVirt refuses a restart for run strategies Halted and Once (virt-api RestartVMRequestHandler).
func needsRestart(vm *kubevirtv1.VirtualMachine, vmi *kubevirtv1.VirtualMachineInstance) bool {
	if !canRestart(vm, vmi) || isFinal(vmi) || vm.Status.DesiredGeneration != vm.Generation {
		return false
	}
	c := vmCondition(vm, kubevirtv1.VirtualMachineRestartRequired)
	return c != nil && c.Status == corev1.ConditionTrue
}

// canRestart reports whether a restart may be requested now: an instance exists and is not going away, no
// stop or start is pending, and the run strategy supports restarts (virt-api refuses Halted and Once).
func canRestart(vm *kubevirtv1.VirtualMachine, vmi *kubevirtv1.VirtualMachineInstance) bool {
	if vm == nil || vmi == nil || !vmi.DeletionTimestamp.IsZero() || len(vm.Status.StateChangeRequests) > 0 {
		return false
	}
	rs, err := vm.RunStrategy()
	return err == nil && rs != kubevirtv1.RunStrategyHalted && rs != kubevirtv1.RunStrategyOnce
}

func isFinal(vmi *kubevirtv1.VirtualMachineInstance) bool {
	return vmi.Status.Phase == kubevirtv1.Succeeded || vmi.Status.Phase == kubevirtv1.Failed
}

// restart asks KubeVirt to restart the VM the way `virtctl restart` does: virt-api's restart subresource
// writes a Stop request for the running instance's UID followed by a Start request into the VM's status
// (KubeVirt v1.7 pkg/virt-api/rest/lifecycle.go RestartVMRequestHandler), and virt-controller stops that
// instance and starts a new one from the current template, for every run strategy that supports restarts.
// The VM keeps its DataVolumes, MAC addresses and firmware UUID. The patch is bound to the resourceVersion
// read, so a stale cache never restarts twice: a conflict is retried and the next pass sees the request.
func (r *Reconciler) restart(ctx context.Context, vm *kubevirtv1.VirtualMachine, vmi *kubevirtv1.VirtualMachineInstance) error {
	before := vm.DeepCopy()
	uid := vmi.UID
	vm.Status.StateChangeRequests = []kubevirtv1.VirtualMachineStateChangeRequest{
		{Action: kubevirtv1.StopRequest, UID: &uid},
		{Action: kubevirtv1.StartRequest},
	}
	if err := r.Client.Status().Patch(ctx, vm, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("restart VirtualMachine %s: %w", vm.Name, err)
	}
	return nil
}

// syncInstanceLabels puts the VM template's labels on the running instance, so a label change reaches the
// instance (and the Services and anti-affinity rules that select it) without a restart. KubeVirt itself
// copies only a few "dynamic" labels to a running instance (v1.7 syncDynamicAnnotationsAndLabelsToVMI).
// Labels are only added or changed, never removed: a label the operator no longer sets may be someone
// else's.
func (r *Reconciler) syncInstanceLabels(ctx context.Context, vm *kubevirtv1.VirtualMachine, vmi *kubevirtv1.VirtualMachineInstance) error {
	if vm.Spec.Template == nil || vmi == nil || !vmi.DeletionTimestamp.IsZero() {
		return nil
	}
	missing := false
	for k, v := range vm.Spec.Template.ObjectMeta.Labels {
		if got, ok := vmi.Labels[k]; !ok || got != v {
			missing = true
			break
		}
	}
	if !missing {
		return nil
	}
	before := vmi.DeepCopy()
	if vmi.Labels == nil {
		vmi.Labels = map[string]string{}
	}
	maps.Copy(vmi.Labels, vm.Spec.Template.ObjectMeta.Labels)
	// A conflict means the instance changed since it was read; its update event brings the Wukong back.
	if err := r.Client.Patch(ctx, vmi, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil &&
		!apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("update labels of VirtualMachineInstance %s: %w", vmi.Name, err)
	}
	return nil
}

// upToDateCondition says whether the VM runs the Wukong's current spec, and if not, what it waits for.
func upToDateCondition(w *vmv1alpha1.Wukong, obs *observed) (bool, string, string) {
	vm, vmi := obs.vm, obs.vmi
	switch {
	case obs.invalid != nil || obs.conflict != nil || obs.missingSecret != "":
		return false, vmv1alpha1.ReasonVMUpdating, "the VirtualMachine cannot be written yet (see Ready)"
	case vm == nil:
		return false, vmv1alpha1.ReasonVMUpdating, "VirtualMachine not created yet"
	case obs.update.applied && !obs.update.created:
		return false, vmv1alpha1.ReasonVMUpdating, "VirtualMachine updated; waiting for KubeVirt to take the change"
	case obs.update.restarted:
		return false, vmv1alpha1.ReasonRestarting, "restart requested to take a change KubeVirt cannot apply live"
	}
	_, held := w.Annotations[vmv1alpha1.AnnotationStopForUpdate]
	live := vmi != nil && vmi.DeletionTimestamp.IsZero() && !isFinal(vmi)
	switch {
	case held && live:
		return false, vmv1alpha1.ReasonStoppedForUpdate, "stopping the VM before its set updates it (Recreate)"
	case held:
		return true, vmv1alpha1.ReasonStoppedForUpdate, "stopped until its set updates it (Recreate)"
	case !live:
		// Nothing runs: the next start takes the current spec.
		return true, vmv1alpha1.ReasonUpToDate, ""
	case len(vm.Status.StateChangeRequests) > 0:
		return false, vmv1alpha1.ReasonRestarting, "KubeVirt is restarting the VM"
	case vm.Status.DesiredGeneration != vm.Generation && instanceGeneration(vmi) != vm.Generation:
		// KubeVirt reports desiredGeneration only once it has synced an instance; an instance it started from
		// this very generation (its kubevirt.io/vm-generation annotation) is up to date before that report.
		return false, vmv1alpha1.ReasonVMUpdating, fmt.Sprintf("waiting for KubeVirt to observe generation %d of the VirtualMachine", vm.Generation)
	}
	if c := vmCondition(vm, kubevirtv1.VirtualMachineRestartRequired); c != nil && c.Status == corev1.ConditionTrue {
		msg := c.Message
		if msg == "" {
			msg = "a change needs a restart"
		}
		return false, vmv1alpha1.ReasonRestartPending, msg
	}
	return true, vmv1alpha1.ReasonUpToDate, ""
}

// healVM carries out an autohealing action its set asked for (the heal annotation, copied to the desired
// VM), once: the VM records the last action done in the same annotation. A restart is requested as for an
// update (KubeVirt stops the instance and starts a new one); a re-create deletes the VM, bound to its UID,
// and the next reconcile creates it again. DataVolumes are the Wukong's children, not the VM's: they stay.
// It reports whether the VM was deleted.
func (r *Reconciler) healVM(ctx context.Context, desired *kubevirtv1.VirtualMachine) (bool, error) {
	want := desired.Annotations[vmv1alpha1.AnnotationHeal]
	if want == "" {
		return false, nil
	}
	vm := &kubevirtv1.VirtualMachine{}
	if err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), vm); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	if vm.Annotations[vmv1alpha1.AnnotationHeal] == want || !vm.DeletionTimestamp.IsZero() {
		return false, nil
	}
	kind, _, _ := strings.Cut(want, "/")
	if kind == "recreate" {
		err := r.Client.Delete(ctx, vm, client.Preconditions{UID: &vm.UID}, client.PropagationPolicy(metav1.DeletePropagationBackground))
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return false, fmt.Errorf("re-create VirtualMachine %s: %w", vm.Name, err)
		}
		return true, nil
	}
	vmi := &kubevirtv1.VirtualMachineInstance{}
	if err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), vmi); err != nil {
		// Nothing runs: the apply records the action as done.
		return false, client.IgnoreNotFound(err)
	}
	if !canRestart(vm, vmi) {
		return false, nil
	}
	return false, r.restart(ctx, vm, vmi)
}

// instanceGeneration is the VM generation KubeVirt started (or last updated) the instance from, its
// kubevirt.io/vm-generation annotation; -1 when absent.
func instanceGeneration(vmi *kubevirtv1.VirtualMachineInstance) int64 {
	g, err := strconv.ParseInt(vmi.Annotations[kubevirtv1.VirtualMachineGenerationAnnotation], 10, 64)
	if err != nil {
		return -1
	}
	return g
}
