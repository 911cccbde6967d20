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
		{"none", statusInput{Now: now}, metav1.ConditionFalse, ReasonNoFailure},
		{"stalled deletion", statusInput{Now: now, Members: []*vmv1alpha1.Wukong{stuck}}, metav1.ConditionTrue, ReasonDeletionStalled},
		{"a failure of the pass comes first", statusInput{Now: now, Members: []*vmv1alpha1.Wukong{stuck},
			FailureReason: ReasonCreateFailed, FailureMessage: "quota"}, metav1.ConditionTrue, ReasonCreateFailed},
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
