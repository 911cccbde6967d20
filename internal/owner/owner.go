// Package owner decides how a Wukong's children point back at it: the controller owner reference that lets
// the garbage collector delete them with the Wukong, and the label that lets the controller list and watch
// them. Every builder calls it, so all children are marked the same way.
package owner

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// Kind is the kind written into owner references. It is spelled out rather than read from w.TypeMeta
// because objects fetched through a typed client usually arrive with an empty TypeMeta.
const Kind = "Wukong"

// Reference is the controller owner reference from a child object to w. BlockOwnerDeletion makes a
// foreground delete of the Wukong wait for its VM, disks and attachments.
func Reference(w *v1alpha1.Wukong) metav1.OwnerReference {
	controller, block := true, true
	return metav1.OwnerReference{
		APIVersion:         v1alpha1.GroupVersion.String(),
		Kind:               Kind,
		Name:               w.Name,
		UID:                w.UID,
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
