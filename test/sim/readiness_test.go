package sim

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// TestPlanVMIReadinessProbe: an instance with a readiness probe runs at once but is Ready only once
// initialDelaySeconds (and successThreshold-1 periods) have passed since it entered Running, never while the
// probe fails; one without a probe is Ready as it runs.
func TestPlanVMIReadinessProbe(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tcp := &kubevirtv1.Probe{Handler: kubevirtv1.Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(22)}},
		InitialDelaySeconds: 10}
	slow := tcp.DeepCopy()
	slow.SuccessThreshold, slow.PeriodSeconds = 3, 5
	for _, tc := range []struct {
		name      string
		probe     *kubevirtv1.Probe
		after     time.Duration // since entering Running
		probeFail string
		ready     bool
		wait      time.Duration
	}{
		{"no probe: Ready as it runs", nil, 0, "", true, 0},
		{"no probe ignores the probe fault", nil, 0, "refused", true, 0},
		{"within the initial delay", tcp, 4 * time.Second, "", false, 7 * time.Second},
		{"after the initial delay", tcp, 11 * time.Second, "", true, 0},
		{"successThreshold waits for more periods", slow, 11 * time.Second, "", false, 10 * time.Second},
		{"failing probe stays un-Ready", tcp, time.Hour, "connection refused", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vmi := testVMI()
			vmi.Spec.ReadinessProbe = tc.probe
			// Booted without a step: Running at start.
			st, _ := planVMI(vmi, vmiInputs{node: "n1", now: metav1.NewTime(start)})
			vmi.Status = st
			st, wait := planVMI(vmi, vmiInputs{node: "n1", probeFail: tc.probeFail, now: metav1.NewTime(start.Add(tc.after))})
			if st.Phase != kubevirtv1.Running {
				t.Fatalf("phase %s, want Running", st.Phase)
			}
			c := findVMICondition(st, kubevirtv1.VirtualMachineInstanceReady)
			if (c.Status == corev1.ConditionTrue) != tc.ready || wait != tc.wait {
				t.Errorf("Ready %s (%s), wait %v; want ready %v, wait %v", c.Status, c.Reason, wait, tc.ready, tc.wait)
			}
			if !tc.ready && (c.Reason != vmiReasonContainersNotReady || c.Message != vmiMessageContainersNotReady) {
				t.Errorf("un-Ready condition %+v, want KubeVirt's pod-derived reason and message", c)
			}
		})
	}
}

// TestPlanVMILiveMigratable: LiveMigratable follows the volumes (a DataVolume that is not ReadWriteMany), and
// the injected fault wins.
func TestPlanVMILiveMigratable(t *testing.T) {
	const notShared = "cannot migrate VMI: PVC vm-root is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)"
	for _, tc := range []struct {
		name, notMigratable, notShared string
		want                           corev1.ConditionStatus
		msg                            string
	}{
		{"shared volumes", "", "", corev1.ConditionTrue, ""},
		{"a ReadWriteOnce volume", "", notShared, corev1.ConditionFalse, notShared},
		{"the fault wins", "injected", notShared, corev1.ConditionFalse, "injected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := planVMI(testVMI(), vmiInputs{node: "n1", notMigratable: tc.notMigratable, notShared: tc.notShared, now: metav1.Now()})
			c := findVMICondition(st, kubevirtv1.VirtualMachineInstanceIsMigratable)
			if c.Status != tc.want || c.Message != tc.msg {
				t.Errorf("LiveMigratable %+v, want %s %q", c, tc.want, tc.msg)
			}
			if tc.want == corev1.ConditionFalse && c.Reason != kubevirtv1.VirtualMachineInstanceReasonDisksNotMigratable {
				t.Errorf("reason %q, want %q", c.Reason, kubevirtv1.VirtualMachineInstanceReasonDisksNotMigratable)
			}
		})
	}
}
