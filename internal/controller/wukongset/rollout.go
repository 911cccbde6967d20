package wukongset

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/util/intstr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// rolloutMember is one existing member as the rollout planner sees it.
type rolloutMember struct {
	Name     string
	Index    int
	Revision string
	// Available is Ready for at least minReadySeconds.
	Available bool
	// Deleting members still exist (and count against maxSurge) until the garbage collector is done.
	Deleting bool
	// Surge members are temporary extra members at indices past the set's own, created during a rollout.
	Surge bool
}

// rolloutInput is everything the rollout planner decides from.
type rolloutInput struct {
	// Replicas is the desired number of (non-surge) members.
	Replicas int
	// Members are all existing members, surge ones included.
	Members []rolloutMember
	// UpdateRevision is the revision of the current template.
	UpdateRevision string
	// Strategy is RollingUpdate or Recreate.
	Strategy vmv1alpha1.UpdateStrategyType
	// MaxSurge and MaxUnavailable are resolved against Replicas (see resolveBudget).
	MaxSurge, MaxUnavailable int
	// Partition: only members with index >= Partition are updated.
	Partition int
	// Paused stops the rollout.
	Paused bool
}

// rolloutPlan is one step of a rollout. Each field is acted on by the reconciler in this order: Delete, then
// Surge. Members deleted here are re-created at the update revision by the scale pass once they are gone.
type rolloutPlan struct {
	// Delete are members to remove now: old members within the maxUnavailable budget (unavailable ones
	// first, then the highest index), every old member under Recreate, and surge members no longer needed.
	Delete []string
	// Surge are indices at which to create temporary members at the update revision.
	Surge []int
	// BlockCreate tells the scale pass not to create members: under Recreate, old members still exist.
	BlockCreate bool
	// Done is true when every member at index >= Partition runs the update revision and no surge member is
	// left.
	Done bool
	// Waiting says why the rollout cannot take its next step now, for the Progressing condition.
	Waiting string
}

// resolveBudget turns maxSurge and maxUnavailable into numbers the way Deployment does: surge rounds up,
// unavailable rounds down, and when both come to zero, one member may be unavailable so the rollout can move.
// Defaults: maxUnavailable 1, maxSurge 0.
func resolveBudget(set *vmv1alpha1.WukongSet) (surge, unavailable int) {
	u, s := intstr.FromInt32(1), intstr.FromInt32(0)
	if us := set.Spec.UpdateStrategy; us != nil {
		if us.MaxUnavailable != nil {
			u = *us.MaxUnavailable
		}
		if us.MaxSurge != nil {
			s = *us.MaxSurge
		}
		if ru := us.RollingUpdate; ru != nil {
			if ru.MaxUnavailable != nil {
				u = *ru.MaxUnavailable
			}
			if ru.MaxSurge != nil {
				s = *ru.MaxSurge
			}
		}
	}
	n := replicas(set)
	surge, _ = intstr.GetScaledValueFromIntOrPercent(&s, n, true)
	unavailable, _ = intstr.GetScaledValueFromIntOrPercent(&u, n, false)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// planRollout decides the next step of moving members to the update revision. Member identity survives: an
// old member k is deleted and re-created as <set>-k from the new template (by the scale pass), so its
// index-derived values stay. maxSurge is spent on temporary members at indices past the set's own, which
// carry load while regular members are replaced and are removed when the rollout ends. Invariants, at every
// step: available members never drop below Replicas-MaxUnavailable because of a deletion made here, and
// existing members (deleting ones included) never exceed Replicas+MaxSurge because of a creation made here.
func planRollout(in rolloutInput) rolloutPlan {
	var plan rolloutPlan
	var old, surge, staleSurge []rolloutMember
	existing, available, highest := 0, 0, -1
	oldDeleting := false
	for _, m := range in.Members {
		existing++
		highest = max(highest, m.Index)
		if m.Deleting {
			if !m.Surge && m.Revision != in.UpdateRevision {
				oldDeleting = true
			}
			continue
		}
		if m.Available {
			available++
		}
		switch {
		case m.Surge && (m.Revision != in.UpdateRevision || m.Index < in.Replicas):
			// A surge member of an older template, or one whose index the set has grown into: it goes like
			// an old member, so it never takes a regular member's place.
			staleSurge = append(staleSurge, m)
		case m.Surge:
			surge = append(surge, m)
		case m.Revision != in.UpdateRevision && (in.Strategy == vmv1alpha1.RecreateStrategy || m.Index >= in.Partition):
			old = append(old, m)
		}
	}
	// budget is how many available members may go now without dropping below Replicas-MaxUnavailable.
	budget := available - (in.Replicas - in.MaxUnavailable)
	// release deletes members in order, unavailable ones freely and available ones within the budget.
	release := func(ms []rolloutMember) (left int) {
		sort.SliceStable(ms, func(i, j int) bool {
			if ms[i].Available != ms[j].Available {
				return !ms[i].Available
			}
			return ms[i].Index > ms[j].Index
		})
		for _, m := range ms {
			if m.Available {
				if budget <= 0 {
					left++
					continue
				}
				budget--
			}
			plan.Delete = append(plan.Delete, m.Name)
		}
		return left
	}

	if in.Paused {
		plan.Waiting = "the rollout is paused"
		plan.Done = len(old) == 0 && len(surge) == 0 && len(staleSurge) == 0 && !oldDeleting
		return plan
	}

	if in.Strategy == vmv1alpha1.RecreateStrategy {
		for _, m := range append(old, append(surge, staleSurge...)...) {
			plan.Delete = append(plan.Delete, m.Name)
		}
		plan.BlockCreate = len(old) > 0 || oldDeleting
		if plan.BlockCreate {
			plan.Waiting = "Recreate: waiting for every old member to be gone"
		}
		plan.Done = !plan.BlockCreate && len(surge)+len(staleSurge) == 0
		return plan
	}

	staleLeft := release(staleSurge)
	if len(old) == 0 {
		// Nothing left to replace: surge members go once the regular members replaced last are available,
		// within the same budget as any other deletion.
		if oldDeleting {
			plan.Waiting = "waiting for replaced members to come back"
			return plan
		}
		if left := release(surge); left+staleLeft > 0 {
			plan.Waiting = fmt.Sprintf("%d surge members stay until replaced members are available", left+staleLeft)
		}
		plan.Done = len(surge)+len(staleSurge) == 0
		return plan
	}

	// 1. Surge: temporary new members, within Replicas+MaxSurge existing members, no more than the old
	// members still to replace.
	wantSurge := min(in.MaxSurge, len(old))
	if room := in.Replicas + in.MaxSurge - existing; room > 0 && len(surge) < wantSurge {
		next := max(highest+1, in.Replicas)
		for range min(room, wantSurge-len(surge)) {
			plan.Surge = append(plan.Surge, next)
			next++
		}
	}

	// 2. Delete old members: unavailable ones cost nothing; available ones only within the budget.
	release(old)
	if len(plan.Delete) == 0 && len(plan.Surge) == 0 {
		plan.Waiting = fmt.Sprintf("%d old members wait: %d members available, minimum %d (maxUnavailable %d); "+
			"waiting for updated members to become available", len(old), available, in.Replicas-in.MaxUnavailable, in.MaxUnavailable)
	}
	return plan
}
