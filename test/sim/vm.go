package sim

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// vmReconciler plays virt-controller for VirtualMachines: it creates, deletes and re-creates each VM's
// instance according to its run strategy, state change requests and injected faults, and writes the VM's
// status from its instance and disks.
type vmReconciler struct {
	c      client.Client
	faults faultReader
}

func (r *vmReconciler) setup(mgr ctrl.Manager, opts controller.Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("sim-virt-controller").
		For(&kubevirtv1.VirtualMachine{}, builder.WithPredicates(vmInputChanged)).
		Owns(&kubevirtv1.VirtualMachineInstance{}).
		Watches(&cdiv1.DataVolume{}, handler.EnqueueRequestsFromMapFunc(r.vmsOfDataVolume),
			builder.WithPredicates(dataVolumePhaseChanged)).
		Watches(&vmv1alpha1.Wukong{}, handler.EnqueueRequestsFromMapFunc(r.vmsOfWukong),
			builder.WithPredicates(predicate.AnnotationChangedPredicate{})).
		WithOptions(opts).
		Complete(r)
}

// vmInputChanged passes the VM updates the simulator acts on: spec, annotations, state change requests (which
// virt-api writes into status) and deletion. The simulator's own status writes do not pass.
var vmInputChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	o, okOld := e.ObjectOld.(*kubevirtv1.VirtualMachine)
	n, okNew := e.ObjectNew.(*kubevirtv1.VirtualMachine)
	if !okOld || !okNew {
		return true
	}
	return o.Generation != n.Generation ||
		!equality.Semantic.DeepEqual(o.Annotations, n.Annotations) ||
		!equality.Semantic.DeepEqual(o.Status.StateChangeRequests, n.Status.StateChangeRequests) ||
		(o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil)
}}

// dataVolumePhaseChanged passes the DataVolume updates a VM can care about; progress reports do not.
var dataVolumePhaseChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	o, okOld := e.ObjectOld.(*cdiv1.DataVolume)
	n, okNew := e.ObjectNew.(*cdiv1.DataVolume)
	return !okOld || !okNew || o.Status.Phase != n.Status.Phase
}}

func (r *vmReconciler) vmsOfDataVolume(ctx context.Context, dv client.Object) []reconcile.Request {
	return r.vmsMatching(ctx, dv.GetNamespace(), indexDataVolumes, dv.GetName())
}

func (r *vmReconciler) vmsOfWukong(ctx context.Context, w client.Object) []reconcile.Request {
	return r.vmsMatching(ctx, w.GetNamespace(), indexOwnerWukong, w.GetName())
}

func (r *vmReconciler) vmsMatching(ctx context.Context, namespace, index, value string) []reconcile.Request {
	return requestsByIndex(ctx, r.c, &kubevirtv1.VirtualMachineList{}, namespace, index, value)
}

// Reconcile reads a VM's world, plans, acts on the instance and the VM, and writes the VM's status (before
// acting when the instance starts or stops, see below).
func (r *vmReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var vm kubevirtv1.VirtualMachine
	if err := r.c.Get(ctx, req.NamespacedName, &vm); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, r.deleteOrphan(ctx, req.NamespacedName)
		}
		return ctrl.Result{}, err
	}
	if vm.DeletionTimestamp != nil || vm.Spec.Template == nil {
		return ctrl.Result{}, nil
	}
	vmi, err := r.instance(ctx, &vm)
	if err != nil {
		return ctrl.Result{}, err
	}
	faults, err := r.faults.values(ctx, &vm, append([]string{AnnotationRestart}, propagatedFaults...)...)
	if err != nil {
		return ctrl.Result{}, err
	}
	disks, err := r.diskState(ctx, &vm)
	if err != nil {
		return ctrl.Result{}, err
	}
	in := vmInputs{vm: &vm, vmi: vmi, faults: faults, disks: disks}
	plan := planVM(in)
	if plan.create || plan.delete {
		// Starting or stopping an instance clears RestartRequired, and nothing later would clear it if this
		// pass's status write were lost to a stale cache after the instance changed. So the status goes first,
		// and a conflict retries the whole pass before anything is done.
		if res, err := r.writeStatus(ctx, &vm, vmStatus(in, plan, metav1.Now())); err != nil || !res.IsZero() {
			return res, err
		}
		return r.execute(ctx, in, plan)
	}
	if res, err := r.execute(ctx, in, plan); err != nil || !res.IsZero() {
		return res, err
	}
	return r.writeStatus(ctx, &vm, vmStatus(in, plan, metav1.Now()))
}

// writeStatus patches vm's status to status unless it is already so; a conflict retries shortly.
func (r *vmReconciler) writeStatus(ctx context.Context, vm *kubevirtv1.VirtualMachine, status kubevirtv1.VirtualMachineStatus) (ctrl.Result, error) {
	if equality.Semantic.DeepEqual(status, vm.Status) {
		return ctrl.Result{}, nil
	}
	before := vm.DeepCopy()
	vm.Status = status
	if err := r.c.Status().Patch(ctx, vm, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) {
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		return ctrl.Result{}, fmt.Errorf("patch VirtualMachine %s status to %s: %w", vm.Name, status.PrintableStatus, err)
	}
	return ctrl.Result{}, nil
}

// instance returns the VM's instance, nil when there is none. An instance left by an earlier VM of the same
// name (another UID) is deleted first, as the garbage collector would.
func (r *vmReconciler) instance(ctx context.Context, vm *kubevirtv1.VirtualMachine) (*kubevirtv1.VirtualMachineInstance, error) {
	var vmi kubevirtv1.VirtualMachineInstance
	if err := r.c.Get(ctx, client.ObjectKeyFromObject(vm), &vmi); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	if ref := metav1.GetControllerOf(&vmi); ref != nil && ref.UID != vm.UID {
		if err := r.deleteVMI(ctx, &vmi); err != nil {
			return nil, err
		}
		// Report it as going away; its delete event brings the VM back here.
		now := metav1.Now()
		vmi.DeletionTimestamp = &now
	}
	return &vmi, nil
}

// execute carries out plan on the instance, then on the VM's spec. A non-zero result means the pass must end
// here and retry. A VM patch updates in.vm in place, so the status written next is based on it.
func (r *vmReconciler) execute(ctx context.Context, in vmInputs, plan vmPlan) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	if plan.delete {
		if err := r.deleteVMI(ctx, in.vmi); err != nil {
			return ctrl.Result{}, err
		}
		logger.V(1).Info("deleted VirtualMachineInstance", "uid", in.vmi.UID)
	}
	if plan.create {
		vmi := newVMI(in.vm, in.faults)
		if err := r.c.Create(ctx, vmi); err != nil {
			if apierrors.IsAlreadyExists(err) {
				// The cache has not seen the previous instance go (or our own create) yet: retry shortly.
				return ctrl.Result{RequeueAfter: conflictRetry}, nil
			}
			return ctrl.Result{}, fmt.Errorf("create VirtualMachineInstance %s: %w", vmi.Name, err)
		}
		logger.V(1).Info("created VirtualMachineInstance", "uid", vmi.UID)
	}
	if plan.vmiSpec != nil {
		updated := in.vmi.DeepCopy()
		updated.Spec = *plan.vmiSpec
		err := r.c.Patch(ctx, updated, client.MergeFromWithOptions(in.vmi, client.MergeFromWithOptimisticLock{}))
		switch {
		case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		case err != nil:
			return ctrl.Result{}, fmt.Errorf("live-update VirtualMachineInstance %s: %w", in.vmi.Name, err)
		}
		logger.V(1).Info("live-updated VirtualMachineInstance", "uid", in.vmi.UID)
	}
	if len(plan.annotations) > 0 {
		patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": plan.annotations}})
		if err != nil {
			return ctrl.Result{}, err
		}
		if err := r.c.Patch(ctx, in.vmi, client.RawPatch(types.MergePatchType, patch)); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("sync annotations of VirtualMachineInstance %s: %w", in.vmi.Name, err)
		}
	}
	if plan.firmware != nil {
		before := in.vm.DeepCopy()
		in.vm.Spec.Template.Spec.Domain.Firmware = plan.firmware
		if err := r.c.Patch(ctx, in.vm, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: conflictRetry}, nil
			}
			return ctrl.Result{}, fmt.Errorf("patch legacy firmware UUID into VirtualMachine %s: %w", in.vm.Name, err)
		}
		logger.Info("VirtualMachine had no firmware UUID: patched the legacy one", "uuid", plan.firmware.UUID)
	}
	return ctrl.Result{}, nil
}

// deleteVMI deletes exactly the instance seen, never a newer one with the same name.
func (r *vmReconciler) deleteVMI(ctx context.Context, vmi *kubevirtv1.VirtualMachineInstance) error {
	err := r.c.Delete(ctx, vmi, client.Preconditions{UID: &vmi.UID})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete VirtualMachineInstance %s: %w", vmi.Name, err)
	}
	return nil
}

// deleteOrphan removes the instance of a VM that is gone. A real cluster's garbage collector does this
// through the ownerReference; test control planes often run without one.
func (r *vmReconciler) deleteOrphan(ctx context.Context, key types.NamespacedName) error {
	var vmi kubevirtv1.VirtualMachineInstance
	if err := r.c.Get(ctx, key, &vmi); err != nil {
		return client.IgnoreNotFound(err)
	}
	ref := metav1.GetControllerOf(&vmi)
	if ref == nil || ref.Kind != "VirtualMachine" || ref.Name != key.Name || vmi.DeletionTimestamp != nil {
		return nil
	}
	return r.deleteVMI(ctx, &vmi)
}

// diskState reads the DataVolumes the VM's template mounts.
func (r *vmReconciler) diskState(ctx context.Context, vm *kubevirtv1.VirtualMachine) (diskState, error) {
	var d diskState
	for _, name := range dataVolumeNames(vm) {
		var dv cdiv1.DataVolume
		err := r.c.Get(ctx, types.NamespacedName{Namespace: vm.Namespace, Name: name}, &dv)
		switch {
		case apierrors.IsNotFound(err):
			d.waiting = append(d.waiting, name)
		case err != nil:
			return d, fmt.Errorf("get DataVolume %s: %w", name, err)
		case dv.Status.Phase == cdiv1.Failed:
			if d.failed == "" {
				d.failed = "DataVolume " + name + " failed"
			}
		case dv.Status.Phase != cdiv1.Succeeded:
			d.waiting = append(d.waiting, name)
		}
	}
	return d, nil
}
