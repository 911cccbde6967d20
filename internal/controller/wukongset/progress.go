package wukongset

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// withCreated is the members as observed plus those this pass created, which the cache does not show yet.
// It allocates a new slice: members is the pass's observation and stays as read.
func withCreated(members, created []*vmv1alpha1.Wukong) []*vmv1alpha1.Wukong {
	if len(created) == 0 {
		return members
	}
	out := make([]*vmv1alpha1.Wukong, 0, len(members)+len(created))
	return append(append(out, members...), created...)
}

// progressStatus is the status to show between two batches of a pass: what computeStatus derives from the
// members so far (counts, Available, Progressing), with what only the end of the pass can decide kept as
// written — observedGeneration (it moves when the pass succeeds) and the ReplicaFailure, QuotaExceeded and
// Healing conditions (the pass's outcome).
func progressStatus(set *vmv1alpha1.WukongSet, written vmv1alpha1.WukongSetStatus, in statusInput) vmv1alpha1.WukongSetStatus {
	at := set.DeepCopy()
	at.Status = *written.DeepCopy()
	st, _ := computeStatus(at, in)
	st.ObservedGeneration = written.ObservedGeneration
	for _, t := range []string{vmv1alpha1.SetReplicaFailure, vmv1alpha1.SetQuotaExceeded, vmv1alpha1.SetHealing} {
		if c := meta.FindStatusCondition(written.Conditions, t); c != nil {
			meta.SetStatusCondition(&st.Conditions, *c)
		} else {
			meta.RemoveStatusCondition(&st.Conditions, t)
		}
	}
	return st
}

// writeProgress patches the set's status to progressStatus when that differs from what was last written,
// and returns the set as now written. A failed write is not the pass's failure: the pass writes again at
// its end.
func (r *Reconciler) writeProgress(ctx context.Context, set, written *vmv1alpha1.WukongSet, in statusInput) (*vmv1alpha1.WukongSet, error) {
	st := progressStatus(set, written.Status, in)
	if equality.Semantic.DeepEqual(st, written.Status) {
		return written, nil
	}
	next := written.DeepCopy()
	next.Status = st
	if err := r.Client.Status().Patch(ctx, next.DeepCopy(), client.MergeFrom(written)); err != nil {
		return nil, fmt.Errorf("patch status of WukongSet %s: %w", set.Name, err)
	}
	// The metadata stays as read (the apiserver's answer carries a newer resourceVersion): the pass's own
	// status patch is computed against this object and must not carry a resourceVersion precondition.
	return next, nil
}
