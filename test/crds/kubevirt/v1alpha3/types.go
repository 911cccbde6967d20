// Package v1alpha3 declares KubeVirt's deprecated kubevirt.io/v1alpha3 VirtualMachine for CRD generation
// (tests only). KubeVirt v1.7 still serves v1alpha3 next to v1 (kubevirt.io/api core/v1
// ApiSupportedVersions) with the same schema and no conversion, so the test CRD serves it too.
//
// +groupName=kubevirt.io
// +kubebuilder:object:generate=false
package v1alpha3

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// VirtualMachine mirrors kubevirt.io/v1alpha3 VirtualMachine.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:deprecatedversion:warning="kubevirt.io/v1alpha3 is now deprecated and will be removed in a future release."
// +kubebuilder:resource:shortName=vm;vms,categories=all
type VirtualMachine struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   kubevirtv1.VirtualMachineSpec   `json:"spec"`
	Status kubevirtv1.VirtualMachineStatus `json:"status,omitempty"`
}
