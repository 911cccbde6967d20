// Package multus builds the Multus NetworkAttachmentDefinitions a Wukong owns and names the networks its VM
// attaches to. The functions are pure and their output is deterministic (the CNI config is marshalled from a
// struct, so its keys keep one order), so the controller can skip writes when nothing changed.
package multus

import (
	"encoding/json"
	"fmt"
	"strings"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// Attachments returns one NetworkAttachmentDefinition per network of w that does not name an existing one
// (nadName), in spec order. It fails on a network type it does not know or a field the type cannot honour.
func Attachments(w *v1alpha1.Wukong) ([]*nadv1.NetworkAttachmentDefinition, error) {
	nads := make([]*nadv1.NetworkAttachmentDefinition, 0, len(w.Spec.Networks))
	for i, n := range w.Spec.Networks {
		if n.NADName != "" {
			continue
		}
		name := naming.Attachment(w.Name, n.Name)
		config, err := Config(name, n)
		if err != nil {
			return nil, fmt.Errorf("spec.networks[%d]: %w", i, err)
		}
		meta := owner.ObjectMeta(w, name)
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

// Config is the CNI JSON of the attachment named name for network n. An empty type means bridge, the API's
// default.
func Config(name string, n v1alpha1.Network) (string, error) {
	c := cniConfig{CNIVersion: CNIVersion, Name: name}
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
			return "", fmt.Errorf("vlanId: not supported for macvlan networks")
		}
		// An empty master lets the plugin pick the node's default-route interface.
		c.Type, c.Master, c.Mode, c.IPAM = "macvlan", n.BridgeName, "bridge", &struct{}{}
	case v1alpha1.NetworkTypeSRIOV:
		c.Type, c.VLAN, c.IPAM = "sriov", vlan, &struct{}{}
	case v1alpha1.NetworkTypeOVS:
		// ovs-cni has no IPAM support, so the key is left out.
		c.Type, c.Bridge, c.VLAN = "ovs", bridgeOrDefault(n.BridgeName), vlan
	default:
		return "", fmt.Errorf("type: unsupported network type %q", n.Type)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("marshal CNI config: %w", err)
	}
	return string(b), nil
}

// NetworkName is the Multus network name ("namespace/name") the VM refers to for network n: nadName as given
// when it has a namespace, nadName in w's namespace when it has none, or the attachment w owns. The
// namespace is always written out so the VM's spec does not depend on KubeVirt's defaulting.
func NetworkName(w *v1alpha1.Wukong, n v1alpha1.Network) string {
	switch {
	case n.NADName == "":
		return w.Namespace + "/" + naming.Attachment(w.Name, n.Name)
	case strings.Contains(n.NADName, "/"):
		return n.NADName
	default:
		return w.Namespace + "/" + n.NADName
	}
}

func bridgeOrDefault(b string) string {
	if b == "" {
		return DefaultBridge
	}
	return b
}
