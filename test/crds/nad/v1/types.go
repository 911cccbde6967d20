// Package v1 declares Multus's NetworkAttachmentDefinition for CRD generation (tests only).
//
// +groupName=k8s.cni.cncf.io
// +kubebuilder:object:generate=false
package v1

import (
	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NetworkAttachmentDefinition mirrors k8s.cni.cncf.io/v1 NetworkAttachmentDefinition.
// +kubebuilder:object:root=true
// Multus serves it as network-attachment-definitions (hyphenated), not as controller-gen's default plural.
// +kubebuilder:resource:path=network-attachment-definitions,singular=network-attachment-definition,shortName=nad;net-attach-def
type NetworkAttachmentDefinition struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec nadv1.NetworkAttachmentDefinitionSpec `json:"spec"`
}
