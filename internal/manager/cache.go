package manager

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// cacheOptions keeps the manager's memory proportional to what it manages, not to the cluster, and each
// cached object to what the controllers read:
//
//   - Secrets and VM instances: only the operator's own, those labelled with their Wukong (users' Secrets
//     are read directly when referenced; an instance is read only for a VM the Wukong controls). Not
//     VirtualMachines: a VM of someone else's with a Wukong's name must be seen in the cache, or the
//     server-side apply would take it over (TestNameConflict). Not DataVolumes: a disk may clone a user's
//     DataVolume, and a set's golden images carry the set's label, not a Wukong's.
//   - Every object loses its managedFields, which the controllers never read and which are as large as
//     the fields they track (a server-side applied VirtualMachine records every field of its spec there).
//     Updates from the cache stay correct: the apiserver keeps an object's managedFields when an update
//     carries none.
//   - A VM instance keeps only what the Wukong controller reads (stripInstance): its spec repeats the VM's
//     template, its status lists every volume and the launcher's details, and its annotations are
//     KubeVirt's bookkeeping, of which only the VM generation it was started from is read.
func cacheOptions() cache.Options {
	owned := mustSelector(vmv1alpha1.LabelWukong)
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:                     {Label: owned},
			&kubevirtv1.VirtualMachineInstance{}: {Label: owned, Transform: stripInstance},
		},
	}
}

func mustSelector(s string) labels.Selector {
	sel, err := labels.Parse(s)
	if err != nil {
		panic(fmt.Sprintf("label selector %q: %v", s, err))
	}
	return sel
}

// stripInstance keeps of a VirtualMachineInstance its metadata (without managedFields, and of its
// annotations only kubevirt.io/vm-generation), the readiness probe of its spec, and the status fields the
// Wukong controller reads: phase, conditions, node, network interfaces, guest OS information and migration
// state. Labels are patched from the cached copy with a merge patch of only the labels, so nothing dropped
// here is ever written back.
func stripInstance(obj any) (any, error) {
	vmi, ok := obj.(*kubevirtv1.VirtualMachineInstance)
	if !ok {
		// A DeletedFinalStateUnknown tombstone, passed through as is.
		return obj, nil
	}
	vmi.ManagedFields = nil
	if g, ok := vmi.Annotations[kubevirtv1.VirtualMachineGenerationAnnotation]; ok {
		vmi.Annotations = map[string]string{kubevirtv1.VirtualMachineGenerationAnnotation: g}
	} else {
		vmi.Annotations = nil
	}
	vmi.Spec = kubevirtv1.VirtualMachineInstanceSpec{ReadinessProbe: vmi.Spec.ReadinessProbe}
	st := vmi.Status
	vmi.Status = kubevirtv1.VirtualMachineInstanceStatus{
		Phase:          st.Phase,
		Conditions:     st.Conditions,
		NodeName:       st.NodeName,
		Interfaces:     st.Interfaces,
		GuestOSInfo:    st.GuestOSInfo,
		MigrationState: st.MigrationState,
	}
	return vmi, nil
}
