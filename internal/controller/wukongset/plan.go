package wukongset

import (
	"sort"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// member is one existing member as the planner sees it.
type member struct {
	// Name and Index identify the member (<set>-<index>).
	Name  string
	Index int
	// Ready is the member's Ready condition.
	Ready bool
	// Deleting is true once the member has a deletion timestamp; it still holds its name.
	Deleting bool
	// DeleteList is the membersToDelete hash the member was created under when its own name was listed: it
	// is the replacement, and deleting it again would churn forever.
	DeleteList string
}

// scaleInput is everything the scale planner decides from.
type scaleInput struct {
	// Replicas is the desired number of live members.
	Replicas int
	// Members are the set's existing members, live or being deleted.
	Members []member
	// Taken are indices whose name is held by an object the set does not control; they are skipped.
	Taken map[int]bool
	// Policy chooses scale-down victims after MembersToDelete.
	Policy vmv1alpha1.ScaleDownPolicy
	// MembersToDelete are removed on this pass, and replaced when Replicas did not shrink.
	MembersToDelete []string
	// DeleteListHash identifies the current MembersToDelete (see member.DeleteList).
	DeleteListHash string
}

// scalePlan is what the reconciler does to reach the desired count.
type scalePlan struct {
	// Create are the indices to create, lowest first.
	Create []int
	// Delete are the members to remove, in removal order.
	Delete []string
	// Waiting counts members not created yet because their index is still held by a member being deleted;
	// the deletion's event brings the set back.
	Waiting int
}

// planScale keeps exactly Replicas live members. Named members go first; then surplus members are chosen by
// the policy (NotReadyFirst prefers members that are not Ready), highest index first; missing members are
// created at the lowest free indices, so gaps left by deletions are filled before the set grows upwards.
func planScale(in scaleInput) scalePlan {
	var plan scalePlan
	named := map[string]bool{}
	for _, n := range in.MembersToDelete {
		named[n] = true
	}
	// held and liveAt are indexed by member index, so a set of thousands is planned in linear time.
	held, liveAt := map[int]bool{}, map[int]bool{}
	var live, victims []member
	for _, m := range in.Members {
		held[m.Index] = true
		switch {
		case m.Deleting:
		case named[m.Name] && (m.DeleteList == "" || m.DeleteList != in.DeleteListHash):
			victims = append(victims, m)
		default:
			live = append(live, m)
			liveAt[m.Index] = true
		}
	}
	sort.SliceStable(victims, func(i, j int) bool { return victims[i].Index < victims[j].Index })
	for _, m := range victims {
		plan.Delete = append(plan.Delete, m.Name)
	}
	if surplus := len(live) - in.Replicas; surplus > 0 {
		sort.SliceStable(live, func(i, j int) bool {
			a, b := live[i], live[j]
			if in.Policy == vmv1alpha1.ScaleDownNotReadyFirst && a.Ready != b.Ready {
				return !a.Ready
			}
			return a.Index > b.Index
		})
		for _, m := range live[:surplus] {
			plan.Delete = append(plan.Delete, m.Name)
		}
		return plan
	}
	need := in.Replicas - len(live)
	for i := 0; need > 0; i++ {
		switch {
		case in.Taken[i]:
			continue
		case held[i] && !liveAt[i]:
			// Held by a member being deleted (now or on this pass): refill it once it is gone.
			plan.Waiting++
			need--
		case !held[i]:
			plan.Create = append(plan.Create, i)
			need--
		}
	}
	return plan
}
