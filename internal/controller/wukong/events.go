package wukong

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	kubevirtv1 "kubevirt.io/api/core/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/apply"
)

// recordTransitions emits events for the writes made to children and for changes of the Ready condition,
// so a user sees what happened with `kubectl describe` without events on every reconcile.
//
// A member of a WukongSet gets Warning events only (a failure is about that member and a user must see it
// there). Its creation, updates and start are reported by its set, one event per batch: an event is a write,
// and two Normal events per member were a fifth of everything the operator wrote for a thousand-member set,
// saying nothing the member's status does not. A Wukong of its own, created by a person, keeps them: they
// are its history in `kubectl describe`.
func (r *Reconciler) recordTransitions(before, after *vmv1alpha1.Wukong, obs *observed) {
	if r.Recorder == nil {
		return
	}
	_, member := after.Labels[vmv1alpha1.LabelSet]
	if !member {
		r.recordChildWrites(after, obs)
	}
	old := meta.FindStatusCondition(before.Status.Conditions, vmv1alpha1.WukongReady)
	now := meta.FindStatusCondition(after.Status.Conditions, vmv1alpha1.WukongReady)
	if now == nil || (old != nil && old.Reason == now.Reason && old.Message == now.Message) {
		return
	}
	switch now.Reason {
	case vmv1alpha1.ReasonRunning:
		if !member {
			r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, now.Reason, "Run", "VM is running on %s", after.Status.NodeName)
		}
	case vmv1alpha1.ReasonInvalidSpec, vmv1alpha1.ReasonNameConflict, vmv1alpha1.ReasonImportFailed,
		vmv1alpha1.ReasonVMFailed, vmv1alpha1.ReasonSecretNotFound, vmv1alpha1.ReasonUnschedulable, ReasonReconcileError:
		r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Reconcile", "%s", now.Message)
	}
}

// recordChildWrites emits one event per kind of write and reconcile, listing every child; the VM, when
// among them, is the related object.
func (r *Reconciler) recordChildWrites(after *vmv1alpha1.Wukong, obs *observed) {
	byVerb := map[apply.Result][]childWrite{}
	for _, w := range obs.wrote {
		byVerb[w.result] = append(byVerb[w.result], w)
	}
	for _, verb := range []apply.Result{apply.Created, apply.Updated} {
		writes := byVerb[verb]
		if len(writes) == 0 {
			continue
		}
		related := writes[len(writes)-1].obj
		names := make([]string, 0, len(writes))
		for _, w := range writes {
			names = append(names, apply.Kind(w.obj)+" "+w.obj.GetName())
			if _, ok := w.obj.(*kubevirtv1.VirtualMachine); ok {
				related = w.obj
			}
		}
		r.Recorder.Eventf(after, related, corev1.EventTypeNormal, string(verb), string(verb), "%s %s", verb, strings.Join(names, ", "))
	}
}
