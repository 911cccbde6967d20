package sim

import (
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// NewScheme returns a scheme with every kind the simulator reads or writes: core Kubernetes, Wukong, KubeVirt
// and CDI. It is built here rather than borrowed from test/testenv so the kubevirt-sim command does not link
// envtest.
func NewScheme() *k8sruntime.Scheme {
	s := k8sruntime.NewScheme()
	for _, add := range []func(*k8sruntime.Scheme) error{
		clientgoscheme.AddToScheme, vmv1alpha1.AddToScheme, kubevirtv1.AddToScheme, cdiv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			// Only a programming error (two registrations of one kind) gets here.
			panic(err)
		}
	}
	return s
}
