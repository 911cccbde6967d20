package wukongset

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/statuswrite"
)

// statusInterval is the least time between two writes of a set's status when only its counts moved on
// their way (members created, becoming Ready, Available, updated): a 10,000-member creation shows its
// progress every two seconds, both between the batches of one pass and across passes, instead of a write
// for every member that turns Ready. What a user or a rollout acts on is written at once (classifyStatusChange).
const statusInterval = 2 * time.Second

// classifyStatusChange compares the set's status last written (old) with the one just computed (now).
// Significant: the observed generation, revisions, selector and collision count, a condition's status or
// reason, fewer Ready or Available members than written (something went down), and counts that arrive where
// a creation or rollout ends (every member Ready, Available and updated). Anything else is progress.
func classifyStatusChange(old, now *vmv1alpha1.WukongSetStatus) statuswrite.Change {
	switch {
	case old.ObservedGeneration != now.ObservedGeneration:
		return statuswrite.Change{Significant: "observedGeneration"}
	case old.CurrentRevision != now.CurrentRevision || old.UpdateRevision != now.UpdateRevision:
		return statuswrite.Change{Significant: "revision"}
	case old.LabelSelector != now.LabelSelector || !equality.Semantic.DeepEqual(old.CollisionCount, now.CollisionCount):
		return statuswrite.Change{Significant: "selector"}
	}
	if t := statuswrite.ConditionChanged(old.Conditions, now.Conditions); t != "" {
		return statuswrite.Change{Significant: "condition " + t}
	}
	switch {
	case now.ReadyReplicas < old.ReadyReplicas || now.AvailableReplicas < old.AvailableReplicas:
		return statuswrite.Change{Significant: "fewer ready"}
	case settled(now) && !settled(old):
		return statuswrite.Change{Significant: "settled"}
	}
	return statuswrite.Change{Progress: !equality.Semantic.DeepEqual(old, now)}
}

// settled reports whether every member counted is Ready, Available and updated.
func settled(st *vmv1alpha1.WukongSetStatus) bool {
	return st.ReadyReplicas == st.Replicas && st.AvailableReplicas == st.Replicas && st.UpdatedReplicas == st.Replicas
}
