package sim

import (
	"context"
	"fmt"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// Cache indexes that turn a watched object into the objects that depend on it. Their names carry the
// simulator's prefix so they cannot clash with the operator's indexes when both share a manager.
const (
	// indexOwnerWukong indexes DataVolumes and VirtualMachines by the name of their controlling Wukong.
	indexOwnerWukong = "sim.novasphere.dev/owner-wukong"
	// indexDataVolumes indexes VirtualMachines by the DataVolumes their template's volumes use.
	indexDataVolumes = "sim.novasphere.dev/datavolumes"
	// indexNetworkDataSecret indexes VirtualMachineInstances by the Secret holding their cloud-init network
	// data.
	indexNetworkDataSecret = "sim.novasphere.dev/networkdata-secret"
	// indexAttachments indexes VirtualMachineInstances by the NetworkAttachmentDefinitions their Multus
	// networks select, as "namespace/name".
	indexAttachments = "sim.novasphere.dev/attachments"
)

func addIndexes(ctx context.Context, idx client.FieldIndexer) error {
	byOwner := func(obj client.Object) []string {
		if name := ownerWukong(obj); name != "" {
			return []string{name}
		}
		return nil
	}
	for _, i := range []struct {
		obj     client.Object
		field   string
		extract client.IndexerFunc
	}{
		{&cdiv1.DataVolume{}, indexOwnerWukong, byOwner},
		{&kubevirtv1.VirtualMachine{}, indexOwnerWukong, byOwner},
		{&kubevirtv1.VirtualMachine{}, indexDataVolumes, func(obj client.Object) []string {
			return dataVolumeNames(obj.(*kubevirtv1.VirtualMachine))
		}},
		{&kubevirtv1.VirtualMachineInstance{}, indexNetworkDataSecret, func(obj client.Object) []string {
			if name := networkDataSecret(&obj.(*kubevirtv1.VirtualMachineInstance).Spec); name != "" {
				return []string{name}
			}
			return nil
		}},
		{&kubevirtv1.VirtualMachineInstance{}, indexAttachments, func(obj client.Object) []string {
			var keys []string
			for _, ref := range attachmentRefs(obj.(*kubevirtv1.VirtualMachineInstance)) {
				keys = append(keys, ref.String())
			}
			return keys
		}},
	} {
		if err := idx.IndexField(ctx, i.obj, i.field, i.extract); err != nil {
			return fmt.Errorf("index %T by %s: %w", i.obj, i.field, err)
		}
	}
	return nil
}

// ownerWukong is the name of the Wukong that controls obj, or "" when a Wukong does not.
func ownerWukong(obj metav1.Object) string {
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.Kind != "Wukong" {
		return ""
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil || gv.Group != vmv1alpha1.GroupVersion.Group {
		return ""
	}
	return ref.Name
}

// dataVolumeNames are the DataVolumes a VirtualMachine's template mounts, in volume order.
func dataVolumeNames(vm *kubevirtv1.VirtualMachine) []string {
	if vm.Spec.Template == nil {
		return nil
	}
	var names []string
	for _, v := range vm.Spec.Template.Spec.Volumes {
		if v.DataVolume != nil && v.DataVolume.Name != "" {
			names = append(names, v.DataVolume.Name)
		}
	}
	return names
}

// networkDataSecret is the Secret a VMI's cloud-init volume takes its network data from, or "".
func networkDataSecret(spec *kubevirtv1.VirtualMachineInstanceSpec) string {
	for _, v := range spec.Volumes {
		switch {
		case v.CloudInitNoCloud != nil && v.CloudInitNoCloud.NetworkDataSecretRef != nil:
			return v.CloudInitNoCloud.NetworkDataSecretRef.Name
		case v.CloudInitConfigDrive != nil && v.CloudInitConfigDrive.NetworkDataSecretRef != nil:
			return v.CloudInitConfigDrive.NetworkDataSecretRef.Name
		}
	}
	return ""
}

// requestsByIndex maps a watched object to the objects of list's kind that an index links to it: the
// objects in namespace whose index holds value. A failed list is logged and maps to nothing; the next
// event or resync tries again.
func requestsByIndex(ctx context.Context, c client.Reader, list client.ObjectList, namespace, index, value string) []reconcile.Request {
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingFields{index: value}); err != nil {
		log.FromContext(ctx).Error(err, "list by index", "kind", fmt.Sprintf("%T", list), "index", index, "value", value)
		return nil
	}
	items, err := apimeta.ExtractList(list)
	if err != nil {
		log.FromContext(ctx).Error(err, "read list", "kind", fmt.Sprintf("%T", list))
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(items))
	for _, item := range items {
		if obj, ok := item.(client.Object); ok {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
		}
	}
	return reqs
}
