package kubevirt

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// DefaultTopologyKey spreads VMs across nodes when antiAffinity names no topology key. The API defaults it
// too; the builder repeats it so a spec that skipped defaulting still spreads by node.
const DefaultTopologyKey = corev1.LabelHostname

// antiAffinityWeight is the weight of a preferred term: the most a preference can weigh, since spreading
// is the only preference the operator expresses.
const antiAffinityWeight = 100

// placement converts w's node selector and tolerations into spec's core/v1 ones and turns its antiAffinity
// into a pod anti-affinity term. Everything is copied, so the VM never shares memory with the Wukong.
func placement(w *v1alpha1.Wukong, spec *kubevirtv1.VirtualMachineInstanceSpec) {
	p := w.Spec.Placement
	if p == nil {
		return
	}
	spec.NodeSelector = v1alpha1.StringMap(p.NodeSelector)
	if len(p.Tolerations) > 0 {
		spec.Tolerations = make([]corev1.Toleration, len(p.Tolerations))
		for i := range p.Tolerations {
			spec.Tolerations[i] = p.Tolerations[i].AsCore()
		}
	}

	a := p.AntiAffinity
	if a == nil {
		return
	}
	selector := antiAffinitySelector(w, a)
	if selector == nil {
		// Nothing to keep apart from: a term with a nil selector matches no pod, so it is left out.
		return
	}
	term := corev1.PodAffinityTerm{LabelSelector: selector, TopologyKey: a.TopologyKey}
	if term.TopologyKey == "" {
		term.TopologyKey = DefaultTopologyKey
	}
	anti := &corev1.PodAntiAffinity{}
	if a.Mode == v1alpha1.AntiAffinityRequired {
		anti.RequiredDuringSchedulingIgnoredDuringExecution = []corev1.PodAffinityTerm{term}
	} else {
		// Preferred is the API's default, so an empty mode lands here too.
		anti.PreferredDuringSchedulingIgnoredDuringExecution = []corev1.WeightedPodAffinityTerm{
			{Weight: antiAffinityWeight, PodAffinityTerm: term},
		}
	}
	spec.Affinity = &corev1.Affinity{PodAntiAffinity: anti}
}

// antiAffinitySelector picks the VMs to keep w apart from: the explicit selector, else the members of w's
// WukongSet, else the VMs with w's labels. The Wukong label is left out of the last on purpose: it names
// only w itself. Nil means there is nothing to select.
func antiAffinitySelector(w *v1alpha1.Wukong, a *v1alpha1.AntiAffinity) *metav1.LabelSelector {
	switch {
	case a.Selector != nil:
		return a.Selector.AsMetav1()
	case w.Labels[v1alpha1.LabelSet] != "":
		return &metav1.LabelSelector{MatchLabels: map[string]string{v1alpha1.LabelSet: w.Labels[v1alpha1.LabelSet]}}
	case len(w.Labels) > 0:
		return &metav1.LabelSelector{MatchLabels: maps.Clone(w.Labels)}
	default:
		return nil
	}
}
