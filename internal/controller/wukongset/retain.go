package wukongset

import (
	"context"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/owner"
)

func diskRetention(set *vmv1alpha1.WukongSet) vmv1alpha1.DiskRetention {
	if s := set.Spec.ScaleStrategy; s != nil && s.DiskRetention != "" {
		return s.DiskRetention
	}
	return vmv1alpha1.DiskRetentionDelete
}

// retainDisks releases the DataVolumes of members about to be removed by a scale-in: the member's owner
// reference goes (so the garbage collector keeps them when the member is deleted) and they are labelled with
// the set, the index and LabelRetained, so the member created at that index later takes them back (the Wukong
// controller does). Each write is bound to the resourceVersion read; it runs before the member's delete, so a
// crash in between leaves released disks and a member that is deleted on the next pass.
func (r *Reconciler) retainDisks(ctx context.Context, set *vmv1alpha1.WukongSet, members []*vmv1alpha1.Wukong) error {
	for _, m := range members {
		index, ok := naming.MemberIndex(set.Name, m.Name)
		if !ok {
			continue
		}
		var dvs cdiv1.DataVolumeList
		if err := r.Client.List(ctx, &dvs, client.InNamespace(m.Namespace), client.MatchingLabels{vmv1alpha1.LabelWukong: m.Name}); err != nil {
			return fmt.Errorf("list DataVolumes of member %s: %w", m.Name, err)
		}
		for i := range dvs.Items {
			dv := &dvs.Items[i]
			if ref := metav1.GetControllerOf(dv); ref == nil || ref.UID != m.UID {
				continue
			}
			before := dv.DeepCopy()
			dv.OwnerReferences = owner.Without(dv.OwnerReferences, m.UID)
			if dv.Labels == nil {
				dv.Labels = map[string]string{}
			}
			dv.Labels[vmv1alpha1.LabelSet] = set.Name
			dv.Labels[vmv1alpha1.LabelIndex] = strconv.Itoa(index)
			dv.Labels[vmv1alpha1.LabelRetained] = "true"
			if dv.Annotations == nil {
				dv.Annotations = map[string]string{}
			}
			// The member being removed must not take it back before it is gone.
			dv.Annotations[vmv1alpha1.AnnotationRetainedFrom] = string(m.UID)
			if err := r.Client.Patch(ctx, dv, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
				return fmt.Errorf("retain DataVolume %s of member %s: %w", dv.Name, m.Name, err)
			}
		}
	}
	return nil
}
