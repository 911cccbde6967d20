// Package owner decides how the objects a Wukong or a WukongSet controls point back at it: the controller owner
// reference that lets the garbage collector delete them with their owner, and the label that lets the
// controller list and watch a Wukong's children. Every builder calls it, so all of them are marked the same
// way.
package owner

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// Kind and SetKind are the kinds written into owner references. They are spelled out rather than read from
// the owner's TypeMeta because objects fetched through a typed client usually arrive with an empty TypeMeta.
const (
	Kind    = "Wukong"
	SetKind = "WukongSet"
)

// Reference is the controller owner reference from a child object to w. BlockOwnerDeletion makes a
// foreground delete of the Wukong wait for its VM, disks and attachments.
func Reference(w *v1alpha1.Wukong) metav1.OwnerReference {
	return controllerReference(Kind, w.Name, w.UID)
}

// SetReference is the controller owner reference from an object set controls (a member, an attachment its
// members share, a golden volume) to set. BlockOwnerDeletion makes a foreground delete of the set wait for
// them; under OwnerReferencesPermissionEnforcement, whoever writes it needs update on wukongsets/finalizers.
func SetReference(set *v1alpha1.WukongSet) metav1.OwnerReference {
	return controllerReference(SetKind, set.Name, set.UID)
}

// controllerReference is the one shape of the operator's owner references: a controller reference to an
// object of kind in the operator's API group that blocks the owner's foreground deletion.
func controllerReference(kind, name string, uid types.UID) metav1.OwnerReference {
	controller, block := true, true
	return metav1.OwnerReference{
		APIVersion:         v1alpha1.GroupVersion.String(),
		Kind:               kind,
		Name:               name,
		UID:                uid,
		Controller:         &controller,
		BlockOwnerDeletion: &block,
	}
}

// Labels are the labels every child of w carries: the Wukong's name under v1alpha1.LabelWukong. A fresh map
// is returned on every call so a builder may add to it.
func Labels(w *v1alpha1.Wukong) map[string]string {
	return map[string]string{v1alpha1.LabelWukong: w.Name}
}

// ObjectMeta is the metadata of a child of w named name: w's namespace, Labels(w) and Reference(w).
func ObjectMeta(w *v1alpha1.Wukong, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       w.Namespace,
		Labels:          Labels(w),
		OwnerReferences: []metav1.OwnerReference{Reference(w)},
	}
}

// Without returns refs minus the references to the owner with UID uid: how an object is released by one
// owner (a set releasing a member, a retained disk released by its member) while others are kept.
func Without(refs []metav1.OwnerReference, uid types.UID) []metav1.OwnerReference {
	var out []metav1.OwnerReference
	for _, ref := range refs {
		if ref.UID != uid {
			out = append(out, ref)
		}
	}
	return out
}
