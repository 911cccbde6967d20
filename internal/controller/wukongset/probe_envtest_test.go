package wukongset_test

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/sim"
)

// TestRolloutHeldByReadinessProbe: a template that adds a readiness probe the guests fail (the simulator's
// probe-fail fault) restarts members into running but un-Ready VMs, so the rolling update stops at its
// budget: never more than maxUnavailable members off the old revision, never fewer than replicas -
// maxUnavailable Ready, and the updated member says its probe is failing. When the probe passes the rollout
// completes on its own.
func TestRolloutHeldByReadinessProbe(t *testing.T) {
	const replicas, maxUnavailable, maxSurge = 4, 1, 0
	set := basicSet(t, "rollout-probe", replicas)
	set.Spec.UpdateStrategy = rolling(maxUnavailable, maxSurge)
	set, revA := createRolledOut(t, set)

	s := startSampler(t, set, "HeldByReadinessProbe", replicas, maxUnavailable, maxSurge)
	s.setCheck(func(o observation) error {
		if moved := o.Total - o.ByRevision[revA]; moved > maxUnavailable {
			return fmt.Errorf("%d members left revision %s while the new template's probe fails", moved, revA)
		}
		return nil
	})
	changed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) {
		ws.Spec.Template.Spec.ReadinessProbe = &vmv1alpha1.Probe{
			TCPSocket: &vmv1alpha1.TCPSocketProbe{Port: 22}, PeriodSeconds: 1,
		}
		if ws.Spec.Template.Metadata.Annotations == nil {
			ws.Spec.Template.Metadata.Annotations = map[string]vmv1alpha1.TemplateString{}
		}
		ws.Spec.Template.Metadata.Annotations[sim.AnnotationProbeFail] = "connection refused"
	})
	s.markChange(changed.Generation)

	// An updated member runs with the probe and says why it is not Ready.
	var held *vmv1alpha1.Wukong
	eventually(t, rolloutTimeout, func() error {
		for _, m := range members(t.Context(), t, set) {
			c := meta.FindStatusCondition(m.Status.Conditions, vmv1alpha1.WukongReady)
			if m.Spec.ReadinessProbe != nil && c != nil && c.Status == metav1.ConditionFalse &&
				c.Reason == vmv1alpha1.ReasonReadinessProbeFailing && c.ObservedGeneration == m.Generation {
				held = &m
				return nil
			}
		}
		return fmt.Errorf("no updated member reports ReadinessProbeFailing yet")
	})
	t.Logf("held: %s: %s", held.Name, meta.FindStatusCondition(held.Status.Conditions, vmv1alpha1.WukongReady).Message)

	// The rollout stays at its budget while the probe fails.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		got := getSet(t, set)
		if got.Status.ReadyReplicas < replicas-maxUnavailable || got.Status.UpdatedReplicas > maxUnavailable {
			t.Fatalf("rollout past its budget: %d ready, %d updated; want at least %d ready, at most %d updated",
				got.Status.ReadyReplicas, got.Status.UpdatedReplicas, replicas-maxUnavailable, maxUnavailable)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if got := getSet(t, set); got.Status.UpdatedReplicas != maxUnavailable || got.Status.ReadyReplicas != replicas-maxUnavailable {
		t.Errorf("held rollout: %d updated, %d ready; want %d and %d",
			got.Status.UpdatedReplicas, got.Status.ReadyReplicas, maxUnavailable, replicas-maxUnavailable)
	}

	s.setCheck(nil)
	fixed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) {
		delete(ws.Spec.Template.Metadata.Annotations, sim.AnnotationProbeFail)
	})
	s.markChange(fixed.Generation)
	done := waitRolledOut(t, set)
	s.report()
	if done.Status.ReadyReplicas != replicas {
		t.Errorf("after the probe passes: %d ready, want %d", done.Status.ReadyReplicas, replicas)
	}
	for _, m := range members(t.Context(), t, set) {
		if m.Spec.ReadinessProbe == nil {
			t.Errorf("member %s has no readiness probe after the rollout", m.Name)
		}
	}
}
