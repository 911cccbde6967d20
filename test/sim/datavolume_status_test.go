package sim

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
)

// walkDataVolume feeds planDataVolume its own output, each time after a full step, and returns the
// phase/progress pairs it went through.
func walkDataVolume(t *testing.T, dv *cdiv1.DataVolume, d time.Duration) []string {
	t.Helper()
	var seen []string
	now := metav1.Now()
	for range 20 {
		_, step := dvStages(dv, d)
		st, _ := planDataVolume(dv, "", step, d, now)
		seen = append(seen, string(st.Phase)+" "+string(st.Progress))
		dv.Status = st
		if st.Phase == cdiv1.Succeeded {
			return seen
		}
	}
	t.Fatalf("no Succeeded after 20 steps: %q", seen)
	return nil
}

func TestPlanDataVolume(t *testing.T) {
	const d = time.Second
	now := metav1.Now()
	for _, c := range []struct {
		name   string
		source string
		d      time.Duration
		want   []string
	}{
		{"import", "registry", d, []string{"Pending N/A", "ImportInProgress 0.00%", "ImportInProgress 25.00%",
			"ImportInProgress 50.00%", "ImportInProgress 75.00%", "Succeeded 100.0%"}},
		{"blank", "blank", d, []string{"Pending N/A", "Succeeded 100.0%"}},
		{"instant", "http", 0, []string{"Succeeded 100.0%"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := walkDataVolume(t, newDataVolume("ns", "dv", c.source), c.d)
			if !equality.Semantic.DeepEqual(got, c.want) {
				t.Errorf("steps = %q, want %q", got, c.want)
			}
		})
	}

	t.Run("an early reconcile waits out the step", func(t *testing.T) {
		dv := newDataVolume("ns", "dv", "registry")
		dv.Status, _ = planDataVolume(dv, "", 0, d, now)
		st, wait := planDataVolume(dv, "", 50*time.Millisecond, d, now)
		if !equality.Semantic.DeepEqual(st, dv.Status) || wait != d/5-50*time.Millisecond {
			t.Errorf("status changed or wait %v", wait)
		}
	})

	t.Run("error then recovery", func(t *testing.T) {
		dv := newDataVolume("ns", "dv", "registry")
		dv.Status, _ = planDataVolume(dv, "", 0, d, now)
		dv.Status, _ = planDataVolume(dv, "boom", 0, d, now)
		if c := findDVCondition(dv.Status, cdiv1.DataVolumeRunning); dv.Status.Phase != cdiv1.Failed || c.Reason != "Error" || c.Message != "boom" {
			t.Fatalf("failed status = %+v", dv.Status)
		}
		again, _ := planDataVolume(dv, "boom", time.Hour, d, now)
		if !equality.Semantic.DeepEqual(again, dv.Status) {
			t.Error("an unchanged failure is rewritten")
		}
		dv.Status, _ = planDataVolume(dv, "", 0, d, now)
		if dv.Status.Phase != cdiv1.ImportInProgress || dv.Status.Progress != "0.00%" || dv.Status.RestartCount != 1 {
			t.Errorf("recovered status = %s %s restarts %d", dv.Status.Phase, dv.Status.Progress, dv.Status.RestartCount)
		}
	})

	t.Run("succeeded is terminal", func(t *testing.T) {
		dv := newDataVolume("ns", "dv", "registry")
		dv.Status, _ = planDataVolume(dv, "", 0, 0, now)
		st, wait := planDataVolume(dv, "late error", time.Hour, d, metav1.NewTime(now.Add(time.Hour)))
		if !equality.Semantic.DeepEqual(st, dv.Status) || wait != 0 {
			t.Errorf("succeeded DataVolume changed: %+v", st)
		}
	})
}

func findDVCondition(st cdiv1.DataVolumeStatus, t cdiv1.DataVolumeConditionType) cdiv1.DataVolumeCondition {
	for _, c := range st.Conditions {
		if c.Type == t {
			return c
		}
	}
	return cdiv1.DataVolumeCondition{}
}
