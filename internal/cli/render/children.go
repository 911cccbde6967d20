package render

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/children"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/crdschema"
)

// member is one rendered member and, with --children, the objects its controller writes.
type member struct {
	wukong   *vmv1alpha1.Wukong
	index    int
	children []client.Object
}

// memberChildren builds w's children as the Wukong controller does, from w as the apiserver stores it (the
// Wukong CRD's defaults applied), with no credentials: the Secrets a spec refers to live in the cluster.
// Owner references are removed (their UID is the apiserver's), and so is the cloud-init Secret's user data,
// which holds credentials: see redactSecret.
func memberChildren(w *vmv1alpha1.Wukong) ([]client.Object, error) {
	stored, err := defaulted(w)
	if err != nil {
		return nil, err
	}
	objs, err := children.Build(stored, cloudinit.Credentials{})
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
