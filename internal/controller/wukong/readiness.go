package wukong

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// notReadyWhileRunning says why a running VM instance is not Ready, from what KubeVirt reports on it: a live
// migration in progress (status.migrationState, which virt-controller and virt-handler keep while a
// VirtualMachineInstanceMigration runs), or its readiness probe. KubeVirt copies the launcher pod's Ready
// condition, which kubelet sets from the probe, to the instance's Ready condition (v1.7
// pkg/virt-controller/watch/vmi/lifecycle.go syncReadyConditionFromPod). reason is "" when neither applies.
func notReadyWhileRunning(vmi *kubevirtv1.VirtualMachineInstance) (reason, msg string) {
	if m := vmi.Status.MigrationState; m != nil && !m.Completed && !m.Failed {
		msg = "the VM instance is being live-migrated"
		if m.SourceNode != "" && m.TargetNode != "" {
			msg += fmt.Sprintf(" from node %s to node %s", m.SourceNode, m.TargetNode)
		}
		return vmv1alpha1.ReasonMigrating, msg
	}
	p := vmi.Spec.ReadinessProbe
	if p == nil {
		return "", ""
	}
	msg = "the readiness probe (" + describeProbe(p) + ") has not succeeded"
	if p.InitialDelaySeconds > 0 {
		msg += fmt.Sprintf(" (first run %ds after the VM starts)", p.InitialDelaySeconds)
	}
	if c := vmiCondition(vmi, kubevirtv1.VirtualMachineInstanceReady); c != nil && c.Message != "" {
		msg += ": " + c.Message
	}
	if (p.Exec != nil || p.GuestAgentPing != nil) && !agentConnected(vmi) {
		msg += "; it runs through the QEMU guest agent, which is not connected (is qemu-guest-agent running in the guest?)"
	}
	return vmv1alpha1.ReasonReadinessProbeFailing, msg
}

// describeProbe names a probe's handler for a message; an exec probe's command is not repeated, as it may
// carry a token.
func describeProbe(p *kubevirtv1.Probe) string {
	switch {
	case p.TCPSocket != nil:
		return "tcpSocket port " + p.TCPSocket.Port.String()
	case p.HTTPGet != nil:
		scheme := strings.ToLower(string(p.HTTPGet.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		return fmt.Sprintf("httpGet %s port %s path %s", scheme, p.HTTPGet.Port.String(), p.HTTPGet.Path)
	case p.Exec != nil:
		return "exec"
	case p.GuestAgentPing != nil:
		return "guestAgentPing"
	}
	return "no handler"
}

func vmiCondition(vmi *kubevirtv1.VirtualMachineInstance, t kubevirtv1.VirtualMachineInstanceConditionType) *kubevirtv1.VirtualMachineInstanceCondition {
	for i := range vmi.Status.Conditions {
		if vmi.Status.Conditions[i].Type == t {
			return &vmi.Status.Conditions[i]
		}
	}
	return nil
}

func agentConnected(vmi *kubevirtv1.VirtualMachineInstance) bool {
	c := vmiCondition(vmi, kubevirtv1.VirtualMachineInstanceAgentConnected)
	return c != nil && c.Status == corev1.ConditionTrue
}
