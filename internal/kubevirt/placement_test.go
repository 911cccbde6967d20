package kubevirt

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/novasphere/wukong/api/v1alpha1"
)

func TestPlacementSelectorAndTolerations(t *testing.T) {
	w := wukong()
	spec := build(t, w).Spec.Template.Spec
	deepEqual(t, "nodeSelector", spec.NodeSelector, map[string]string{"node-role.kubernetes.io/worker": ""})
	deepEqual(t, "tolerations", spec.Tolerations, []corev1.Toleration{{
		Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "vms", Effect: corev1.TaintEffectNoSchedule,
	}})
	spec.NodeSelector["x"] = "y"
	spec.Tolerations[0].Key = "changed"
	if _, ok := w.Spec.Placement.NodeSelector["x"]; ok || w.Spec.Placement.Tolerations[0].Key != "dedicated" {
		t.Error("placement aliases the Wukong's spec")
	}
}

// TestPlacementTolerationsAsCore checks every field of the API's Toleration reaches the pod's core/v1 one,
// tolerationSeconds by value.
func TestPlacementTolerationsAsCore(t *testing.T) {
	w := wukong()
	w.Spec.Placement.Tolerations = []v1alpha1.Toleration{
		{Operator: corev1.TolerationOpExists},
		{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute,
			TolerationSeconds: ptr.To[int64](30)},
		{Key: "gpu", Value: "true", Effect: corev1.TaintEffectPreferNoSchedule},
	}
	spec := build(t, w).Spec.Template.Spec
	deepEqual(t, "tolerations", spec.Tolerations, []corev1.Toleration{
		{Operator: corev1.TolerationOpExists},
		{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute,
			TolerationSeconds: ptr.To[int64](30)},
		{Key: "gpu", Value: "true", Effect: corev1.TaintEffectPreferNoSchedule},
	})
	*spec.Tolerations[1].TolerationSeconds = 60
	if *w.Spec.Placement.Tolerations[1].TolerationSeconds != 30 {
		t.Error("tolerationSeconds aliases the Wukong's spec")
	}
}

func TestPlacementAntiAffinity(t *testing.T) {
	explicit := &v1alpha1.LabelSelector{
		MatchLabels: map[string]v1alpha1.LabelValue{"app": "web"},
		MatchExpressions: []v1alpha1.LabelSelectorRequirement{
			{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []v1alpha1.LabelValue{"db", "cache"}},
			{Key: "canary", Operator: metav1.LabelSelectorOpDoesNotExist},
		},
	}
	explicitMeta := &metav1.LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"db", "cache"}},
			{Key: "canary", Operator: metav1.LabelSelectorOpDoesNotExist},
		},
	}
	tests := []struct {
		name   string
		labels map[string]string
		anti   *v1alpha1.AntiAffinity
		want   *corev1.Affinity
	}{
		{
			name:   "required in a set selects the set",
			labels: map[string]string{"app": "web", v1alpha1.LabelSet: "web"},
			anti:   &v1alpha1.AntiAffinity{Mode: v1alpha1.AntiAffinityRequired, TopologyKey: "topology.kubernetes.io/zone"},
			want: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"vm.novasphere.dev/set": "web"}},
					TopologyKey:   "topology.kubernetes.io/zone",
				}},
			}},
		},
		{
			name:   "preferred outside a set selects own labels, default topology",
			labels: map[string]string{"app": "web"},
			anti:   &v1alpha1.AntiAffinity{Mode: v1alpha1.AntiAffinityPreferred},
			want: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
					Weight: 100,
					PodAffinityTerm: corev1.PodAffinityTerm{
						LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
						TopologyKey:   "kubernetes.io/hostname",
					},
				}},
			}},
		},
		{
			name:   "explicit selector wins, empty mode is preferred",
			labels: map[string]string{v1alpha1.LabelSet: "web"},
			anti:   &v1alpha1.AntiAffinity{Selector: explicit, TopologyKey: "rack"},
			want: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
					Weight:          100,
					PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: explicitMeta, TopologyKey: "rack"},
				}},
			}},
		},
		{
			name: "no labels and no selector: no term",
			anti: &v1alpha1.AntiAffinity{Mode: v1alpha1.AntiAffinityRequired},
		},
		{
			name:   "no antiAffinity",
			labels: map[string]string{"app": "web"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := wukong()
			w.Labels = tt.labels
			w.Spec.Placement.AntiAffinity = tt.anti
			deepEqual(t, "affinity", build(t, w).Spec.Template.Spec.Affinity, tt.want)
		})
	}
}
