// Package v1 declares KubeVirt's VirtualMachineInstance for CRD generation (tests only). It lives apart from
// the VirtualMachine package because controller-gen emits a duplicate version when both share one package.
//
// +groupName=kubevirt.io
// +kubebuilder:object:generate=false
package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// VirtualMachineInstance mirrors kubevirt.io/v1 VirtualMachineInstance.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:shortName=vmi;vmis,categories=all
type VirtualMachineInstance struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   kubevirtv1.VirtualMachineInstanceSpec   `json:"spec"`
	Status kubevirtv1.VirtualMachineInstanceStatus `json:"status,omitempty"`
}
