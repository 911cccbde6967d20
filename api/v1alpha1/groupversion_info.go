// Package v1alpha1 holds the vm.novasphere.dev/v1alpha1 API: Wukong (one virtual machine on KubeVirt) and
// WukongSet (a batch of Wukongs rendered from one template).
//
// +kubebuilder:object:generate=true
// +groupName=vm.novasphere.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "vm.novasphere.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a runtime.Scheme; each kind's file adds itself
	// (register). The API package depends on apimachinery only, as Kubernetes' own API packages do.
	SchemeBuilder runtime.SchemeBuilder

	// AddToScheme adds the kinds of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// register adds kinds of this package, and the group version's meta types, to SchemeBuilder.
func register(objects ...runtime.Object) {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(GroupVersion, objects...)
		metav1.AddToGroupVersion(s, GroupVersion)
		return nil
	})
}
