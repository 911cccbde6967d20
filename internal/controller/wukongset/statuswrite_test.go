package wukongset

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func TestClassifySetStatusChange(t *testing.T) {
	base := func() vmv1alpha1.WukongSetStatus {
		return vmv1alpha1.WukongSetStatus{
			ObservedGeneration: 1, Replicas: 100, ReadyReplicas: 40, AvailableReplicas: 40, UpdatedReplicas: 100,
			CurrentRevision: "web-1", UpdateRevision: "web-1", LabelSelector: "app=web",
			Conditions: []metav1.Condition{
				{Type: vmv1alpha1.SetAvailable, Status: metav1.ConditionFalse, Reason: "MinimumReplicasUnavailable", Message: "40 of 100"},
				{Type: vmv1alpha1.SetProgressing, Status: metav1.ConditionTrue, Reason: "NewReplicasCreated"},
			},
		}
	}
	cases := []struct {
		name        string
		mutate      func(*vmv1alpha1.WukongSetStatus)
		significant string
		progress    bool
	}{
		{name: "identical", mutate: func(*vmv1alpha1.WukongSetStatus) {}},
		{name: "more members Ready", progress: true, mutate: func(s *vmv1alpha1.WukongSetStatus) { s.ReadyReplicas, s.AvailableReplicas = 41, 41 }},
		{name: "more members created", progress: true, mutate: func(s *vmv1alpha1.WukongSetStatus) { s.Replicas, s.UpdatedReplicas = 101, 101 }},
		{name: "a condition's message", progress: true, mutate: func(s *vmv1alpha1.WukongSetStatus) { s.Conditions[0].Message = "41 of 100" }},
		{name: "progress time", progress: true, mutate: func(s *vmv1alpha1.WukongSetStatus) { s.LastProgressTime = &metav1.Time{} }},
		{name: "a member went down", significant: "fewer ready", mutate: func(s *vmv1alpha1.WukongSetStatus) { s.ReadyReplicas = 39 }},
		{name: "fewer available", significant: "fewer ready", mutate: func(s *vmv1alpha1.WukongSetStatus) { s.AvailableReplicas = 39 }},
		{name: "every member Ready", significant: "settled", mutate: func(s *vmv1alpha1.WukongSetStatus) { s.ReadyReplicas, s.AvailableReplicas = 100, 100 }},
		{name: "observed generation", significant: "observedGeneration", mutate: func(s *vmv1alpha1.WukongSetStatus) { s.ObservedGeneration = 2 }},
		{name: "update revision", significant: "revision", mutate: func(s *vmv1alpha1.WukongSetStatus) { s.UpdateRevision = "web-2" }},
		{name: "current revision", significant: "revision", mutate: func(s *vmv1alpha1.WukongSetStatus) { s.CurrentRevision = "web-0" }},
		{name: "collision count", significant: "selector", mutate: func(s *vmv1alpha1.WukongSetStatus) { s.CollisionCount = ptr.To[int32](1) }},
		{name: "condition status", significant: "condition " + vmv1alpha1.SetAvailable, mutate: func(s *vmv1alpha1.WukongSetStatus) {
			s.Conditions[0].Status = metav1.ConditionTrue
		}},
		{name: "condition added", significant: "condition set", mutate: func(s *vmv1alpha1.WukongSetStatus) {
			s.Conditions = append(s.Conditions, metav1.Condition{Type: vmv1alpha1.SetReplicaFailure, Status: metav1.ConditionTrue, Reason: ReasonReconcileError})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := base()
			now := *old.DeepCopy()
			c.mutate(&now)
			got := classifyStatusChange(&old, &now)
			if got.Significant != c.significant || got.Progress != c.progress {
				t.Errorf("classifyStatusChange = %+v, want significant %q, progress %v", got, c.significant, c.progress)
			}
		})
	}
}
