package wukong

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubevirtv1 "kubevirt.io/api/core/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// TestNotReadyWhileRunning: a running instance that is not Ready says why: a live migration in progress, or
// its readiness probe (naming the handler, KubeVirt's Ready message, and the guest agent when the probe needs
// it and it is not connected).
func TestNotReadyWhileRunning(t *testing.T) {
	// KubeVirt copies the launcher pod's Ready condition, which kubelet sets from the probe.
	podNotReady := kubevirtv1.VirtualMachineInstanceCondition{Type: kubevirtv1.VirtualMachineInstanceReady,
		Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "containers with unready status: [compute]"}
	agent := kubevirtv1.VirtualMachineInstanceCondition{Type: kubevirtv1.VirtualMachineInstanceAgentConnected, Status: corev1.ConditionTrue}
	probed := func(p kubevirtv1.Probe, conds ...kubevirtv1.VirtualMachineInstanceCondition) *kubevirtv1.VirtualMachineInstance {
		i := vmi(kubevirtv1.Running, append([]kubevirtv1.VirtualMachineInstanceCondition{podNotReady}, conds...)...)
		i.Spec.ReadinessProbe = &p
		return i
	}
	tcp := kubevirtv1.Probe{Handler: kubevirtv1.Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(22)}}, InitialDelaySeconds: 10}
	migrating := probed(tcp)
	migrating.Status.MigrationState = &kubevirtv1.VirtualMachineInstanceMigrationState{SourceNode: "node-1", TargetNode: "node-2"}
	migrated := probed(tcp)
	migrated.Status.MigrationState = &kubevirtv1.VirtualMachineInstanceMigrationState{SourceNode: "node-1", TargetNode: "node-2", Completed: true}

	for _, tc := range []struct {
		name        string
		vmi         *kubevirtv1.VirtualMachineInstance
		reason, msg string
	}{
		{"no probe, no migration: nothing to add", vmi(kubevirtv1.Running, condNotReady), "", ""},
		{"tcpSocket", probed(tcp), vmv1alpha1.ReasonReadinessProbeFailing,
			"the readiness probe (tcpSocket port 22) has not succeeded (first run 10s after the VM starts): containers with unready status: [compute]"},
		{"httpGet", probed(kubevirtv1.Probe{Handler: kubevirtv1.Handler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(8443), Path: "/healthz", Scheme: corev1.URISchemeHTTPS}}}),
			vmv1alpha1.ReasonReadinessProbeFailing,
			"the readiness probe (httpGet https port 8443 path /healthz) has not succeeded: containers with unready status: [compute]"},
		{"exec without the guest agent", probed(kubevirtv1.Probe{Handler: kubevirtv1.Handler{Exec: &corev1.ExecAction{Command: []string{"check", "--token=abc"}}}}),
			vmv1alpha1.ReasonReadinessProbeFailing,
			"the readiness probe (exec) has not succeeded: containers with unready status: [compute]; it runs through the QEMU guest agent, which is not connected (is qemu-guest-agent running in the guest?)"},
		{"guest agent ping with the agent", probed(kubevirtv1.Probe{Handler: kubevirtv1.Handler{GuestAgentPing: &kubevirtv1.GuestAgentPing{}}}, agent),
			vmv1alpha1.ReasonReadinessProbeFailing,
			"the readiness probe (guestAgentPing) has not succeeded: containers with unready status: [compute]"},
		{"migration in progress outranks the probe", migrating, vmv1alpha1.ReasonMigrating,
			"the VM instance is being live-migrated from node node-1 to node node-2"},
		{"a finished migration is the probe's business again", migrated, vmv1alpha1.ReasonReadinessProbeFailing,
			"the readiness probe (tcpSocket port 22) has not succeeded (first run 10s after the VM starts): containers with unready status: [compute]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason, msg := notReadyWhileRunning(tc.vmi)
			if reason != tc.reason || msg != tc.msg {
				t.Errorf("notReadyWhileRunning = %q, %q\nwant %q, %q", reason, msg, tc.reason, tc.msg)
			}
			// phaseOf reports it as the Ready reason of a running VM.
			obs := observed{vm: vm(kubevirtv1.VirtualMachineStatusRunning), vmi: tc.vmi}
			want := tc.reason
			if want == "" {
				want = vmv1alpha1.ReasonStarting
			}
			if phase, ready, reason, _ := phaseOf(wukong(""), &obs, true, vmv1alpha1.ReasonNoDisks, ""); phase != vmv1alpha1.WukongStarting || ready || reason != want {
				t.Errorf("phaseOf = %s, %v, %s; want Starting, false, %s", phase, ready, reason, want)
			}
		})
	}
}
