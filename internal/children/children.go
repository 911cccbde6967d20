// Package children builds the desired child objects of one Wukong — its VirtualMachine, DataVolumes,
// cloud-init Secret and NetworkAttachmentDefinitions — with the pure builders of internal/kubevirt,
// internal/cdi, internal/cloudinit and internal/multus. It is the one builder of them: the Wukong controller
// and `wukong render --children` both call Build. It is pure: it reads nothing from a cluster. What the
// controller reads (the credentials, the attachments in use) is passed in, and render, which reads nothing,
// passes what a new Wukong has, so it shows exactly the objects the controller writes for a new Wukong.
package children

import (
	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cdi"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/kubevirt"
	"github.com/novasphere/wukong/internal/multus"
)

// Objects are the desired children of one Wukong. Every object carries the Wukong's controller owner
// reference and the vm.novasphere.dev/wukong label (internal/owner).
type Objects struct {
	// VM is the VirtualMachine, named like the Wukong.
	VM *kubevirtv1.VirtualMachine
	// DataVolumes are one per disk, in spec order.
	DataVolumes []*cdiv1.DataVolume
	// Secret carries the cloud-init user data and network data the VM's cloudInitNoCloud volume reads. Its
	// user data holds credentials (a password hash, SSH keys, the user's own document).
	Secret *corev1.Secret
	// Attachments are one per network that names no existing attachment (nadName), in spec order.
	Attachments []*nadv1.NetworkAttachmentDefinition
}

// Build builds every child of w, which must be the Wukong as the apiserver stores it (CRD defaults applied),
// with the credentials resolved from the Secrets w refers to. in is what the cluster already holds that
// decides where w's networks attach (multus.InUse): the VM is pointed at, and the attachments are, those
// internal/multus places the networks on, which for an existing VM may be the ones it already uses. A zero
// in gives what a new VM gets. The error names the field that cannot be built (spec.disks[1].image: …) and
// never quotes a credential.
func Build(w *vmv1alpha1.Wukong, creds cloudinit.Credentials, in multus.InUse) (*Objects, error) {
	var (
		o   Objects
		err error
	)
	if o.Secret, err = cloudinit.Secret(w, creds); err != nil {
		return nil, err
	}
	if o.Attachments, err = multus.AttachmentsFor(w, in); err != nil {
		return nil, err
	}
	if o.DataVolumes, err = cdi.DataVolumes(w); err != nil {
		return nil, err
	}
	if o.VM, err = kubevirt.VirtualMachine(w); err != nil {
		return nil, err
	}
	placeNetworks(w, o.VM, in)
	return &o, nil
}

// placeNetworks points the VM's Multus networks at multus.NetworkNameFor: kubevirt.VirtualMachine, which
// knows only the Wukong, writes the names a new VM gets.
func placeNetworks(w *vmv1alpha1.Wukong, vm *kubevirtv1.VirtualMachine, in multus.InUse) {
	if len(in.Refs) == 0 && len(in.Unowned) == 0 || vm.Spec.Template == nil {
		return
	}
	for _, n := range w.Spec.Networks {
		for i := range vm.Spec.Template.Spec.Networks {
			if net := &vm.Spec.Template.Spec.Networks[i]; net.Name == n.Name && net.Multus != nil {
				net.Multus.NetworkName = multus.NetworkNameFor(w, n, in)
			}
		}
	}
}

// List is every object: the VirtualMachine, the DataVolumes, the Secret, then the attachments.
func (o *Objects) List() []client.Object {
	out := []client.Object{o.VM}
	for _, dv := range o.DataVolumes {
		out = append(out, dv)
	}
	out = append(out, o.Secret)
	for _, nad := range o.Attachments {
		out = append(out, nad)
	}
	return out
}
