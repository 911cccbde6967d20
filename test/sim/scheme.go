package sim

import (
	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/novasphere/wukong/internal/scheme"
)

// NewScheme returns a scheme with every kind the simulator reads or writes: the operator's own scheme
// (core Kubernetes, Wukong, KubeVirt, CDI, Multus), so the two always agree on the kinds they share.
func NewScheme() *k8sruntime.Scheme { return scheme.New() }
