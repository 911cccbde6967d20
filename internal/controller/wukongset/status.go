package wukongset

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/redact"
)

// Condition reasons of a WukongSet, shared with its events.
const (
	ReasonInvalidTemplate     = "InvalidTemplate"
	ReasonCreateFailed        = "CreateFailed"
	ReasonDeleteFailed        = "DeleteFailed"
	ReasonNameTaken           = "NameTaken"
	ReasonNoFailure           = "NoFailure"
	ReasonScaling             = "Scaling"
	ReasonReplicasReady       = "ReplicasReady"
	ReasonWaitingForReady     = "WaitingForReady"
	ReasonMinimumAvailable    = "MinimumReplicasAvailable"
	ReasonMinimumUnavailable  = "MinimumReplicasUnavailable"
	ReasonSuccessfulCreate    = "SuccessfulCreate"
	ReasonSuccessfulDelete    = "SuccessfulDelete"
	ReasonPaused              = "Paused"
	ReasonResumed             = "Resumed"
	ReasonMemberAdopted       = "MemberAdopted"
	ReasonMemberReleased      = "MemberReleased"
	ReasonProgressDeadline    = "ProgressDeadlineExceeded"
	ReasonNewRevisionRollout  = "RollingOut"
	ReasonRolloutBlocked      = "RolloutBlocked"
	ReasonQuotaExceeded       = "QuotaExceeded"
	ReasonQuotaAvailable      = "QuotaAvailable"
	ReasonValidationSucceeded = "Valid"
	ReasonMembersUpdated      = "MembersUpdated"
	ReasonMembersStopped      = "MembersStopped"
	ReasonUpdateFailed        = "UpdateFailed"
	ReasonDeletionStalled     = "DeletionStalled"
	ReasonMemberHealed        = "MemberHealed"
	ReasonHealing             = "Healing"
	ReasonNoFailingMembers    = "NoFailingMembers"
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
// will change it without any event, how long until then.
func computeStatus(set *vmv1alpha1.WukongSet, in statusInput) (vmv1alpha1.WukongSetStatus, time.Duration) {
	st := *set.Status.DeepCopy()
	prev := set.Status
	st.ObservedGeneration = set.Generation
	st.LabelSelector = in.Selector
	st.UpdateRevision = in.UpdateRevision
	if st.CurrentRevision == "" {
		st.CurrentRevision = in.UpdateRevision
	}
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
		} else if wait := minReady - in.Now.Sub(ready.LastTransitionTime.Time); recheck == 0 || wait < recheck {
			recheck = wait
		}
	}
	want := int32(replicas(set))
	if in.Rollout.Done && st.UpdatedReplicas == want && st.Replicas == want {
		st.CurrentRevision = in.UpdateRevision
	}

	cond := func(t string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			// Messages quote the apiserver and members, which may quote an image URL with its credentials.
			Type: t, Status: status, Reason: reason, Message: redact.String(msg), ObservedGeneration: set.Generation,
		})
	}

	_, unavailable := resolveBudget(set)
	minAvailable := max(want-int32(unavailable), 0)
	if st.AvailableReplicas >= minAvailable {
		cond(vmv1alpha1.SetAvailable, true, ReasonMinimumAvailable, fmt.Sprintf("%d of %d members available (minimum %d)", st.AvailableReplicas, want, minAvailable))
	} else {
		cond(vmv1alpha1.SetAvailable, false, ReasonMinimumUnavailable, fmt.Sprintf("%d of %d members available (minimum %d)", st.AvailableReplicas, want, minAvailable))
	}

	if set.Spec.Paused {
		cond(vmv1alpha1.SetPaused, true, ReasonPaused, "spec.paused holds the rollout; scaling still happens")
	} else {
		cond(vmv1alpha1.SetPaused, false, ReasonResumed, "")
	}

	// Progress is any change in what exists, runs the new template or is ready; the deadline counts from the
	// last one.
	// Rollout.Done means every member from the partition up runs the update revision, so a canary held at
	// its partition is settled too.
	settled := in.Pending == 0 && in.Rollout.Done && st.Replicas == want && st.ReadyReplicas == want
	moved := st.Replicas != prev.Replicas || st.UpdatedReplicas != prev.UpdatedReplicas ||
		st.ReadyReplicas != prev.ReadyReplicas || st.AvailableReplicas != prev.AvailableReplicas || in.Pending > 0 ||
		prev.ObservedGeneration != set.Generation
	if moved || st.LastProgressTime == nil {
		st.LastProgressTime = &metav1.Time{Time: in.Now.Truncate(time.Second)}
	}
	deadline := time.Duration(600) * time.Second
	if set.Spec.ProgressDeadlineSeconds != nil {
		deadline = time.Duration(*set.Spec.ProgressDeadlineSeconds) * time.Second
	}
	stalled := in.Now.Sub(st.LastProgressTime.Time)
	switch {
	case settled:
		msg := fmt.Sprintf("all %d members ready at revision %s", want, in.UpdateRevision)
		if p := partition(set); p > 0 && st.UpdatedReplicas < want {
			msg = fmt.Sprintf("all %d members ready; members from index %d at revision %s (partition)", want, p, in.UpdateRevision)
		}
		cond(vmv1alpha1.SetProgressing, true, ReasonReplicasReady, msg)
	case set.Spec.Paused:
		cond(vmv1alpha1.SetProgressing, true, ReasonPaused, fmt.Sprintf("paused: %d of %d members updated, %d ready", st.UpdatedReplicas, want, st.ReadyReplicas))
	case stalled >= deadline:
		cond(vmv1alpha1.SetProgressing, false, ReasonProgressDeadline, fmt.Sprintf("no progress for %s: %d of %d members updated, %d ready. %s",
			deadline, st.UpdatedReplicas, want, st.ReadyReplicas, notReadyMembers(in.Members)))
	default:
		if r := deadline - stalled; recheck == 0 || r < recheck {
			recheck = r
		}
		switch {
		case in.Pending > 0 || st.Replicas != want:
			cond(vmv1alpha1.SetProgressing, true, ReasonScaling, fmt.Sprintf("%d of %d members exist", st.Replicas, want))
		case !in.Rollout.Done || st.UpdatedReplicas != want:
			msg := fmt.Sprintf("%d of %d members updated to revision %s", st.UpdatedReplicas, want, in.UpdateRevision)
			if in.Rollout.Waiting != "" {
				msg += "; " + in.Rollout.Waiting + ". " + notReadyMembers(in.Members)
			}
			cond(vmv1alpha1.SetProgressing, true, ReasonNewRevisionRollout, msg)
		default:
			cond(vmv1alpha1.SetProgressing, true, ReasonWaitingForReady, fmt.Sprintf("%d of %d members ready", st.ReadyReplicas, want))
		}
	}

	if in.QuotaBlocked > 0 {
		cond(vmv1alpha1.SetQuotaExceeded, true, ReasonQuotaExceeded, in.QuotaMessage)
	} else {
		cond(vmv1alpha1.SetQuotaExceeded, false, ReasonQuotaAvailable, "")
	}

	switch {
	case !in.Autohealing:
		meta.RemoveStatusCondition(&st.Conditions, vmv1alpha1.SetHealing)
	case len(in.Healing) > 0:
		cond(vmv1alpha1.SetHealing, true, ReasonHealing, strings.Join(in.Healing, "; "))
	default:
		cond(vmv1alpha1.SetHealing, false, ReasonNoFailingMembers, "")
	}

	stuck, wait := stalledDeletions(in.Members, in.Now)
	if wait > 0 && (recheck == 0 || wait < recheck) {
		recheck = wait
	}
	switch {
	case in.FailureReason != "":
		cond(vmv1alpha1.SetReplicaFailure, true, in.FailureReason, in.FailureMessage)
	case stuck != "":
		cond(vmv1alpha1.SetReplicaFailure, true, ReasonDeletionStalled, stuck)
	default:
		cond(vmv1alpha1.SetReplicaFailure, false, ReasonNoFailure, "")
	}
	return st, recheck
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
