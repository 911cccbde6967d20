// Package v1 declares KubeVirt's VirtualMachine and VirtualMachineInstance for CRD generation (tests only).
//
// +groupName=kubevirt.io
// +kubebuilder:object:generate=false
package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// VirtualMachine mirrors kubevirt.io/v1 VirtualMachine.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=vm;vms,categories=all
type VirtualMachine struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   kubevirtv1.VirtualMachineSpec   `json:"spec"`
	Status kubevirtv1.VirtualMachineStatus `json:"status,omitempty"`
}
