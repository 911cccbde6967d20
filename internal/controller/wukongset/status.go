package wukongset

import (
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"github.com/novasphere/wukong/internal/statuswrite"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/redact"
)

// statusInput is what computeStatus derives the status from.
type statusInput struct {
	Members        []*vmv1alpha1.Wukong
	Selector       string
	UpdateRevision string
	// FailureReason and FailureMessage feed the ReplicaFailure condition; empty FailureReason means none.
	FailureReason, FailureMessage string
	// Pending counts members still to create or delete after this pass.
	Pending int
	// Rollout is this pass's rollout plan.
	Rollout rolloutPlan
	// QuotaBlocked counts members held back by a ResourceQuota; QuotaMessage says which and by how much.
	QuotaBlocked int
	QuotaMessage string
	// Healing describes members autohealing acts on; nil when the set has no autohealing.
	Healing []string
	// Autohealing is true when the set asks for autohealing (the Healing condition is set only then).
	Autohealing bool
	Now         time.Time
}

// computeStatus derives the set's status. It returns the status and, when a deadline or minReadySeconds
// will change it without any event, how long until then. Every condition is set on every pass, so a status
// never keeps a condition a former pass computed from other facts.
func computeStatus(set *vmv1alpha1.WukongSet, in statusInput) (vmv1alpha1.WukongSetStatus, time.Duration) {
	st := *set.Status.DeepCopy()
	st.ObservedGeneration = set.Generation
	st.LabelSelector = in.Selector
	recheck := setReplicaCounts(&st, set, in)
	setRevisions(&st, set, in)
	// The order is the order conditions are listed in a new status.
	setAvailableCondition(&st, set)
	setPausedCondition(&st, set)
	recheck = statuswrite.Sooner(recheck, setProgressingCondition(&st, set, in))
	setQuotaExceededCondition(&st, set, in)
	setHealingCondition(&st, set, in)
	recheck = statuswrite.Sooner(recheck, setReplicaFailureCondition(&st, set, in))
	return st, recheck
}

// setCondition sets one condition of the set's status at the set's generation.
func setCondition(st *vmv1alpha1.WukongSetStatus, generation int64, t string, ok bool, reason, msg string) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		// Messages quote the apiserver and members, which may quote an image URL with its credentials.
		Type: t, Status: status, Reason: reason, Message: redact.String(msg), ObservedGeneration: generation,
	})
}

// setReplicaCounts counts the members that are not being deleted, updated (surge members aside), ready and
// available. Every count is written, zero included, so a count never stays from a former pass. It returns
// how long until the next ready member has been ready for minReadySeconds (0: none waits).
func setReplicaCounts(st *vmv1alpha1.WukongSetStatus, set *vmv1alpha1.WukongSet, in statusInput) time.Duration {
	st.Replicas, st.ReadyReplicas, st.AvailableReplicas, st.UpdatedReplicas = 0, 0, 0, 0
	minReady := time.Duration(set.Spec.MinReadySeconds) * time.Second
	var recheck time.Duration
	for _, m := range in.Members {
		if !m.DeletionTimestamp.IsZero() {
			continue
		}
		st.Replicas++
		surge := m.Labels[vmv1alpha1.LabelSurge] == "true"
		if m.Labels[vmv1alpha1.LabelRevision] == in.UpdateRevision && !surge {
			st.UpdatedReplicas++
		}
		ready := meta.FindStatusCondition(m.Status.Conditions, vmv1alpha1.WukongReady)
		if ready == nil || ready.Status != metav1.ConditionTrue {
			continue
		}
		st.ReadyReplicas++
		if available(m, set.Spec.MinReadySeconds, in.Now) {
			st.AvailableReplicas++
		} else {
			recheck = statuswrite.Sooner(recheck, minReady-in.Now.Sub(ready.LastTransitionTime.Time))
		}
	}
	return recheck
}

// setRevisions records the update revision, and makes it the current one once the rollout is done and
// every member runs it; a new set starts at it. It reads the counts setReplicaCounts wrote.
func setRevisions(st *vmv1alpha1.WukongSetStatus, set *vmv1alpha1.WukongSet, in statusInput) {
	st.UpdateRevision = in.UpdateRevision
	want := int32(setmember.Replicas(set))
	if st.CurrentRevision == "" || (in.Rollout.Done && st.UpdatedReplicas == want && st.Replicas == want) {
		st.CurrentRevision = in.UpdateRevision
	}
}

// setAvailableCondition: Available is True while at least replicas - maxUnavailable members are available.
func setAvailableCondition(st *vmv1alpha1.WukongSetStatus, set *vmv1alpha1.WukongSet) {
	want := int32(setmember.Replicas(set))
	_, unavailable := setmember.Budget(set)
	minAvailable := max(want-int32(unavailable), 0)
	ok := st.AvailableReplicas >= minAvailable
	reason := vmv1alpha1.ReasonMinimumAvailable
	if !ok {
		reason = vmv1alpha1.ReasonMinimumUnavailable
	}
	setCondition(st, set.Generation, vmv1alpha1.SetAvailable, ok, reason,
		fmt.Sprintf("%d of %d members available (minimum %d)", st.AvailableReplicas, want, minAvailable))
}

// setPausedCondition: Paused follows spec.paused.
func setPausedCondition(st *vmv1alpha1.WukongSetStatus, set *vmv1alpha1.WukongSet) {
	if set.Spec.Paused {
		setCondition(st, set.Generation, vmv1alpha1.SetPaused, true, vmv1alpha1.ReasonPaused, "spec.paused holds the rollout; scaling still happens")
	} else {
		setCondition(st, set.Generation, vmv1alpha1.SetPaused, false, vmv1alpha1.ReasonResumed, "")
	}
}

// defaultProgressDeadline is the progress deadline of a set that does not set progressDeadlineSeconds.
const defaultProgressDeadline = 600 * time.Second

// setProgressingCondition: Progressing is True with the step the set is at, or False once nothing moved for
// the progress deadline. Progress is any change in what exists, runs the new template or is ready (or a new
// generation); the deadline counts from the last one, kept in lastProgressTime. It reads the counts
// setReplicaCounts wrote and the status the pass started from (set.Status), and returns how long until the
// deadline passes (0: the set is settled, paused or past it already).
func setProgressingCondition(st *vmv1alpha1.WukongSetStatus, set *vmv1alpha1.WukongSet, in statusInput) time.Duration {
	want := int32(setmember.Replicas(set))
	prev := set.Status
	// Rollout.Done means every member from the partition up runs the update revision, so a canary held at
	// its partition is settled too.
	settled := in.Pending == 0 && in.Rollout.Done && st.Replicas == want && st.ReadyReplicas == want
	moved := st.Replicas != prev.Replicas || st.UpdatedReplicas != prev.UpdatedReplicas ||
		st.ReadyReplicas != prev.ReadyReplicas || st.AvailableReplicas != prev.AvailableReplicas || in.Pending > 0 ||
		prev.ObservedGeneration != set.Generation
	if moved || st.LastProgressTime == nil {
		st.LastProgressTime = &metav1.Time{Time: in.Now.Truncate(time.Second)}
	}
	deadline := defaultProgressDeadline
	if set.Spec.ProgressDeadlineSeconds != nil {
		deadline = time.Duration(*set.Spec.ProgressDeadlineSeconds) * time.Second
	}
	stalled := in.Now.Sub(st.LastProgressTime.Time)
	switch {
	case settled:
		msg := fmt.Sprintf("all %d members ready at revision %s", want, in.UpdateRevision)
		if p := setmember.Partition(set); p > 0 && st.UpdatedReplicas < want {
			msg = fmt.Sprintf("all %d members ready; members from index %d at revision %s (partition)", want, p, in.UpdateRevision)
		}
		setCondition(st, set.Generation, vmv1alpha1.SetProgressing, true, vmv1alpha1.ReasonReplicasReady, msg)
	case set.Spec.Paused:
		setCondition(st, set.Generation, vmv1alpha1.SetProgressing, true, vmv1alpha1.ReasonPaused,
			fmt.Sprintf("paused: %d of %d members updated, %d ready", st.UpdatedReplicas, want, st.ReadyReplicas))
	case stalled >= deadline:
		setCondition(st, set.Generation, vmv1alpha1.SetProgressing, false, vmv1alpha1.ReasonProgressDeadline,
			fmt.Sprintf("no progress for %s: %d of %d members updated, %d ready. %s",
				deadline, st.UpdatedReplicas, want, st.ReadyReplicas, notReadyMembers(in.Members)))
	default:
		reason, msg := progressStep(st, want, in)
		setCondition(st, set.Generation, vmv1alpha1.SetProgressing, true, reason, msg)
		return deadline - stalled
	}
	return 0
}

// progressStep is the reason and message of a set on its way, neither settled nor paused nor stalled:
// scaling first, then the rollout, then members becoming ready.
func progressStep(st *vmv1alpha1.WukongSetStatus, want int32, in statusInput) (reason, msg string) {
	switch {
	case in.Pending > 0 || st.Replicas != want:
		return vmv1alpha1.ReasonScaling, fmt.Sprintf("%d of %d members exist", st.Replicas, want)
	case !in.Rollout.Done || st.UpdatedReplicas != want:
		msg := fmt.Sprintf("%d of %d members updated to revision %s", st.UpdatedReplicas, want, in.UpdateRevision)
		if in.Rollout.Waiting != "" {
			msg += "; " + in.Rollout.Waiting + ". " + notReadyMembers(in.Members)
		}
		return vmv1alpha1.ReasonNewRevisionRollout, msg
	default:
		return vmv1alpha1.ReasonWaitingForReady, fmt.Sprintf("%d of %d members ready", st.ReadyReplicas, want)
	}
}

// setQuotaExceededCondition: QuotaExceeded is True while members wait for namespace quota.
func setQuotaExceededCondition(st *vmv1alpha1.WukongSetStatus, set *vmv1alpha1.WukongSet, in statusInput) {
	if in.QuotaBlocked > 0 {
		setCondition(st, set.Generation, vmv1alpha1.SetQuotaExceeded, true, vmv1alpha1.ReasonQuotaExceeded, in.QuotaMessage)
	} else {
		setCondition(st, set.Generation, vmv1alpha1.SetQuotaExceeded, false, vmv1alpha1.ReasonQuotaAvailable, "")
	}
}

// setHealingCondition: Healing says which members autohealing acts on; a set without autohealing has no
// Healing condition at all (one left from when it had is removed).
func setHealingCondition(st *vmv1alpha1.WukongSetStatus, set *vmv1alpha1.WukongSet, in statusInput) {
	switch {
	case !in.Autohealing:
		meta.RemoveStatusCondition(&st.Conditions, vmv1alpha1.SetHealing)
	case len(in.Healing) > 0:
		setCondition(st, set.Generation, vmv1alpha1.SetHealing, true, vmv1alpha1.ReasonHealing, strings.Join(in.Healing, "; "))
	default:
		setCondition(st, set.Generation, vmv1alpha1.SetHealing, false, vmv1alpha1.ReasonNoFailingMembers, "")
	}
}

// setReplicaFailureCondition: ReplicaFailure is True with this pass's create, delete or template failure,
// else with members whose deletion stalled. It returns how long until the next deletion stalls (0: none
// will).
func setReplicaFailureCondition(st *vmv1alpha1.WukongSetStatus, set *vmv1alpha1.WukongSet, in statusInput) time.Duration {
	stuck, wait := stalledDeletions(in.Members, in.Now)
	switch {
	case in.FailureReason != "":
		setCondition(st, set.Generation, vmv1alpha1.SetReplicaFailure, true, in.FailureReason, in.FailureMessage)
	case stuck != "":
		setCondition(st, set.Generation, vmv1alpha1.SetReplicaFailure, true, vmv1alpha1.ReasonDeletionStalled, stuck)
	default:
		setCondition(st, set.Generation, vmv1alpha1.SetReplicaFailure, false, vmv1alpha1.ReasonNoFailure, "")
	}
	return wait
}

// deletionStallAfter is how long a member may take to be deleted before the set says what it waits for.
// Members are deleted in the foreground: the garbage collector removes the VM, disks and Secret first, and
// the member's index is only reused after that.
const deletionStallAfter = 2 * time.Minute

// stalledDeletions names the members deleted longer than deletionStallAfter ago that still exist, and says
// how long until the next one crosses that deadline (0: none will).
func stalledDeletions(ms []*vmv1alpha1.Wukong, now time.Time) (string, time.Duration) {
	var names []string
	var next time.Duration
	for _, m := range ms {
		if m.DeletionTimestamp.IsZero() {
			continue
		}
		age := now.Sub(m.DeletionTimestamp.Time)
		if age < deletionStallAfter {
			if w := deletionStallAfter - age; next == 0 || w < next {
				next = w
			}
			continue
		}
		names = append(names, fmt.Sprintf("%s (since %s)", m.Name, age.Truncate(time.Second)))
	}
	if len(names) == 0 {
		return "", next
	}
	shown := names[:min(len(names), 3)]
	msg := fmt.Sprintf("waiting for the garbage collector to delete members %s", strings.Join(shown, ", "))
	if len(names) > 3 {
		msg += fmt.Sprintf(" and %d more", len(names)-3)
	}
	return msg + ": their indices are reused only once their VM, DataVolumes and Secret are gone. Check that " +
		"kube-controller-manager's garbage collector runs, and what still exists: kubectl get vm,dv,secret -l " +
		vmv1alpha1.LabelWukong + "=NAME", next
}

// notReadyMembers names up to three members that are not Ready, with their Ready condition's reason and
// message, so a stuck rollout says why.
func notReadyMembers(ms []*vmv1alpha1.Wukong) string {
	var parts []string
	for _, m := range ms {
		if !m.DeletionTimestamp.IsZero() {
			continue
		}
		c := meta.FindStatusCondition(m.Status.Conditions, vmv1alpha1.WukongReady)
		if c != nil && c.Status == metav1.ConditionTrue {
			continue
		}
		if len(parts) == 3 {
			parts = append(parts, "…")
			break
		}
		if c == nil {
			parts = append(parts, m.Name+": no status yet")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s %s", m.Name, c.Reason, c.Message))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Not ready: " + strings.Join(parts, "; ")
}
