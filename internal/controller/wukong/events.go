package wukong

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// recordTransitions emits events for the writes made to children and for changes of the Ready condition,
// so a user sees what happened with `kubectl describe` without events on every reconcile.
func (r *Reconciler) recordTransitions(before, after *vmv1alpha1.Wukong, obs *observed) {
	if r.Recorder == nil {
		return
	}
	for _, w := range obs.wrote {
		// The child goes in as the related object, not only into the note: the events API folds events that
		// share regarding, related, type, reason and action into one series and keeps a single note, so
		// without it the creation of the Secret, the attachments, the disks and the VM would show as one.
		verb := string(w.result)
		r.Recorder.Eventf(after, w.obj, corev1.EventTypeNormal, verb, verb, "%s %s %s", verb, kindOf(w.obj), w.obj.GetName())
	}
	old := meta.FindStatusCondition(before.Status.Conditions, vmv1alpha1.WukongReady)
	now := meta.FindStatusCondition(after.Status.Conditions, vmv1alpha1.WukongReady)
	if now == nil || (old != nil && old.Reason == now.Reason && old.Message == now.Message) {
		return
	}
	switch now.Reason {
	case vmv1alpha1.ReasonRunning:
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, now.Reason, "Run", "VM is running on %s", after.Status.NodeName)
	case vmv1alpha1.ReasonInvalidSpec, vmv1alpha1.ReasonNameConflict, vmv1alpha1.ReasonImportFailed,
		vmv1alpha1.ReasonVMFailed, vmv1alpha1.ReasonSecretNotFound, vmv1alpha1.ReasonUnschedulable:
		r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Reconcile", "%s", now.Message)
	}
}
