package sim

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

func testVMI() *kubevirtv1.VirtualMachineInstance {
	return &kubevirtv1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "vm", UID: "u1"}}
}

func TestPlanVMI(t *testing.T) {
	now := metav1.Now()
	ifaces := []kubevirtv1.VirtualMachineInstanceNetworkInterface{{Name: "default", IP: "10.244.1.2"}}

	t.Run("no boot time runs at once", func(t *testing.T) {
		st, wait := planVMI(testVMI(), vmiInputs{node: "n1", interfaces: ifaces, now: now})
		if st.Phase != kubevirtv1.Running || st.NodeName != "n1" || len(st.Interfaces) != 1 || wait != 0 {
			t.Fatalf("status %s on %q, wait %v", st.Phase, st.NodeName, wait)
		}
		if len(st.PhaseTransitionTimestamps) != 4 {
			t.Errorf("phase transitions = %+v", st.PhaseTransitionTimestamps)
		}
		if c := findVMICondition(st, kubevirtv1.VirtualMachineInstanceReady); c.Status != corev1.ConditionTrue {
			t.Errorf("Ready = %+v", c)
		}
		if c := findVMICondition(st, kubevirtv1.VirtualMachineInstanceAgentConnected); c.Status != corev1.ConditionTrue {
			t.Errorf("AgentConnected = %+v", c)
		}
		if st.GuestOSInfo != SimulatedGuestOS {
			t.Errorf("guestOSInfo = %+v", st.GuestOSInfo)
		}
	})

	t.Run("timed phases", func(t *testing.T) {
		const step = 100 * time.Millisecond
		vmi := testVMI()
		var phases []kubevirtv1.VirtualMachineInstancePhase
		for range 10 {
			st, wait := planVMI(vmi, vmiInputs{node: "n1", step: step, inPhase: step, now: now})
			vmi.Status = st
			if len(phases) == 0 || phases[len(phases)-1] != st.Phase {
				phases = append(phases, st.Phase)
			}
			if st.Phase == kubevirtv1.Running {
				break
			}
			if wait != step {
				t.Fatalf("wait %v in %s, want %v", wait, st.Phase, step)
			}
		}
		want := []kubevirtv1.VirtualMachineInstancePhase{kubevirtv1.Pending, kubevirtv1.Scheduling, kubevirtv1.Scheduled, kubevirtv1.Running}
		if len(phases) != len(want) {
			t.Fatalf("phases %v, want %v", phases, want)
		}
		for i := range want {
			if phases[i] != want[i] {
				t.Fatalf("phases %v, want %v", phases, want)
			}
		}
	})

	t.Run("unschedulable holds in Scheduling", func(t *testing.T) {
		vmi := testVMI()
		vmi.Status.Phase = kubevirtv1.Scheduling
		st, wait := planVMI(vmi, vmiInputs{unschedulable: "no fit", now: now})
		c := findVMICondition(st, vmiConditionPodScheduled)
		if st.Phase != kubevirtv1.Scheduling || wait != 0 || c.Status != corev1.ConditionFalse || c.Reason != "Unschedulable" || c.Message != "no fit" {
			t.Errorf("status %s, PodScheduled %+v, wait %v", st.Phase, c, wait)
		}
	})

	t.Run("a missing Secret holds the launcher", func(t *testing.T) {
		vmi := testVMI()
		st, _ := planVMI(vmi, vmiInputs{missingSecret: "vm-cloudinit", node: "n1", now: now})
		if st.Phase != kubevirtv1.Scheduling || st.NodeName != "n1" {
			t.Errorf("status %s on %q", st.Phase, st.NodeName)
		}
	})

	t.Run("a missing attachment holds the instance in Pending", func(t *testing.T) {
		const missing = `failed to locate network attachment definition for ns/vm-lan: networkattachmentdefinitions.k8s.cni.cncf.io "vm-lan" not found`
		vmi := testVMI()
		st, wait := planVMI(vmi, vmiInputs{missingAttachment: missing, node: "n1", interfaces: ifaces, now: now})
		c := findVMICondition(st, kubevirtv1.VirtualMachineInstanceSynchronized)
		if st.Phase != kubevirtv1.Pending || st.NodeName != "" || wait != 0 {
			t.Fatalf("status %s on %q, wait %v; want Pending, unplaced, waiting for the attachment", st.Phase, st.NodeName, wait)
		}
		if c.Status != corev1.ConditionFalse || c.Reason != "FailedCreate" || c.Message != "failed to render launch manifest: "+missing {
			t.Errorf("Synchronized = %+v", c)
		}
		if r := findVMICondition(st, kubevirtv1.VirtualMachineInstanceReady); r.Status != corev1.ConditionFalse || r.Reason != vmiReasonGuestNotRunning {
			t.Errorf("Ready = %+v", r)
		}

		// The attachment appears: the pod renders, Synchronized goes, and the boot runs on.
		vmi.Status = st
		st, _ = planVMI(vmi, vmiInputs{node: "n1", interfaces: ifaces, now: now})
		if st.Phase != kubevirtv1.Running || len(st.Interfaces) != 1 {
			t.Errorf("status %s with %d interfaces once the attachment exists, want Running", st.Phase, len(st.Interfaces))
		}
		if c := findVMICondition(st, kubevirtv1.VirtualMachineInstanceSynchronized); c.Type != "" {
			t.Errorf("Synchronized = %+v once the pod rendered, want none", c)
		}
	})

	t.Run("crash fails", func(t *testing.T) {
		vmi := testVMI()
		vmi.Status.Phase = kubevirtv1.Running
		st, _ := planVMI(vmi, vmiInputs{crash: "panic", now: now})
		if c := findVMICondition(st, kubevirtv1.VirtualMachineInstanceReady); st.Phase != kubevirtv1.Failed || c.Message != "panic" {
			t.Errorf("status %s, Ready %+v", st.Phase, c)
		}
	})
}

func findVMICondition(st kubevirtv1.VirtualMachineInstanceStatus, t kubevirtv1.VirtualMachineInstanceConditionType) kubevirtv1.VirtualMachineInstanceCondition {
	for _, c := range st.Conditions {
		if c.Type == t {
			return c
		}
	}
	return kubevirtv1.VirtualMachineInstanceCondition{}
}
