package wukongset

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func TestStalledDeletions(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	deleting := func(name string, ago time.Duration) *vmv1alpha1.Wukong {
		m := &vmv1alpha1.Wukong{}
		m.Name = name
		if ago >= 0 {
			m.DeletionTimestamp = &metav1.Time{Time: now.Add(-ago)}
		}
		return m
	}
	cases := []struct {
		name     string
		members  []*vmv1alpha1.Wukong
		wantMsg  []string // substrings; none means no message
		wantNext time.Duration
	}{
		{"nothing deleting", []*vmv1alpha1.Wukong{deleting("s-0", -1)}, nil, 0},
		{"a fresh deletion is not stalled; recheck at its deadline", []*vmv1alpha1.Wukong{deleting("s-1", 30*time.Second)}, nil, 90 * time.Second},
		{"a deletion past the deadline is named with its age and what to check",
			[]*vmv1alpha1.Wukong{deleting("s-1", 3*time.Minute), deleting("s-2", time.Minute)},
			[]string{"s-1 (since 3m0s)", "garbage collector", "kubectl get vm,dv,secret -l vm.novasphere.dev/wukong=NAME"}, time.Minute},
		{"at most three named", []*vmv1alpha1.Wukong{deleting("a", 5*time.Minute), deleting("b", 5*time.Minute),
			deleting("c", 5*time.Minute), deleting("d", 5*time.Minute)}, []string{"a (since 5m0s), b (since 5m0s), c (since 5m0s) and 1 more"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg, next := stalledDeletions(tc.members, now)
			if (msg == "") != (len(tc.wantMsg) == 0) || next != tc.wantNext {
				t.Fatalf("stalledDeletions = %q, %s; want a message with %q, next %s", msg, next, tc.wantMsg, tc.wantNext)
			}
			for _, want := range tc.wantMsg {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
		})
	}
}

// TestReplicaFailureCondition: a stalled deletion is reported as ReplicaFailure, below a create or delete
// failure of the same pass, and cleared when it goes.
func TestReplicaFailureCondition(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	set := &vmv1alpha1.WukongSet{Spec: vmv1alpha1.WukongSetSpec{Replicas: ptr.To(int32(1))}}
	stuck := &vmv1alpha1.Wukong{}
	stuck.Name, stuck.DeletionTimestamp = "s-0", &metav1.Time{Time: now.Add(-10 * time.Minute)}
	cases := []struct {
		name       string
		in         statusInput
		wantStatus metav1.ConditionStatus
		wantReason string
	}{
		{"none", statusInput{Now: now}, metav1.ConditionFalse, vmv1alpha1.ReasonNoFailure},
		{"stalled deletion", statusInput{Now: now, Members: []*vmv1alpha1.Wukong{stuck}}, metav1.ConditionTrue, vmv1alpha1.ReasonDeletionStalled},
		{"a failure of the pass comes first", statusInput{Now: now, Members: []*vmv1alpha1.Wukong{stuck},
			FailureReason: vmv1alpha1.ReasonCreateFailed, FailureMessage: "quota"}, metav1.ConditionTrue, vmv1alpha1.ReasonCreateFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := computeStatus(set, tc.in)
			c := meta.FindStatusCondition(st.Conditions, vmv1alpha1.SetReplicaFailure)
			if c == nil || c.Status != tc.wantStatus || c.Reason != tc.wantReason {
				t.Fatalf("ReplicaFailure = %+v, want %s/%s", c, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

// statusNow is the clock of the status tests.
var statusNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// statusSet is a set of the given replicas at generation 2 whose last pass observed generation 2.
func statusSet(replicas int32) *vmv1alpha1.WukongSet {
	set := &vmv1alpha1.WukongSet{Spec: vmv1alpha1.WukongSetSpec{Replicas: ptr.To(replicas)}}
	set.Name, set.Generation, set.Status.ObservedGeneration = "s", 2, 2
	return set
}

// statusMember is a member at revision rev whose Ready condition is status since ago (no condition when
// status is empty).
func statusMember(name, rev string, status metav1.ConditionStatus, ago time.Duration) *vmv1alpha1.Wukong {
	m := &vmv1alpha1.Wukong{}
	m.Name, m.Labels = name, map[string]string{vmv1alpha1.LabelRevision: rev}
	if status != "" {
		m.Status.Conditions = []metav1.Condition{{Type: vmv1alpha1.WukongReady, Status: status, Reason: "R", Message: "why",
			LastTransitionTime: metav1.Time{Time: statusNow.Add(-ago)}}}
	}
	return m
}

// wantCondition fails t unless st has condition t at status with reason, and a message containing msg.
func wantCondition(t *testing.T, st vmv1alpha1.WukongSetStatus, typ string, status metav1.ConditionStatus, reason, msg string) {
	t.Helper()
	c := meta.FindStatusCondition(st.Conditions, typ)
	if c == nil || c.Status != status || c.Reason != reason || !strings.Contains(c.Message, msg) {
		t.Fatalf("%s = %+v, want %s/%s with %q", typ, c, status, reason, msg)
	}
	if c.ObservedGeneration != 2 {
		t.Errorf("%s observedGeneration = %d, want 2", typ, c.ObservedGeneration)
	}
}

func TestSetReplicaCounts(t *testing.T) {
	deleting := statusMember("s-3", "new", metav1.ConditionTrue, time.Hour)
	deleting.DeletionTimestamp = &metav1.Time{Time: statusNow}
	surge := statusMember("s-4", "new", metav1.ConditionTrue, time.Hour)
	surge.Labels[vmv1alpha1.LabelSurge] = "true"
	cases := []struct {
		name                                string
		minReady                            int32
		members                             []*vmv1alpha1.Wukong
		replicas, ready, available, updated int32
		recheck                             time.Duration
	}{
		{"no members: zero counts are written over the last pass's", 0, nil, 0, 0, 0, 0, 0},
		{"deleting members do not count", 0, []*vmv1alpha1.Wukong{deleting}, 0, 0, 0, 0, 0},
		{"a surge member is not an updated one", 0, []*vmv1alpha1.Wukong{surge}, 1, 1, 1, 0, 0},
		{"old, not ready and ready members", 0, []*vmv1alpha1.Wukong{statusMember("s-0", "old", metav1.ConditionTrue, time.Hour),
			statusMember("s-1", "new", metav1.ConditionFalse, time.Hour), statusMember("s-2", "new", "", 0)}, 3, 1, 1, 2, 0},
		{"ready for less than minReadySeconds: not available, recheck when it will be", 60, []*vmv1alpha1.Wukong{
			statusMember("s-0", "new", metav1.ConditionTrue, 20*time.Second), statusMember("s-1", "new", metav1.ConditionTrue, 50*time.Second),
			statusMember("s-2", "new", metav1.ConditionTrue, time.Hour)}, 3, 3, 1, 3, 10 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := statusSet(3)
			set.Spec.MinReadySeconds = tc.minReady
			st := vmv1alpha1.WukongSetStatus{Replicas: 9, ReadyReplicas: 9, AvailableReplicas: 9, UpdatedReplicas: 9}
			recheck := setReplicaCounts(&st, set, statusInput{Members: tc.members, UpdateRevision: "new", Now: statusNow})
			if st.Replicas != tc.replicas || st.ReadyReplicas != tc.ready || st.AvailableReplicas != tc.available ||
				st.UpdatedReplicas != tc.updated || recheck != tc.recheck {
				t.Fatalf("counts %d/%d/%d/%d, recheck %s; want %d/%d/%d/%d, %s", st.Replicas, st.ReadyReplicas, st.AvailableReplicas,
					st.UpdatedReplicas, recheck, tc.replicas, tc.ready, tc.available, tc.updated, tc.recheck)
			}
		})
	}
}

func TestSetRevisions(t *testing.T) {
	cases := []struct {
		name              string
		current           string
		done              bool
		replicas, updated int32
		want              string
	}{
		{"a new set starts at the update revision", "", false, 0, 0, "new"},
		{"a rollout under way keeps the current revision", "old", false, 3, 3, "old"},
		{"a done rollout with members left to update keeps it", "old", true, 3, 2, "old"},
		{"a done rollout with a member missing keeps it", "old", true, 2, 2, "old"},
		{"a done rollout with every member updated moves it", "old", true, 3, 3, "new"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := vmv1alpha1.WukongSetStatus{CurrentRevision: tc.current, Replicas: tc.replicas, UpdatedReplicas: tc.updated}
			setRevisions(&st, statusSet(3), statusInput{UpdateRevision: "new", Rollout: rolloutPlan{Done: tc.done}})
			if st.CurrentRevision != tc.want || st.UpdateRevision != "new" {
				t.Fatalf("revisions current %q update %q, want %q and new", st.CurrentRevision, st.UpdateRevision, tc.want)
			}
		})
	}
}

func TestSetAvailableCondition(t *testing.T) {
	cases := []struct {
		name       string
		replicas   int32
		available  int32
		wantStatus metav1.ConditionStatus
		wantReason string
		wantMsg    string
	}{
		{"at the minimum (maxUnavailable 1 by default)", 3, 2, metav1.ConditionTrue, vmv1alpha1.ReasonMinimumAvailable, "2 of 3 members available (minimum 2)"},
		{"below it", 3, 1, metav1.ConditionFalse, vmv1alpha1.ReasonMinimumUnavailable, "1 of 3 members available (minimum 2)"},
		{"an empty set is available", 0, 0, metav1.ConditionTrue, vmv1alpha1.ReasonMinimumAvailable, "0 of 0 members available (minimum 0)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := vmv1alpha1.WukongSetStatus{AvailableReplicas: tc.available}
			setAvailableCondition(&st, statusSet(tc.replicas))
			wantCondition(t, st, vmv1alpha1.SetAvailable, tc.wantStatus, tc.wantReason, tc.wantMsg)
		})
	}
}

func TestSetPausedCondition(t *testing.T) {
	cases := []struct {
		paused     bool
		wantStatus metav1.ConditionStatus
		wantReason string
	}{
		{true, metav1.ConditionTrue, vmv1alpha1.ReasonPaused},
		{false, metav1.ConditionFalse, vmv1alpha1.ReasonResumed},
	}
	for _, tc := range cases {
		set := statusSet(1)
		set.Spec.Paused = tc.paused
		var st vmv1alpha1.WukongSetStatus
		setPausedCondition(&st, set)
		wantCondition(t, st, vmv1alpha1.SetPaused, tc.wantStatus, tc.wantReason, "")
	}
}

func TestSetProgressingCondition(t *testing.T) {
	long := statusNow.Add(-time.Hour)
	cases := []struct {
		name string
		// st holds the counts of this pass; the set's status (the last pass's) has 3 of each.
		st          vmv1alpha1.WukongSetStatus
		in          statusInput
		paused      bool
		partition   int32
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMsg     string
		wantRecheck time.Duration
		// wantProgress is whether lastProgressTime moves to now.
		wantProgress bool
	}{
		{"settled", statusCounts(3, 3, 3, &long), statusInput{Rollout: rolloutPlan{Done: true}}, false, 0,
			metav1.ConditionTrue, vmv1alpha1.ReasonReplicasReady, "all 3 members ready at revision new", 0, false},
		{"settled at a partition", statusCounts(3, 3, 1, &long), statusInput{Rollout: rolloutPlan{Done: true}}, false, 2,
			metav1.ConditionTrue, vmv1alpha1.ReasonReplicasReady, "members from index 2 at revision new (partition)", 0, true},
		{"paused", statusCounts(3, 3, 1, &long), statusInput{}, true, 0,
			metav1.ConditionTrue, vmv1alpha1.ReasonPaused, "paused: 1 of 3 members updated, 3 ready", 0, true},
		{"no progress for the deadline", statusCounts(3, 3, 3, &long), statusInput{}, false, 0,
			metav1.ConditionFalse, vmv1alpha1.ReasonProgressDeadline, "no progress for 10m0s: 3 of 3 members updated, 3 ready.", 0, false},
		{"scaling; recheck at the deadline", statusCounts(2, 2, 2, nil), statusInput{Pending: 1}, false, 0,
			metav1.ConditionTrue, vmv1alpha1.ReasonScaling, "2 of 3 members exist", 10 * time.Minute, true},
		{"rolling out, saying what it waits for", statusCounts(3, 3, 1, nil), statusInput{Rollout: rolloutPlan{Waiting: "the budget"}}, false, 0,
			metav1.ConditionTrue, vmv1alpha1.ReasonNewRevisionRollout, "1 of 3 members updated to revision new; the budget. ", 10 * time.Minute, true},
		{"waiting for ready", statusCounts(3, 2, 3, nil), statusInput{Rollout: rolloutPlan{Done: true}}, false, 0,
			metav1.ConditionTrue, vmv1alpha1.ReasonWaitingForReady, "2 of 3 members ready", 10 * time.Minute, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := statusSet(3)
			set.Spec.Paused = tc.paused
			if tc.partition > 0 {
				set.Spec.UpdateStrategy = &vmv1alpha1.WukongSetUpdateStrategy{
					RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{Partition: ptr.To(tc.partition)}}
			}
			set.Status = statusCounts(3, 3, 3, &long)
			set.Status.ObservedGeneration = 2
			tc.in.UpdateRevision, tc.in.Now = "new", statusNow
			st := tc.st
			recheck := setProgressingCondition(&st, set, tc.in)
			wantCondition(t, st, vmv1alpha1.SetProgressing, tc.wantStatus, tc.wantReason, tc.wantMsg)
			if recheck != tc.wantRecheck {
				t.Errorf("recheck = %s, want %s", recheck, tc.wantRecheck)
			}
			if moved := st.LastProgressTime.Equal(&metav1.Time{Time: statusNow}); moved != tc.wantProgress {
				t.Errorf("lastProgressTime = %s, want it moved to now: %t", st.LastProgressTime, tc.wantProgress)
			}
		})
	}
}

// statusCounts is a status with the given replicas, ready and updated members (all ready ones available) and
// lastProgressTime.
func statusCounts(replicas, ready, updated int32, progress *time.Time) vmv1alpha1.WukongSetStatus {
	st := vmv1alpha1.WukongSetStatus{Replicas: replicas, ReadyReplicas: ready, AvailableReplicas: ready, UpdatedReplicas: updated}
	if progress != nil {
		st.LastProgressTime = &metav1.Time{Time: *progress}
	}
	return st
}

func TestSetQuotaExceededCondition(t *testing.T) {
	cases := []struct {
		in         statusInput
		wantStatus metav1.ConditionStatus
		wantReason string
		wantMsg    string
	}{
		{statusInput{QuotaBlocked: 2, QuotaMessage: "2 members wait for quota"}, metav1.ConditionTrue, vmv1alpha1.ReasonQuotaExceeded, "2 members wait for quota"},
		{statusInput{}, metav1.ConditionFalse, vmv1alpha1.ReasonQuotaAvailable, ""},
	}
	for _, tc := range cases {
		var st vmv1alpha1.WukongSetStatus
		setQuotaExceededCondition(&st, statusSet(1), tc.in)
		wantCondition(t, st, vmv1alpha1.SetQuotaExceeded, tc.wantStatus, tc.wantReason, tc.wantMsg)
	}
}

func TestSetHealingCondition(t *testing.T) {
	cases := []struct {
		name       string
		in         statusInput
		wantStatus metav1.ConditionStatus // empty: no Healing condition
		wantReason string
		wantMsg    string
	}{
		{"without autohealing the condition goes", statusInput{Healing: []string{"s-0"}}, "", "", ""},
		{"healing names the members", statusInput{Autohealing: true, Healing: []string{"s-0 restarted", "s-1 re-created"}},
			metav1.ConditionTrue, vmv1alpha1.ReasonHealing, "s-0 restarted; s-1 re-created"},
		{"nothing to heal", statusInput{Autohealing: true}, metav1.ConditionFalse, vmv1alpha1.ReasonNoFailingMembers, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := vmv1alpha1.WukongSetStatus{Conditions: []metav1.Condition{{Type: vmv1alpha1.SetHealing, Status: metav1.ConditionTrue, Reason: "Old"}}}
			setHealingCondition(&st, statusSet(1), tc.in)
			if tc.wantStatus == "" {
				if c := meta.FindStatusCondition(st.Conditions, vmv1alpha1.SetHealing); c != nil {
					t.Fatalf("Healing = %+v, want none", c)
				}
				return
			}
			wantCondition(t, st, vmv1alpha1.SetHealing, tc.wantStatus, tc.wantReason, tc.wantMsg)
		})
	}
}

func TestSetReplicaFailureCondition(t *testing.T) {
	stuck := statusMember("s-0", "new", "", 0)
	stuck.DeletionTimestamp = &metav1.Time{Time: statusNow.Add(-10 * time.Minute)}
	fresh := statusMember("s-1", "new", "", 0)
	fresh.DeletionTimestamp = &metav1.Time{Time: statusNow.Add(-time.Minute)}
	cases := []struct {
		name        string
		in          statusInput
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMsg     string
		wantRecheck time.Duration
	}{
		{"none", statusInput{}, metav1.ConditionFalse, vmv1alpha1.ReasonNoFailure, "", 0},
		{"a deletion on its way: recheck when it would stall", statusInput{Members: []*vmv1alpha1.Wukong{fresh}},
			metav1.ConditionFalse, vmv1alpha1.ReasonNoFailure, "", time.Minute},
		{"a stalled deletion", statusInput{Members: []*vmv1alpha1.Wukong{stuck, fresh}},
			metav1.ConditionTrue, vmv1alpha1.ReasonDeletionStalled, "s-0 (since 10m0s)", time.Minute},
		{"the pass's failure first, redacted", statusInput{Members: []*vmv1alpha1.Wukong{stuck}, FailureReason: vmv1alpha1.ReasonCreateFailed,
			FailureMessage: "pull https://user:hunter2@registry/image"}, metav1.ConditionTrue, vmv1alpha1.ReasonCreateFailed, "pull https://", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Now = statusNow
			var st vmv1alpha1.WukongSetStatus
			recheck := setReplicaFailureCondition(&st, statusSet(1), tc.in)
			wantCondition(t, st, vmv1alpha1.SetReplicaFailure, tc.wantStatus, tc.wantReason, tc.wantMsg)
			if recheck != tc.wantRecheck {
				t.Errorf("recheck = %s, want %s", recheck, tc.wantRecheck)
			}
			if c := meta.FindStatusCondition(st.Conditions, vmv1alpha1.SetReplicaFailure); strings.Contains(c.Message, "hunter2") {
				t.Errorf("message %q quotes a password", c.Message)
			}
		})
	}
}

// TestComputeStatusSetsEveryCondition: every pass sets every condition (Healing only with autohealing), in
// the same order, whatever the last pass left.
func TestComputeStatusSetsEveryCondition(t *testing.T) {
	set := statusSet(2)
	st, _ := computeStatus(set, statusInput{UpdateRevision: "new", Autohealing: true, Now: statusNow})
	var types []string
	for _, c := range st.Conditions {
		types = append(types, c.Type)
	}
	want := []string{vmv1alpha1.SetAvailable, vmv1alpha1.SetPaused, vmv1alpha1.SetProgressing, vmv1alpha1.SetQuotaExceeded,
		vmv1alpha1.SetHealing, vmv1alpha1.SetReplicaFailure}
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Fatalf("conditions %v, want %v", types, want)
	}
}
