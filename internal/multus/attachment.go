// Package multus builds the Multus NetworkAttachmentDefinitions a Wukong's networks attach to and names the
// networks its VM attaches to. The functions are pure and their output is deterministic (the CNI config is
// marshalled from a struct, so its keys keep one order), so the controller can skip writes when nothing
// changed.
//
// A network without nadName attaches to an attachment the operator creates:
//   - a Wukong that no WukongSet controls owns one per network, <wukong>-<network>;
//   - the members of a WukongSet share one per distinct network: <set>-<network>-<hash>, controlled by the set
//     (deleted with it by the garbage collector), where the hash covers what the attachment is made of (the
//     CNI plugin, bridge or master, VLAN and SR-IOV resource; not the guest's addresses, which cloud-init
//     configures). Members whose rendered networks are the same share one attachment; a template whose
//     ${INDEX} gives each member its own VLAN gets one per VLAN. A name is never reused for other settings, so
//     a shared attachment is created once and never has to change.
//
// A VM is not a pod: changing the attachment a running VM refers to is a change of its template that KubeVirt
// applies only by a restart. So an existing VM keeps the attachment it refers to when that is one the operator
// manages for the network (see VMRefs): a set member created before attachments were shared keeps its own,
// and a member its set released or orphaned (kubectl delete --cascade=orphan) keeps the set's. Only new VMs,
// and VMs re-created by the operator, take the default above. See docs/networks.md.
package multus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/owner"
)

const (
	// CNIVersion is the CNI spec version of every config the operator writes; all four plugins accept it.
	CNIVersion = "0.3.1"
	// ResourceNameAnnotation asks Multus to request the named device-plugin resource (an SR-IOV virtual
	// function) for pods that attach the network.
	ResourceNameAnnotation = "k8s.v1.cni.cncf.io/resourceName"
	// DefaultBridge is the host bridge of bridge and ovs networks that name none.
	DefaultBridge = "br0"
)

// cniConfig is the union of the fields the four plugins read. Every type-specific field is omitempty, so
// one struct serves all types with a fixed key order.
type cniConfig struct {
	CNIVersion string `json:"cniVersion"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Bridge     string `json:"bridge,omitempty"`
	Master     string `json:"master,omitempty"`
	Mode       string `json:"mode,omitempty"`
	VLAN       int32  `json:"vlan,omitempty"`
	// IPAM is empty, not absent, for the plugins that insist on the key. No addresses are assigned on the
	// pod side: the guest configures its own (static through cloud-init, or DHCP on the wire).
	IPAM *struct{} `json:"ipam,omitempty"`
}

// Attachments returns the NetworkAttachmentDefinitions a new VM of w attaches to and the operator writes,
// one per network that does not name an existing one (nadName), in spec order: w's own, or, for a member of
// a WukongSet, the set's shared ones. It fails on a network type it does not know or a field the type cannot
// honour.
func Attachments(w *v1alpha1.Wukong) ([]*nadv1.NetworkAttachmentDefinition, error) {
	return AttachmentsFor(w, InUse{})
}

// InUse is what the cluster already holds that decides where a Wukong's networks attach, besides the
// Wukong itself. The zero value is a Wukong without a VM.
type InUse struct {
	// Refs maps a network to the attachment (its name in the Wukong's namespace) the Wukong's existing VM
	// refers to, where that is one the operator manages for the network (VMRefs). The VM keeps it.
	Refs map[string]string
	// Unowned are shared attachments of the Wukong's set that exist with no controller and the set's label:
	// left behind by a set of the same name deleted with --cascade=orphan, whose members a new set adopted.
	// They are used as they are and not written: writing one would be a conflict with an object the set
	// does not control (see Unowned).
	Unowned map[string]bool
}

// AttachmentsFor is Attachments for a Wukong with what in says already exists: the attachments the operator
// writes for w's networks, in spec order. A network whose attachment is not w's or its set's to write (a
// released member's, or an unowned one) has none.
func AttachmentsFor(w *v1alpha1.Wukong, in InUse) ([]*nadv1.NetworkAttachmentDefinition, error) {
	set := SetOf(w)
	nads := make([]*nadv1.NetworkAttachmentDefinition, 0, len(w.Spec.Networks))
	for i, n := range w.Spec.Networks {
		if n.NADName != "" {
			continue
		}
		name, writer, err := place(w, set, n, in)
		if err != nil {
			return nil, fmt.Errorf("spec.networks[%d]: %w", i, err)
		}
		var meta metav1.ObjectMeta
		switch writer {
		case writerWukong:
			meta = owner.ObjectMeta(w, name)
		case writerSet:
			meta = sharedMeta(w.Namespace, name, set)
		default:
			continue
		}
		config, err := Config(meta.Name, n)
		if err != nil {
			return nil, fmt.Errorf("spec.networks[%d]: %w", i, err)
		}
		if n.Type == v1alpha1.NetworkTypeSRIOV && n.ResourceName != "" {
			meta.Annotations = map[string]string{ResourceNameAnnotation: n.ResourceName}
		}
		nads = append(nads, &nadv1.NetworkAttachmentDefinition{
			TypeMeta: metav1.TypeMeta{
				APIVersion: nadv1.SchemeGroupVersion.String(),
				Kind:       "NetworkAttachmentDefinition",
			},
			ObjectMeta: meta,
			Spec:       nadv1.NetworkAttachmentDefinitionSpec{Config: config},
		})
	}
	return nads, nil
}

// writer says who writes the attachment a network uses.
type writer int

const (
	// writerNone: nobody here; the attachment is used as it is.
	writerNone writer = iota
	// writerWukong: the Wukong, which owns it.
	writerWukong
	// writerSet: a member, on behalf of the set that controls it.
	writerSet
)

// place is the one decision of where network n (without nadName) of w attaches: the name of the
// attachment in w's namespace, and who writes it. set is SetOf(w).
func place(w *v1alpha1.Wukong, set *metav1.OwnerReference, n v1alpha1.Network, in InUse) (string, writer, error) {
	own := naming.Attachment(w.Name, n.Name)
	name := in.Refs[n.Name]
	if name == "" {
		if set == nil {
			return own, writerWukong, nil
		}
		shared, err := SharedName(set.Name, n)
		if err != nil {
			return "", writerNone, err
		}
		name = shared
	}
	if name == own {
		return own, writerWukong, nil
	}
	if set != nil && !in.Unowned[name] {
		if shared, err := SharedName(set.Name, n); err == nil && shared == name {
			return name, writerSet, nil
		}
	}
	return name, writerNone, nil
}

// SetOf returns the controller reference of the WukongSet that controls w, nil when none does.
func SetOf(w *v1alpha1.Wukong) *metav1.OwnerReference {
	ref := metav1.GetControllerOf(w)
	if ref == nil || ref.Kind != SetKind || ref.APIVersion != v1alpha1.GroupVersion.String() {
		return nil
	}
	return ref
}

// SetKind is the kind of the owner whose members share attachments.
const SetKind = owner.SetKind

// sharedMeta is the metadata of a set's shared attachment: controlled by the set (owner.SetReference), so the
// garbage collector deletes it with the set and a foreground deletion of the set waits for it. Its labels
// name the set, not a member: no member owns it. set is SetOf(w), whose API version and kind are the set's.
func sharedMeta(namespace, name string, set *metav1.OwnerReference) metav1.ObjectMeta {
	// A member knows its set only by its own controller reference, which names and identifies the set.
	ref := owner.SetReference(&v1alpha1.WukongSet{ObjectMeta: metav1.ObjectMeta{Name: set.Name, UID: set.UID}})
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       namespace,
		Labels:          map[string]string{v1alpha1.LabelSet: set.Name},
		OwnerReferences: []metav1.OwnerReference{ref},
	}
}

// SharedName is the name of the attachment the members of set share for network n (naming.SetAttachment):
// the set, the network and a hash of what the attachment is made of. It fails when n cannot be built.
func SharedName(set string, n v1alpha1.Network) (string, error) {
	h, err := settingsHash(set, n)
	if err != nil {
		return "", err
	}
	return naming.SetAttachment(set, n.Name, h), nil
}

// hashLength is how many hex digits of the settings hash a shared attachment's name carries: 40 bits, so
// even a set of 10,000 members with a VLAN each has a chance of about 1 in 20 million of two members' names
// colliding.
const hashLength = 10

// settingsHash hashes what a network's attachment is made of, after defaults, as the CNI plugin sees it: the
// plugin, the bridge or master interface, the VLAN and the SR-IOV resource. It leaves out the addresses
// (configured by the guest, not the attachment), and the CNI version, mode and IPAM key, which the operator
// writes the same for every attachment of a type: a new operator version that writes them differently
// updates the attachments in place instead of renaming them, which would change every VM's template and
// restart every VM. The set and network names are hashed too, so a name cut to fit stays unique.
func settingsHash(set string, n v1alpha1.Network) (string, error) {
	c, err := plugin(n)
	if err != nil {
		return "", err
	}
	resource := ""
	if n.Type == v1alpha1.NetworkTypeSRIOV {
		resource = n.ResourceName
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{
		set, n.Name, c.Type, c.Bridge, c.Master, fmt.Sprint(c.VLAN), resource,
	}, "\x00")))
	return hex.EncodeToString(sum[:])[:hashLength], nil
}

// Config is the CNI JSON of the attachment named name for network n. An empty type means bridge, the API's
// default.
func Config(name string, n v1alpha1.Network) (string, error) {
	c, err := plugin(n)
	if err != nil {
		return "", err
	}
	c.CNIVersion, c.Name = CNIVersion, name
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("marshal CNI config: %w", err)
	}
	return string(b), nil
}

// plugin is the CNI config of network n without its version and name.
func plugin(n v1alpha1.Network) (cniConfig, error) {
	var c cniConfig
	vlan := int32(0)
	if n.VLANID != nil {
		vlan = *n.VLANID
	}
	switch n.Type {
	case v1alpha1.NetworkTypeBridge, "":
		c.Type, c.Bridge, c.VLAN, c.IPAM = "bridge", bridgeOrDefault(n.BridgeName), vlan, &struct{}{}
	case v1alpha1.NetworkTypeMacvlan:
		// The API rejects this too; refusing here keeps a template-rendered spec from silently losing its
		// VLAN, which macvlan has no field for.
		if n.VLANID != nil {
			return c, fmt.Errorf("vlanId: not supported for macvlan networks")
		}
		// An empty master lets the plugin pick the node's default-route interface.
		c.Type, c.Master, c.Mode, c.IPAM = "macvlan", n.BridgeName, "bridge", &struct{}{}
	case v1alpha1.NetworkTypeSRIOV:
		c.Type, c.VLAN, c.IPAM = "sriov", vlan, &struct{}{}
	case v1alpha1.NetworkTypeOVS:
		// ovs-cni has no IPAM support, so the key is left out.
		c.Type, c.Bridge, c.VLAN = "ovs", bridgeOrDefault(n.BridgeName), vlan
	default:
		return c, fmt.Errorf("type: unsupported network type %q", n.Type)
	}
	return c, nil
}

// NetworkName is the Multus network name ("namespace/name") a new VM of w refers to for network n: nadName as
// given when it has a namespace, nadName in w's namespace when it has none, the set's shared attachment for a
// member of a WukongSet, or else w's own attachment. The namespace is always written out so the VM's spec
// does not depend on KubeVirt's defaulting.
func NetworkName(w *v1alpha1.Wukong, n v1alpha1.Network) string {
	return NetworkNameFor(w, n, InUse{})
}

// NetworkNameFor is NetworkName for a Wukong with what in says already exists: an existing VM keeps the
// attachment it refers to (InUse.Refs).
func NetworkNameFor(w *v1alpha1.Wukong, n v1alpha1.Network, in InUse) string {
	switch {
	case n.NADName == "":
		name, _, err := place(w, SetOf(w), n, in)
		if err != nil {
			// A network the builders refuse has no shared name; Attachments reports its error.
			name = naming.Attachment(w.Name, n.Name)
		}
		return w.Namespace + "/" + name
	case strings.Contains(n.NADName, "/"):
		return n.NADName
	default:
		return w.Namespace + "/" + n.NADName
	}
}

// VMRefs returns, for the networks of w without nadName, the attachment (its name in w's namespace) that vm,
// w's existing VM, refers to, when it is one the operator manages for that network with its current
// settings: w's own <wukong>-<network>, or the shared one of the set that controls w or that w's set label
// names (a member its set released, or orphaned by kubectl delete --cascade=orphan, keeps the set label).
// Moving a VM to another attachment is a template change KubeVirt applies only by a restart, so the VM keeps
// these. nil when vm is nil.
func VMRefs(w *v1alpha1.Wukong, vm *kubevirtv1.VirtualMachine) map[string]string {
	if vm == nil || vm.Spec.Template == nil {
		return nil
	}
	refers := map[string]string{}
	for _, n := range vm.Spec.Template.Spec.Networks {
		if n.Multus != nil {
			// KubeVirt resolves a name without a namespace in the VM's own.
			name, found := strings.CutPrefix(n.Multus.NetworkName, w.Namespace+"/")
			if found || !strings.Contains(name, "/") {
				refers[n.Name] = name
			}
		}
	}
	var sets []string
	if set := SetOf(w); set != nil {
		sets = append(sets, set.Name)
	}
	if l := w.Labels[v1alpha1.LabelSet]; l != "" {
		sets = append(sets, l)
	}
	var out map[string]string
	for _, n := range w.Spec.Networks {
		r := refers[n.Name]
		if n.NADName != "" || r == "" {
			continue
		}
		managed := r == naming.Attachment(w.Name, n.Name)
		for _, s := range sets {
			if shared, err := SharedName(s, n); err == nil && shared == r {
				managed = true
			}
		}
		if managed {
			if out == nil {
				out = map[string]string{}
			}
			out[n.Name] = r
		}
	}
	return out
}

// Unowned reports whether nad is a shared attachment of the set named set that nothing controls: the
// garbage collector removes a deleted set's owner reference instead of the attachment when the set is
// deleted with --cascade=orphan, and the next set of that name uses it as it is.
func Unowned(nad *nadv1.NetworkAttachmentDefinition, set string) bool {
	return metav1.GetControllerOf(nad) == nil && nad.Labels[v1alpha1.LabelSet] == set
}

func bridgeOrDefault(b string) string {
	if b == "" {
		return DefaultBridge
	}
	return b
}
