package kubevirt

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// TestReadinessProbe maps every handler and every timing field to KubeVirt's Probe.
func TestReadinessProbe(t *testing.T) {
	timings := func(p kubevirtv1.Probe) *kubevirtv1.Probe {
		p.InitialDelaySeconds, p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold = 10, 2, 5, 2, 4
		return &p
	}
	in := func(p v1alpha1.Probe) *v1alpha1.Probe {
		p.InitialDelaySeconds, p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold = 10, 2, 5, 2, 4
		return &p
	}
	tests := []struct {
		name string
		in   *v1alpha1.Probe
		want *kubevirtv1.Probe
	}{
		{"none", nil, nil},
		{"tcpSocket, KubeVirt's defaults left to KubeVirt",
			&v1alpha1.Probe{TCPSocket: &v1alpha1.TCPSocketProbe{Port: 22}, InitialDelaySeconds: 10},
			&kubevirtv1.Probe{Handler: kubevirtv1.Handler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(22)}},
				InitialDelaySeconds: 10}},
		{"httpGet with headers",
			in(v1alpha1.Probe{HTTPGet: &v1alpha1.HTTPGetProbe{Port: 8443, Path: "/healthz", Scheme: v1alpha1.URISchemeHTTPS,
				HTTPHeaders: []v1alpha1.HTTPHeader{{Name: "X-Probe", Value: "wukong"}}}}),
			timings(kubevirtv1.Probe{Handler: kubevirtv1.Handler{HTTPGet: &corev1.HTTPGetAction{
				Port: intstr.FromInt32(8443), Path: "/healthz", Scheme: corev1.URISchemeHTTPS,
				HTTPHeaders: []corev1.HTTPHeader{{Name: "X-Probe", Value: "wukong"}}}}})},
		{"exec through the guest agent",
			in(v1alpha1.Probe{Exec: &v1alpha1.ExecProbe{Command: []string{"systemctl", "is-active", "kubelet"}}}),
			timings(kubevirtv1.Probe{Handler: kubevirtv1.Handler{Exec: &corev1.ExecAction{
				Command: []string{"systemctl", "is-active", "kubelet"}}}})},
		{"guest agent ping",
			in(v1alpha1.Probe{GuestAgentPing: &v1alpha1.GuestAgentPing{}}),
			timings(kubevirtv1.Probe{Handler: kubevirtv1.Handler{GuestAgentPing: &kubevirtv1.GuestAgentPing{}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			w.Spec.ReadinessProbe = tt.in
			vm := build(t, w)
			deepEqual(t, "readinessProbe", vm.Spec.Template.Spec.ReadinessProbe, tt.want)
			if tt.in != nil && tt.in.Exec != nil {
				vm.Spec.Template.Spec.ReadinessProbe.Exec.Command[0] = "changed"
				if w.Spec.ReadinessProbe.Exec.Command[0] == "changed" {
					t.Error("the VM's exec command aliases the Wukong's")
				}
			}
		})
	}
}

func TestEvictionStrategy(t *testing.T) {
	for _, s := range []v1alpha1.EvictionStrategy{
		v1alpha1.EvictionStrategyLiveMigrate, v1alpha1.EvictionStrategyLiveMigrateIfPossible,
		v1alpha1.EvictionStrategyExternal, v1alpha1.EvictionStrategyNone,
	} {
		w := wukong()
		w.Spec.EvictionStrategy = s
		got := build(t, w).Spec.Template.Spec.EvictionStrategy
		if got == nil || string(*got) != string(s) {
			t.Errorf("evictionStrategy %s: VM has %v", s, got)
		}
	}
	if got := build(t, wukong()).Spec.Template.Spec.EvictionStrategy; got != nil {
		t.Errorf("no evictionStrategy: VM has %v, want nil (the cluster's default)", *got)
	}
}
