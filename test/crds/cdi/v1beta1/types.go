// Package v1beta1 declares CDI's DataVolume and DataSource for CRD generation (tests only).
//
// +groupName=cdi.kubevirt.io
// +kubebuilder:object:generate=false
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
)

// DataVolume mirrors cdi.kubevirt.io/v1beta1 DataVolume.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dv;dvs,categories=all
type DataVolume struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   cdiv1.DataVolumeSpec   `json:"spec"`
	Status cdiv1.DataVolumeStatus `json:"status,omitempty"`
}

// DataSource mirrors cdi.kubevirt.io/v1beta1 DataSource: a named clone source (a PVC or a snapshot), the way
// KubeVirt publishes golden images. CDI v1.63 serves it without a status subresource.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=das,categories=all
type DataSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   cdiv1.DataSourceSpec   `json:"spec"`
	Status cdiv1.DataSourceStatus `json:"status,omitempty"`
}
