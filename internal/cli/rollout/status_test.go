package rollout

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// set returns a WukongSet "web" at generation 2 with the given replicas, partition (negative: none) and
// status counts.
func set(replicas, partition int32, st vmv1alpha1.WukongSetStatus) *vmv1alpha1.WukongSet {
	s := &vmv1alpha1.WukongSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: 2},
		Spec:       vmv1alpha1.WukongSetSpec{Replicas: ptr.To(replicas)},
		Status:     st,
	}
	if partition >= 0 {
		s.Spec.UpdateStrategy = &vmv1alpha1.WukongSetUpdateStrategy{RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{Partition: ptr.To(partition)}}
	}
	return s
}

func counts(replicas, updated, available int32) vmv1alpha1.WukongSetStatus {
	return vmv1alpha1.WukongSetStatus{ObservedGeneration: 2, Replicas: replicas, UpdatedReplicas: updated, AvailableReplicas: available, ReadyReplicas: available}
}

func TestStatus(t *testing.T) {
	const waiting = `Waiting for WukongSet "web" rollout to finish: `
	deadline := counts(8, 3, 7)
	deadline.Conditions = []metav1.Condition{{Type: vmv1alpha1.SetProgressing, Status: metav1.ConditionFalse,
		Reason: vmv1alpha1.ReasonProgressDeadline, Message: "no progress for 10m0s: 3 of 8 members updated, 7 ready."}}
	oldDeadline := counts(8, 3, 7)
	oldDeadline.ObservedGeneration = 1
	oldDeadline.Conditions = deadline.Conditions
	failing := counts(8, 3, 8)
	failing.Conditions = []metav1.Condition{{Type: vmv1alpha1.SetReplicaFailure, Status: metav1.ConditionTrue,
		Reason: vmv1alpha1.ReasonCreateFailed, Message: "create Wukong web-3: forbidden"}}
	paused := set(8, -1, counts(8, 3, 8))
	paused.Spec.Paused = true
	pausedDone := set(8, -1, counts(8, 8, 8))
	pausedDone.Spec.Paused = true
	noReplicas := set(0, -1, counts(0, 0, 0))
	noReplicas.Spec.Replicas = nil

	tests := []struct {
		name    string
		set     *vmv1alpha1.WukongSet
		want    string
		done    bool
		wantErr string
	}{
		{name: "spec not observed", set: set(8, -1, vmv1alpha1.WukongSetStatus{ObservedGeneration: 1}),
			want: `Waiting for WukongSet "web" spec update to be observed...`},
		{name: "new status, never written", set: set(8, -1, vmv1alpha1.WukongSetStatus{}),
			want: `Waiting for WukongSet "web" spec update to be observed...`},
		{name: "members being updated", set: set(8, -1, counts(8, 3, 8)),
			want: waiting + "3 out of 8 new members have been updated..."},
		{name: "surge member left", set: set(8, -1, counts(9, 8, 8)),
			want: waiting + "1 old members are pending termination/update..."},
		{name: "scale-down after the update", set: set(5, -1, counts(8, 8, 8)),
			want: waiting + "3 old members are pending termination/update..."},
		{name: "updated, not yet available", set: set(8, -1, counts(8, 8, 5)),
			want: waiting + "5 of 8 updated members are available..."},
		{name: "done", set: set(8, -1, counts(8, 8, 8)),
			want: `WukongSet "web" successfully rolled out`, done: true},
		{name: "done, more available than needed is fine", set: set(1, -1, counts(1, 1, 1)),
			want: `WukongSet "web" successfully rolled out`, done: true},
		{name: "replicas default to 1", set: noReplicas,
			want: waiting + "0 out of 1 new members have been updated..."},
		{name: "scaled to zero", set: set(0, -1, counts(0, 0, 0)),
			want: `WukongSet "web" successfully rolled out`, done: true},
		{name: "progress deadline", set: set(8, -1, deadline),
			wantErr: `WukongSet "web" exceeded its progress deadline: no progress for 10m0s: 3 of 8 members updated, 7 ready.`},
		{name: "progress deadline of an older generation waits for the new one", set: set(8, -1, oldDeadline),
			want: `Waiting for WukongSet "web" spec update to be observed...`},
		{name: "replica failure said while waiting", set: set(8, -1, failing),
			want: waiting + "3 out of 8 new members have been updated (ReplicaFailure CreateFailed: create Wukong web-3: forbidden)..."},
		{name: "paused", set: paused,
			want: `WukongSet "web" rollout is paused (spec.paused): 3 out of 8 new members have been updated; waiting for it to be resumed...`},
		{name: "paused after it finished", set: pausedDone,
			want: `WukongSet "web" successfully rolled out`, done: true},
		{name: "partition: members from the partition being updated", set: set(5, 2, counts(5, 2, 5)),
			want: waiting + "2 out of 3 new members have been updated (partition 2: members from index 2)..."},
		{name: "partition: old members below it are not pending", set: set(5, 2, counts(5, 3, 5)),
			want: `WukongSet "web" successfully rolled out to the partition: 3 new members have been updated, members below index 2 keep their revision`, done: true},
		{name: "partition: members below it already at the update revision", set: set(5, 2, counts(5, 5, 5)),
			want: `WukongSet "web" successfully rolled out to the partition: 5 new members have been updated, members below index 2 keep their revision`, done: true},
		{name: "partition: a surge member left", set: set(5, 2, counts(6, 3, 5)),
			want: waiting + "1 old members are pending termination/update..."},
		{name: "partition: every member must be available", set: set(5, 2, counts(5, 3, 4)),
			want: waiting + "4 of 5 members are available..."},
		{name: "partition beyond replicas updates nothing", set: set(3, 5, counts(3, 0, 3)),
			want: `WukongSet "web" successfully rolled out to the partition: 0 new members have been updated, members below index 3 keep their revision`, done: true},
		{name: "partition 0 is no partition", set: set(3, 0, counts(3, 3, 3)),
			want: `WukongSet "web" successfully rolled out`, done: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, done, err := Status(tc.set)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got %q, %v, %v; want error %q", msg, done, err, tc.wantErr)
				}
				return
			}
			if err != nil || msg != tc.want || done != tc.done {
				t.Fatalf("got %q, done %v, err %v\nwant %q, done %v", msg, done, err, tc.want, tc.done)
			}
			if strings.HasSuffix(msg, "\n") {
				t.Errorf("message ends in a newline; the caller adds it")
			}
		})
	}
}
