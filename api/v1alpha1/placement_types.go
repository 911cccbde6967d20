package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// Placement constrains where the VM runs. Its fields reach the VM's pod, so they follow the Pod's rules
// (k8s.io/kubernetes pkg/apis/core/validation: ValidatePodSpec's node selector check and ValidateTolerations)
// and, for anti-affinity, KubeVirt's validatePodAffinityTerm (metav1 ValidateLabelSelector). Its types are
// our own rather than core/v1's so that every string has a bound, without which the apiserver cannot afford
// the CEL rules that check them; the JSON is the same as core/v1's.
//
// In a WukongSet template a value may hold template variables (${...}); such a value passes the format
// checks here and the rendered member is checked instead. The Wukong kind refuses variables (see Wukong.Spec).
type Placement struct {
	// nodeSelector must match a node's labels for the VM to run there. Keys are label keys; values are label
	// values.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, !format.qualifiedName().validate(k).hasValue())",message="nodeSelector keys must be valid label keys ([prefix/]name)"
	NodeSelector map[string]LabelValue `json:"nodeSelector,omitempty"`

	// tolerations let the VM run on tainted nodes, as a Pod's tolerations do.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	Tolerations []Toleration `json:"tolerations,omitempty"`

	// antiAffinity spreads VMs that share labels across topology domains.
	// +optional
	AntiAffinity *AntiAffinity `json:"antiAffinity,omitempty"`
}

// Toleration has the shape of core/v1 Toleration, with the Pod's rules (ValidateTolerations): operator
// Exists or Equal (empty means Equal), an empty key only with Exists, no value with Exists, effect
// NoSchedule, PreferNoSchedule, NoExecute or empty (every effect), and tolerationSeconds only with NoExecute.
//
// +kubebuilder:validation:XValidation:rule="(has(self.key) && self.key.size() > 0) || (has(self.operator) && self.operator == 'Exists')",message="operator must be Exists when key is empty (which matches every taint)",fieldPath=".operator"
// +kubebuilder:validation:XValidation:rule="!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value.size() == 0",message="value must be empty when operator is Exists",fieldPath=".value"
// +kubebuilder:validation:XValidation:rule="!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",message="tolerationSeconds requires effect NoExecute",fieldPath=".tolerationSeconds"
type Toleration struct {
	// key is the taint key the toleration matches, a label key; empty (with operator Exists) matches every
	// taint.
	// +optional
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="self == '' || self.contains('${') || !format.qualifiedName().validate(self).hasValue()",message="key must be a valid label key ([prefix/]name)"
	Key string `json:"key,omitempty"`

	// operator is Exists or Equal (empty means Equal).
	// +optional
	// +kubebuilder:validation:XValidation:rule="self in ['', 'Exists', 'Equal']",message="operator must be Exists or Equal (empty means Equal)"
	Operator corev1.TolerationOperator `json:"operator,omitempty"`

	// value is the taint value the toleration matches with operator Equal, a label value; empty with Exists.
	// +optional
	Value LabelValue `json:"value,omitempty"`

	// effect is the taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches every
	// effect.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self in ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']",message="effect must be NoSchedule, PreferNoSchedule or NoExecute (empty means every effect)"
	Effect corev1.TaintEffect `json:"effect,omitempty"`

	// tolerationSeconds is how long the VM stays bound to a node after a NoExecute taint appears; absent
	// means forever, zero or less means evict at once.
	// +optional
	TolerationSeconds *int64 `json:"tolerationSeconds,omitempty"`
}

// AsCore returns the toleration as the core/v1 Toleration the VM's pod takes; nothing is shared with t.
func (t *Toleration) AsCore() corev1.Toleration {
	out := corev1.Toleration{Key: t.Key, Operator: t.Operator, Value: string(t.Value), Effect: t.Effect}
	if t.TolerationSeconds != nil {
		s := *t.TolerationSeconds
		out.TolerationSeconds = &s
	}
	return out
}

// AntiAffinityMode says whether spreading is a hard rule or a preference.
// +kubebuilder:validation:Enum=Preferred;Required
type AntiAffinityMode string

// Anti-affinity modes.
const (
	AntiAffinityPreferred AntiAffinityMode = "Preferred"
	AntiAffinityRequired  AntiAffinityMode = "Required"
)

// AntiAffinity keeps VMs selected by a label selector apart.
type AntiAffinity struct {
	// mode is Preferred (default) or Required.
	// +optional
	// +kubebuilder:default=Preferred
	Mode AntiAffinityMode `json:"mode,omitempty"`

	// topologyKey is the node label that defines a domain (default kubernetes.io/hostname); a label key.
	// +optional
	// +kubebuilder:default="kubernetes.io/hostname"
	// +kubebuilder:validation:MaxLength=317
	// +kubebuilder:validation:XValidation:rule="self == '' || self.contains('${') || !format.qualifiedName().validate(self).hasValue()",message="topologyKey must be a valid label key ([prefix/]name)"
	TopologyKey string `json:"topologyKey,omitempty"`

	// selector picks the VMs to keep apart from. Absent means the members of the same WukongSet (label
	// vm.novasphere.dev/set), or for a Wukong outside a set, VMs with its own labels. It is a label selector
	// as a Pod's anti-affinity term takes it.
	// +optional
	Selector *LabelSelector `json:"selector,omitempty"`
}
