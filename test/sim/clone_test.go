package sim

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
)

// TestPlanClone walks a clone: CloneScheduled while its source is not ready (polled), then CloneInProgress
// with progress, then Succeeded with CDI's "Clone Complete"; once started it does not wait for the source
// again.
func TestPlanClone(t *testing.T) {
	now := metav1.Now()
	d := 400 * time.Millisecond
	dv := &cdiv1.DataVolume{ObjectMeta: metav1.ObjectMeta{Name: "web-0-system", UID: "u"},
		Spec: cdiv1.DataVolumeSpec{Source: &cdiv1.DataVolumeSource{PVC: &cdiv1.DataVolumeSourcePVC{Namespace: "ns", Name: "web-golden-x"}}}}
	if !isClone(dv) {
		t.Fatal("a source.pvc DataVolume is not a clone")
	}

	st, wait := planClone(dv, "", false, time.Hour, d, now)
	if st.Phase != cdiv1.CloneScheduled || wait != cloneSourcePoll {
		t.Fatalf("source not ready: phase %s, wait %s; want CloneScheduled, %s", st.Phase, wait, cloneSourcePoll)
	}
	dv.Status = st
	if again, _ := planClone(dv, "", false, time.Hour, d, now); again.Phase != cdiv1.CloneScheduled {
		t.Fatalf("still not ready: %s", again.Phase)
	}

	var phases []string
	for i := 0; i < 10 && dv.Status.Phase != cdiv1.Succeeded; i++ {
		dv.Status, _ = planClone(dv, "", true, d, d, now)
		phases = append(phases, string(dv.Status.Phase)+" "+string(dv.Status.Progress))
		if dv.Status.Phase == cdiv1.CloneInProgress {
			// Started: a source that stops being ready no longer matters.
			if st, _ := planClone(dv, "", false, 0, d, now); st.Phase != cdiv1.CloneInProgress {
				t.Fatalf("a started clone went back to %s", st.Phase)
			}
		}
	}
	want := []string{"CloneInProgress 0.00%", "CloneInProgress 25.00%", "CloneInProgress 50.00%", "CloneInProgress 75.00%", "Succeeded 100.0%"}
	if len(phases) != len(want) {
		t.Fatalf("steps %v, want %v", phases, want)
	}
	for i := range want {
		if phases[i] != want[i] {
			t.Fatalf("steps %v, want %v", phases, want)
		}
	}
	for _, c := range dv.Status.Conditions {
		if c.Type == cdiv1.DataVolumeRunning && c.Message != cloneMessageComplete {
			t.Errorf("Running message %q, want %q", c.Message, cloneMessageComplete)
		}
	}

	instant := &cdiv1.DataVolume{Spec: dv.Spec}
	if st, _ := planClone(instant, "", true, 0, 0, now); st.Phase != cdiv1.Succeeded {
		t.Errorf("zero clone duration: %s, want Succeeded", st.Phase)
	}
}
