package wukongset

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
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
)

// statusInput is what computeStatus derives the status from.
type statusInput struct {
	Members        []*vmv1alpha1.Wukong
	Selector       string
	UpdateRevision string
	// Failure is the reason and message of the ReplicaFailure condition; empty Reason means none.
	FailureReason, FailureMessage string
	// Pending counts members still to create or delete after this pass.
	Pending int
	Now     time.Time
}

// computeStatus derives the set's status. It returns the status and, when some Ready member becomes
// available only later (minReadySeconds), how long until then.
func computeStatus(set *vmv1alpha1.WukongSet, in statusInput) (vmv1alpha1.WukongSetStatus, time.Duration) {
	st := *set.Status.DeepCopy()
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
		if m.Labels[vmv1alpha1.LabelRevision] == in.UpdateRevision {
			st.UpdatedReplicas++
		}
		ready := meta.FindStatusCondition(m.Status.Conditions, vmv1alpha1.WukongReady)
		if ready == nil || ready.Status != metav1.ConditionTrue {
			continue
		}
		st.ReadyReplicas++
		readyFor := in.Now.Sub(ready.LastTransitionTime.Time)
		if readyFor >= minReady {
			st.AvailableReplicas++
		} else if wait := minReady - readyFor; recheck == 0 || wait < recheck {
			recheck = wait
		}
	}
	want := int32(replicas(set))
	if st.UpdatedReplicas == want && st.Replicas == want {
		st.CurrentRevision = in.UpdateRevision
	}

	set2 := func(t string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: set.Generation,
		})
	}

	minAvailable := want - int32(maxUnavailable(set))
	if minAvailable < 0 {
		minAvailable = 0
	}
	set2(vmv1alpha1.SetAvailable, st.AvailableReplicas >= minAvailable,
		map[bool]string{true: ReasonMinimumAvailable, false: ReasonMinimumUnavailable}[st.AvailableReplicas >= minAvailable],
		fmt.Sprintf("%d of %d members available (minimum %d)", st.AvailableReplicas, want, minAvailable))

	switch {
	case in.Pending > 0 || st.Replicas != want:
		set2(vmv1alpha1.SetProgressing, true, ReasonScaling, fmt.Sprintf("%d of %d members exist", st.Replicas, want))
	case st.ReadyReplicas < want:
		set2(vmv1alpha1.SetProgressing, true, ReasonWaitingForReady, fmt.Sprintf("%d of %d members ready", st.ReadyReplicas, want))
	default:
		set2(vmv1alpha1.SetProgressing, true, ReasonReplicasReady, fmt.Sprintf("all %d members ready", want))
	}

	if in.FailureReason != "" {
		set2(vmv1alpha1.SetReplicaFailure, true, in.FailureReason, in.FailureMessage)
	} else {
		set2(vmv1alpha1.SetReplicaFailure, false, ReasonNoFailure, "")
	}
	return st, recheck
}

// maxUnavailable resolves the rolling update's maxUnavailable against replicas (rounded down, as Deployment
// does); default 1.
func maxUnavailable(set *vmv1alpha1.WukongSet) int {
	v := intstr.FromInt32(1)
	if us := set.Spec.UpdateStrategy; us != nil {
		switch {
		case us.RollingUpdate != nil && us.RollingUpdate.MaxUnavailable != nil:
			v = *us.RollingUpdate.MaxUnavailable
		case us.MaxUnavailable != nil:
			v = *us.MaxUnavailable
		}
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(&v, replicas(set), false)
	if err != nil {
		return 1
	}
	return n
}
