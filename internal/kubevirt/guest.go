package kubevirt

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// readinessProbe is spec.readinessProbe as KubeVirt's VMI readinessProbe (kubevirt.io/api/core/v1 Probe),
// field for field; nil when the spec has none. Unset timings stay unset, so KubeVirt's defaults apply
// (SetDefaults_Probe, applied when virt-controller renders the probe onto the launcher pod).
func readinessProbe(p *v1alpha1.Probe) *kubevirtv1.Probe {
	if p == nil {
		return nil
	}
	out := &kubevirtv1.Probe{
		InitialDelaySeconds: p.InitialDelaySeconds,
		TimeoutSeconds:      p.TimeoutSeconds,
		PeriodSeconds:       p.PeriodSeconds,
		SuccessThreshold:    p.SuccessThreshold,
		FailureThreshold:    p.FailureThreshold,
	}
	switch {
	case p.TCPSocket != nil:
		out.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(p.TCPSocket.Port)}
	case p.HTTPGet != nil:
		g := &corev1.HTTPGetAction{
			Path:   p.HTTPGet.Path,
			Port:   intstr.FromInt32(p.HTTPGet.Port),
			Scheme: corev1.URIScheme(p.HTTPGet.Scheme),
		}
		for _, h := range p.HTTPGet.HTTPHeaders {
			g.HTTPHeaders = append(g.HTTPHeaders, corev1.HTTPHeader{Name: h.Name, Value: h.Value})
		}
		out.HTTPGet = g
	case p.Exec != nil:
		out.Exec = &corev1.ExecAction{Command: append([]string(nil), p.Exec.Command...)}
	case p.GuestAgentPing != nil:
		out.GuestAgentPing = &kubevirtv1.GuestAgentPing{}
	}
	return out
}

// evictionStrategy is spec.evictionStrategy as KubeVirt's; nil (the cluster's default) when unset.
func evictionStrategy(s v1alpha1.EvictionStrategy) *kubevirtv1.EvictionStrategy {
	if s == "" {
		return nil
	}
	es := kubevirtv1.EvictionStrategy(s)
	return &es
}
