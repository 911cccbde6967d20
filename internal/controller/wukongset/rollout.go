package wukongset

import (
	"fmt"
	"sort"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// rolloutMember is one existing member as the rollout planner sees it.
type rolloutMember struct {
	Name     string
	Index    int
	Revision string
	// Available is Ready for at least minReadySeconds.
	Available bool
	// UpToDate is true when the member's VM runs the member's current spec (its controller observed the
	// spec and KubeVirt applied it, live or by a restart). A member updated in place counts as unavailable
	// until then, so a restart in progress is inside the maxUnavailable budget from the moment it is decided.
	UpToDate bool
	// Deleting members still exist (and count against maxSurge) until the garbage collector is done.
	Deleting bool
	// Surge members are temporary extra members at indices past the set's own, created during a rollout.
	Surge bool
	// Update is how the member moves to the update revision (see classify); meaningless at that revision.
	Update updateKind
	// Held is true when the member was stopped for a Recreate update; Stopped when its VM no longer runs.
	Held, Stopped bool
}

// settled is what the budget counts: available, and not in the middle of an update.
func (m rolloutMember) settled() bool { return m.Available && m.UpToDate }

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

// rolloutPlan is one step of a rollout. The reconciler acts on it in this order: Delete, Hold, Update, then
// Surge.
type rolloutPlan struct {
	// Update are old members to move to the update revision in place now: their spec, labels and
	// annotations are rewritten and their VM follows (live, or restarted by the member's controller).
	Update []string
	// Hold are old members to stop before they are updated (Recreate); their disks stay.
	Hold []string
	// Delete are members to remove now: members re-provisioned with their disks (diskChangePolicy
	// Reprovision), and surge members no longer needed. Members deleted here are re-created at the update
	// revision by the scale pass once they are gone.
	Delete []string
	// Surge are indices at which to create temporary members at the update revision.
	Surge []int
	// BlockCreate tells the scale pass not to create members: under Recreate, members being re-provisioned
	// still exist.
	BlockCreate bool
	// Done is true when every member at index >= Partition runs the update revision, is up to date, and no
	// surge member is left.
	Done bool
	// Waiting says why the rollout cannot take its next step now, for the Progressing condition.
	Waiting string
}

// planRollout decides the next step of moving members to the update revision. Members keep their identity
// and their disks: an old member is updated in place the least disruptive way (see updateKind), and only a
// member whose disks must be re-provisioned (an explicit opt-in) is deleted and re-created. maxSurge is spent
// on temporary members at indices past the set's own, which carry load while regular members restart and are
// removed when the rollout ends. Invariants, at every step: settled members (available and up to date) never
// drop below Replicas-MaxUnavailable because of an update or deletion made here, and existing members
// (deleting ones included) never exceed Replicas+MaxSurge because of a creation made here.
func planRollout(in rolloutInput) rolloutPlan {
	var plan rolloutPlan
	g := groupRollout(in)
	if in.Paused {
		plan.Waiting = "the rollout is paused"
		plan.Done = g.done()
		return plan
	}
	if in.Strategy == vmv1alpha1.RecreateStrategy {
		return planRecreate(plan, g.old, append(g.surge, g.staleSurge...), g.oldDeleting, g.inProgress)
	}
	// b is how many settled members may be disturbed now without dropping below Replicas-MaxUnavailable.
	b := &budget{left: g.settled - (in.Replicas - in.MaxUnavailable)}
	staleLeft := b.release(&plan, g.staleSurge)
	// 1. Updates that cannot take a VM down go at once, whatever the budget.
	var costly []rolloutMember
	for _, m := range g.old {
		if m.Update.budgeted() {
			costly = append(costly, m)
		} else {
			plan.Update = append(plan.Update, m.Name)
		}
	}
	if len(costly) == 0 {
		return planRolloutEnd(plan, g, b, staleLeft)
	}
	// 2. Surge: temporary new members, within Replicas+MaxSurge existing members, no more than the members
	// still to restart or re-provision.
	plan.Surge = surgeIndices(in, g, len(costly))
	// 3. Restarts and re-provisioning: members already down cost nothing; settled ones only within the budget.
	waiting := 0
	for _, m := range rolloutOrder(costly) {
		if !b.take(m) {
			waiting++
			continue
		}
		if m.Update == updateReprovision {
			plan.Delete = append(plan.Delete, m.Name)
		} else {
			plan.Update = append(plan.Update, m.Name)
		}
	}
	if waiting > 0 && len(plan.Update)+len(plan.Delete)+len(plan.Surge) == 0 {
		plan.Waiting = fmt.Sprintf("%d old members wait: %d members available and up to date, minimum %d (maxUnavailable %d); "+
			"waiting for updated members to become available", waiting, g.settled, in.Replicas-in.MaxUnavailable, in.MaxUnavailable)
	}
	return plan
}

// rolloutGroups sorts the members for the rollout planner.
type rolloutGroups struct {
	// old are members in scope (the partition, or all under Recreate) at another revision, not deleting.
	old []rolloutMember
	// surge are surge members at the update revision past the set's indices; staleSurge are the other
	// surge members, which go like old members so they never take a regular member's place.
	surge, staleSurge []rolloutMember
	// existing counts every member, deleting ones included; highest is the highest index (-1: none).
	existing, highest int
	// settled counts members available and up to date, not deleting.
	settled int
	// inProgress counts members in scope at the update revision that are not up to date yet.
	inProgress int
	// oldDeleting is true while a regular member of another revision is being deleted.
	oldDeleting bool
}

// done is true when nothing is left to move: no old or surge member, nothing deleting or in progress.
func (g rolloutGroups) done() bool {
	return len(g.old) == 0 && len(g.surge) == 0 && len(g.staleSurge) == 0 && !g.oldDeleting && g.inProgress == 0
}

// groupRollout sorts the members of in into rolloutGroups.
func groupRollout(in rolloutInput) rolloutGroups {
	g := rolloutGroups{highest: -1}
	for _, m := range in.Members {
		g.existing++
		g.highest = max(g.highest, m.Index)
		if m.Deleting {
			if !m.Surge && m.Revision != in.UpdateRevision {
				g.oldDeleting = true
			}
			continue
		}
		if m.settled() {
			g.settled++
		}
		inScope := in.Strategy == vmv1alpha1.RecreateStrategy || m.Index >= in.Partition
		switch {
		case m.Surge && (m.Revision != in.UpdateRevision || m.Index < in.Replicas):
			// A surge member of an older template, or one whose index the set has grown into.
			g.staleSurge = append(g.staleSurge, m)
		case m.Surge:
			g.surge = append(g.surge, m)
		case m.Revision != in.UpdateRevision && inScope:
			g.old = append(g.old, m)
		case m.Revision == in.UpdateRevision && inScope && !m.UpToDate:
			g.inProgress++
		}
	}
	return g
}

// budget is what is left of the settled members a step may disturb.
type budget struct{ left int }

// take spends the budget on a member: one that is not settled costs nothing, a settled one costs one.
func (b *budget) take(m rolloutMember) bool {
	if !m.settled() {
		return true
	}
	if b.left <= 0 {
		return false
	}
	b.left--
	return true
}

// release adds to plan.Delete the members of ms the budget allows, in rolloutOrder, and returns how many
// are left.
func (b *budget) release(plan *rolloutPlan, ms []rolloutMember) (left int) {
	for _, m := range rolloutOrder(ms) {
		if b.take(m) {
			plan.Delete = append(plan.Delete, m.Name)
		} else {
			left++
		}
	}
	return left
}

// rolloutOrder sorts ms in place, members that are already down first, then the highest index, as a
// StatefulSet does.
func rolloutOrder(ms []rolloutMember) []rolloutMember {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].settled() != ms[j].settled() {
			return !ms[i].settled()
		}
		return ms[i].Index > ms[j].Index
	})
	return ms
}

// planRolloutEnd is a rolling update with nothing left that needs the budget: surge members go once the
// members updated last are back, within the same budget as any other deletion. staleLeft counts the stale
// surge members the budget kept.
func planRolloutEnd(plan rolloutPlan, g rolloutGroups, b *budget, staleLeft int) rolloutPlan {
	switch {
	case g.oldDeleting || g.inProgress > 0:
		plan.Waiting = fmt.Sprintf("waiting for %d updated members to be up to date and available", g.inProgress)
		if g.oldDeleting {
			plan.Waiting = "waiting for replaced members to come back"
		}
	default:
		if left := b.release(&plan, g.surge); left+staleLeft > 0 {
			plan.Waiting = fmt.Sprintf("%d surge members stay until updated members are available", left+staleLeft)
		}
	}
	plan.Done = g.done()
	return plan
}

// surgeIndices are the indices of the surge members to create now: up to MaxSurge at once but no more than
// the costly members still to move, counting the surge members that exist, and within Replicas+MaxSurge
// existing members.
func surgeIndices(in rolloutInput, g rolloutGroups, costly int) []int {
	var surge []int
	wantSurge := min(in.MaxSurge, costly)
	if room := in.Replicas + in.MaxSurge - g.existing; room > 0 && len(g.surge) < wantSurge {
		next := max(g.highest+1, in.Replicas)
		for range min(room, wantSurge-len(g.surge)) {
			surge = append(surge, next)
			next++
		}
	}
	return surge
}

// planRecreate is the Recreate strategy: every old member whose update may take its VM down is stopped
// before any of them starts at the new revision; updates that take nothing down go at once; members whose
// disks are re-provisioned are deleted, and the scale pass creates nothing while they exist.
func planRecreate(plan rolloutPlan, old, surge []rolloutMember, oldDeleting bool, inProgress int) rolloutPlan {
	var stopping []string
	var costly []rolloutMember
	reprovisioning := oldDeleting
	for _, m := range old {
		switch {
		case m.Update == updateReprovision:
			plan.Delete = append(plan.Delete, m.Name)
			reprovisioning = true
		case m.Update.budgeted():
			costly = append(costly, m)
			if !m.Held {
				plan.Hold = append(plan.Hold, m.Name)
			}
			if !m.Held || !m.Stopped {
				stopping = append(stopping, m.Name)
			}
		default:
			plan.Update = append(plan.Update, m.Name)
		}
	}
	for _, m := range surge {
		plan.Delete = append(plan.Delete, m.Name)
	}
	if len(stopping) == 0 {
		for _, m := range costly {
			plan.Update = append(plan.Update, m.Name)
		}
	} else {
		plan.Waiting = fmt.Sprintf("Recreate: waiting for %d old members to stop", len(stopping))
	}
	plan.BlockCreate = reprovisioning
	if reprovisioning && plan.Waiting == "" {
		plan.Waiting = "Recreate: waiting for every re-provisioned member to be gone"
	}
	plan.Done = len(old) == 0 && len(surge) == 0 && !oldDeleting && inProgress == 0
	return plan
}
