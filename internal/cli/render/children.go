package render

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/children"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/multus"
	"github.com/novasphere/wukong/internal/owner"
)

// member is one rendered member and, with --children, the objects its controller writes.
type member struct {
	wukong   *vmv1alpha1.Wukong
	index    int
	children []client.Object
}

// memberChildren builds the children of w, a member of set, as the Wukong controller does: from w as the
// apiserver stores it (the Wukong CRD's defaults applied) and controlled by set, as the set controller creates
// it (what a builder derives from the owner, such as attachments a set's members share, comes out the same),
// with no credentials: the Secrets a spec refers to live in the cluster. Owner references are removed from
// the children (their UIDs are the apiserver's), and so is the cloud-init Secret's user data, which holds
// credentials: see redactSecret.
func memberChildren(set *vmv1alpha1.WukongSet, w *vmv1alpha1.Wukong) ([]client.Object, error) {
	stored, err := defaulted(w)
	if err != nil {
		return nil, err
	}
	stored.OwnerReferences = []metav1.OwnerReference{owner.SetReference(set)}
	// A zero multus.InUse: the children of a new member, which has no VM nor attachments in use yet.
	objs, err := children.Build(stored, cloudinit.Credentials{}, multus.InUse{})
	if err != nil {
		return nil, err
	}
	redactSecret(objs)
	list := objs.List()
	for _, o := range list {
		o.SetOwnerReferences(nil)
	}
	return list, nil
}

// redactSecret leaves out the cloud-init Secret's user data: it holds the user's password hash and SSH keys
// and the cloud-config the spec gives, which may hold anything. Offline it would not even be the Secret's
// real content, as the Secrets the spec refers to are not read. The network data (addresses, MACs) is kept:
// it carries no credential and is what a preview of static addresses wants to see.
func redactSecret(objs *children.Objects) {
	delete(objs.Secret.Data, cloudinit.UserDataKey)
}

// defaulted is w with the Wukong CRD's defaults applied, as the controller reads it back from the apiserver.
func defaulted(w *vmv1alpha1.Wukong) (*vmv1alpha1.Wukong, error) {
	schema, err := crdschema.Wukong()
	if err != nil {
		return nil, err
	}
	obj, err := crdschema.ToMap(w)
	if err != nil {
		return nil, err
	}
	schema.Default(obj)
	var out vmv1alpha1.Wukong
	if err := crdschema.FromMap(obj, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
