package wukongset

import (
	"context"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/metrics"
	"github.com/novasphere/wukong/internal/naming"
)

// observation is what the reconciler read and rendered to plan a pass: the members by name and, for each
// member not at the update revision, the member rendered from the current template (desired), from its own
// revision when still stored (old), and how it moves from one to the other (kinds).
type observation struct {
	byName  map[string]*vmv1alpha1.Wukong
	desired map[string]*vmv1alpha1.Wukong
	old     map[string]*vmv1alpha1.Wukong
	kinds   map[string]updateKind
	// renderErr is the first member the current template cannot be rendered for; the rollout then waits.
	renderErr error
}

// observe renders what the rollout needs. Adopted members, which carry no revision, are compared like any
// other: an adoption never replaces a member.
func (r *Reconciler) observe(set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong, revs *revisions) *observation {
	obs := &observation{byName: map[string]*vmv1alpha1.Wukong{}, desired: map[string]*vmv1alpha1.Wukong{},
		old: map[string]*vmv1alpha1.Wukong{}, kinds: map[string]updateKind{}}
	policy := diskChangePolicy(set)
	for _, m := range members {
		obs.byName[m.Name] = m
		rev := m.Labels[vmv1alpha1.LabelRevision]
		if rev == revs.update || !m.DeletionTimestamp.IsZero() || m.Labels[vmv1alpha1.LabelSurge] == "true" {
			continue
		}
		index, ok := naming.MemberIndex(set.Name, m.Name)
		if !ok {
			continue
		}
		desired, err := r.Renderer.Member(set, set.Spec.Template, index, revs.update, false)
		if err != nil {
			if obs.renderErr == nil {
				obs.renderErr = err
			}
			continue
		}
		var old *vmv1alpha1.Wukong
		if t, ok := revs.templates[rev]; ok {
			old, _ = r.Renderer.Member(set, t, index, rev, false)
		}
		obs.desired[m.Name], obs.old[m.Name] = desired, old
		obs.kinds[m.Name] = classify(m, desired, old, policy)
	}
	return obs
}

// pick returns the observed members of names, in that order; names the cache does not show are skipped.
func (o *observation) pick(names []string) []*vmv1alpha1.Wukong {
	var out []*vmv1alpha1.Wukong
	for _, n := range names {
		if m := o.byName[n]; m != nil {
			out = append(out, m)
		}
	}
	return out
}

func diskChangePolicy(set *vmv1alpha1.WukongSet) vmv1alpha1.DiskChangePolicy {
	if us := set.Spec.UpdateStrategy; us != nil && us.DiskChangePolicy != "" {
		return us.DiskChangePolicy
	}
	return vmv1alpha1.DiskChangeRetain
}

// updateMembers moves members to the update revision in place, in slow-start batches, each write bound to
// the resourceVersion observed (a member changed since is re-planned on the next pass, never overwritten).
// The apiserver validates each write against the CRD; an invalid member stops the batch.
func (r *Reconciler) updateMembers(ctx context.Context, set *vmv1alpha1.WukongSet, names []string, obs *observation, workers int) outcome {
	var items []*vmv1alpha1.Wukong
	for _, m := range obs.pick(names) {
		if obs.desired[m.Name] != nil {
			items = append(items, m)
		}
	}
	done, errs := slowStart(ctx, items, workers, nil, func(ctx context.Context, m *vmv1alpha1.Wukong) error {
		updated := updatedMember(m, obs.desired[m.Name], obs.old[m.Name])
		err := r.Client.Patch(ctx, updated, client.MergeFromWithOptions(m, client.MergeFromWithOptimisticLock{}))
		if err == nil {
			metrics.MembersUpdated.WithLabelValues(set.Namespace, set.Name, obs.kinds[m.Name].String()).Inc()
		}
		return err
	})
	if len(done) > 0 {
		r.event(set, "Normal", vmv1alpha1.ReasonMembersUpdated, "Update", "updated members %s in place to revision %s",
			memberRanges(set, done), setmember.Revision(set))
	}
	return failure(set, "update", vmv1alpha1.ReasonUpdateFailed, errs)
}

// holdMembers stops members before a Recreate update: their VM runs Halted until they are updated.
func (r *Reconciler) holdMembers(ctx context.Context, set *vmv1alpha1.WukongSet, names []string, obs *observation, workers int) outcome {
	items := obs.pick(names)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, vmv1alpha1.AnnotationStopForUpdate, setmember.Revision(set))
	done, errs := slowStart(ctx, items, workers, nil, func(ctx context.Context, m *vmv1alpha1.Wukong) error {
		return r.Client.Patch(ctx, m.DeepCopy(), client.RawPatch(types.MergePatchType, patch))
	})
	if len(done) > 0 {
		r.event(set, "Normal", vmv1alpha1.ReasonMembersStopped, "Stop", "stopping members %s before updating them (Recreate)", memberRanges(set, done))
	}
	return failure(set, "stop", vmv1alpha1.ReasonUpdateFailed, errs)
}

// failure turns per-member errors into an outcome: an invalid member is an invalid template (no retry
// fixes it), a conflict or anything else is retried.
func failure(set *vmv1alpha1.WukongSet, verb, reason string, errs map[string]error) outcome {
	if len(errs) == 0 {
		return outcome{}
	}
	msgs, invalid := describe(errs)
	if invalid {
		return outcome{failureReason: vmv1alpha1.ReasonInvalidTemplate, failureMessage: msgs}
	}
	allConflicts := true
	for _, err := range errs {
		allConflicts = allConflicts && (apierrors.IsConflict(err) || apierrors.IsNotFound(err))
	}
	if allConflicts {
		// The member changed since it was read: the next pass sees it and plans again.
		return outcome{err: fmt.Errorf("%s members of WukongSet %s: %s", verb, set.Name, msgs)}
	}
	return outcome{failureReason: reason, failureMessage: msgs, err: fmt.Errorf("%s members of WukongSet %s: %s", verb, set.Name, msgs)}
}
