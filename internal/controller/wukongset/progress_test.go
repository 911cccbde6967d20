package wukongset

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// TestProgressStatus: between batches the counts and Progressing move with the members created so far, while
// observedGeneration and the conditions only the end of the pass decides stay as written.
func TestProgressStatus(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	set := &vmv1alpha1.WukongSet{Spec: vmv1alpha1.WukongSetSpec{Replicas: ptr.To(int32(100))}}
	set.Generation = 3
	created := func(n int) []*vmv1alpha1.Wukong {
		var out []*vmv1alpha1.Wukong
		for i := range n {
			m := &vmv1alpha1.Wukong{}
			m.Name, m.Labels = fmt.Sprintf("s-%d", i), map[string]string{vmv1alpha1.LabelRevision: "r1"}
			out = append(out, m)
		}
		return out
	}
	quota := metav1.Condition{Type: vmv1alpha1.SetQuotaExceeded, Status: metav1.ConditionTrue, Reason: vmv1alpha1.ReasonQuotaExceeded, Message: "short"}
	for _, tc := range []struct {
		name          string
		written       vmv1alpha1.WukongSetStatus
		members       int
		wantReplicas  int32
		wantQuota     *metav1.Condition
		wantFailure   bool
		wantObservedG int64
	}{
		{"first batches of a new set", vmv1alpha1.WukongSetStatus{ObservedGeneration: 2}, 7, 7, nil, false, 2},
		{"a failure written by an earlier pass stays", vmv1alpha1.WukongSetStatus{ObservedGeneration: 3, Conditions: []metav1.Condition{quota,
			{Type: vmv1alpha1.SetReplicaFailure, Status: metav1.ConditionTrue, Reason: vmv1alpha1.ReasonCreateFailed, Message: "refused"}}},
			63, 63, &quota, true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := progressStatus(set, tc.written, statusInput{Members: created(tc.members), UpdateRevision: "r1",
				Pending: 100 - tc.members, Now: now})
			if st.Replicas != tc.wantReplicas || st.UpdatedReplicas != tc.wantReplicas || st.ReadyReplicas != 0 {
				t.Errorf("replicas %d updated %d ready %d, want %d %d 0", st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, tc.wantReplicas, tc.wantReplicas)
			}
			if st.ObservedGeneration != tc.wantObservedG {
				t.Errorf("observedGeneration %d, want %d (moves only when the pass succeeds)", st.ObservedGeneration, tc.wantObservedG)
			}
			p := meta.FindStatusCondition(st.Conditions, vmv1alpha1.SetProgressing)
			if want := fmt.Sprintf("%d of 100 members exist", tc.members); p == nil || p.Reason != vmv1alpha1.ReasonScaling || p.Message != want {
				t.Errorf("Progressing %+v, want Scaling %q", p, want)
			}
			q := meta.FindStatusCondition(st.Conditions, vmv1alpha1.SetQuotaExceeded)
			if (q == nil) != (tc.wantQuota == nil) || (q != nil && q.Message != tc.wantQuota.Message) {
				t.Errorf("QuotaExceeded %+v, want %+v", q, tc.wantQuota)
			}
			if f := meta.IsStatusConditionTrue(st.Conditions, vmv1alpha1.SetReplicaFailure); f != tc.wantFailure {
				t.Errorf("ReplicaFailure true: %v, want %v", f, tc.wantFailure)
			}
		})
	}
}
