package wukongset

// Passes a step can run. Scale and update are separate passes, as in OpenKruise's CloneSet: when scaling has
// work it runs alone and the rollout waits for the next pass, so the two never spend the same budget.
const (
	passScale   = "scale"
	passRollout = "rollout"
)

// stepInput is everything one reconcile pass of a set decides from.
type stepInput struct {
	// Scale and Rollout are the two planners' views of the members.
	Scale   scaleInput
	Rollout rolloutInput
	// CurrentRevision is status.currentRevision, CurrentStored whether its template is still stored: below
	// the partition and while paused, members the scale pass creates keep that revision.
	CurrentRevision string
	CurrentStored   bool
}

// createSpec is a member to create: its index, the revision to render it from, and whether it is a
// temporary surge member.
type createSpec struct {
	Index    int
	Revision string
	Surge    bool
}

// stepPlan is what one reconcile pass does. The reconciler executes it in this order: Delete, Hold, Update,
// Create.
type stepPlan struct {
	// Pass is the pass that runs: passScale, passRollout, or "" when nothing is to be written now.
	Pass string
	// Create are members to create.
	Create []createSpec
	// Delete are members to delete (by name; the reconciler binds each delete to the UID it observed).
	Delete []string
	// Hold are members to stop before their update (Recreate); Update are members to update in place.
	Hold, Update []string
	// Pending counts the members still to create or delete after this pass, for the status.
	Pending int
	// Scale and Rollout are the two planners' full answers, for the status and the metrics.
	Scale   scalePlan
	Rollout rolloutPlan
}

// planStep decides one pass: the scale pass when the member count is off, else the rollout's next step.
func planStep(in stepInput) stepPlan {
	p := stepPlan{Rollout: planRollout(in.Rollout), Scale: planScale(in.Scale)}
	if p.Rollout.BlockCreate {
		p.Scale.Waiting += len(p.Scale.Create)
		p.Scale.Create = nil
	}
	p.Pending = len(p.Scale.Create) + len(p.Scale.Delete) + p.Scale.Waiting
	switch {
	case len(p.Scale.Create)+len(p.Scale.Delete) > 0:
		p.Pass = passScale
		for _, i := range p.Scale.Create {
			p.Create = append(p.Create, createSpec{Index: i, Revision: scaleRevision(in, i)})
		}
		p.Delete = p.Scale.Delete
	case len(p.Rollout.Delete)+len(p.Rollout.Surge)+len(p.Rollout.Update)+len(p.Rollout.Hold) > 0:
		p.Pass = passRollout
		for _, i := range p.Rollout.Surge {
			p.Create = append(p.Create, createSpec{Index: i, Revision: in.Rollout.UpdateRevision, Surge: true})
		}
		p.Delete, p.Hold, p.Update = p.Rollout.Delete, p.Rollout.Hold, p.Rollout.Update
		p.Pending += len(p.Rollout.Delete) + len(p.Rollout.Surge)
	}
	return p
}

// scaleRevision is the revision of a member the scale pass creates at index: the update revision, except
// below the partition or while paused, where members keep the current revision when it is still stored.
func scaleRevision(in stepInput, index int) string {
	r := in.Rollout
	if in.CurrentStored && in.CurrentRevision != r.UpdateRevision && (r.Paused || index < r.Partition) {
		return in.CurrentRevision
	}
	return r.UpdateRevision
}
