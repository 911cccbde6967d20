// Package scheme builds the runtime.Scheme of the manager: core Kubernetes kinds, Wukong's kinds and the
// KubeVirt, CDI and Multus kinds the operator creates.
package scheme

import (
	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// New returns a scheme with every kind the operator reads or writes.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, vmv1alpha1.AddToScheme, kubevirtv1.AddToScheme, cdiv1.AddToScheme,
		nadv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}
