package sim

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// NetworkDataKey is the Secret key KubeVirt reads cloud-init network data from.
const NetworkDataKey = "networkdata"

// hostnameLabel is the node selector key the simulator honours when placing an instance.
const hostnameLabel = "kubernetes.io/hostname"

// networkConfig is the part of cloud-init network config version 2 that decides a guest's addresses.
type networkConfig struct {
	Version   int                 `json:"version"`
	Ethernets map[string]ethernet `json:"ethernets"`
}

type ethernet struct {
	Match struct {
		MACAddress string `json:"macaddress"`
		Name       string `json:"name"`
	} `json:"match"`
	Addresses []string `json:"addresses"`
	DHCP4     *bool    `json:"dhcp4"`
	DHCP6     *bool    `json:"dhcp6"`
}

// parseNetworkData reads cloud-init network config v2, bare or under a top-level "network:" key (cloud-init
// accepts both for NoCloud).
func parseNetworkData(data []byte) (*networkConfig, error) {
	var wrapped struct {
		Network *networkConfig `json:"network"`
	}
	if err := yaml.Unmarshal(data, &wrapped); err == nil && wrapped.Network != nil {
		return checkVersion(wrapped.Network)
	}
	var nc networkConfig
	if err := yaml.Unmarshal(data, &nc); err != nil {
		return nil, fmt.Errorf("parse cloud-init network data: %w", err)
	}
	return checkVersion(&nc)
}

func checkVersion(nc *networkConfig) (*networkConfig, error) {
	if nc.Version != 2 {
		return nil, fmt.Errorf("cloud-init network data has version %d, the simulator reads version 2 only", nc.Version)
	}
	return nc, nil
}

// lookup finds the entry cloud-init would apply to the guest interface ifName with MAC mac: a match on MAC
// or name, or an entry without a match whose key is the interface name.
func (nc *networkConfig) lookup(mac, ifName string) *ethernet {
	if nc == nil {
		return nil
	}
	for key, e := range nc.Ethernets {
		switch {
		case e.Match.MACAddress != "":
			if strings.EqualFold(e.Match.MACAddress, mac) {
				return &e
			}
		case e.Match.Name != "":
			if e.Match.Name == ifName {
				return &e
			}
		case key == ifName:
			return &e
		}
	}
	return nil
}

// interfaceStatuses is what virt-handler and the guest agent would report for a running instance: one entry
// per interface, in spec order, named eth0, eth1, ... in the guest. Addresses come from, in order: a static
// entry in the network data matching the interface; the pod network's fake 10.244.0.0/16; a fake DHCP pool
// 172.30.0.0/16 for Multus networks. An interface the network data configures without DHCP or addresses, or
// any secondary interface when the network data could not be read, gets none, as the guest would have none.
// Everything is derived from names, so a re-created instance reports the same addresses.
func interfaceStatuses(namespace, name string, spec *kubevirtv1.VirtualMachineInstanceSpec, nc *networkConfig, ncErr error) []kubevirtv1.VirtualMachineInstanceNetworkInterface {
	networks := map[string]kubevirtv1.Network{}
	for _, n := range spec.Networks {
		networks[n.Name] = n
	}
	var out []kubevirtv1.VirtualMachineInstanceNetworkInterface
	for i, iface := range spec.Domain.Devices.Interfaces {
		ifName := fmt.Sprintf("eth%d", i)
		mac := iface.MacAddress
		if mac == "" {
			mac = generatedMAC(namespace, name, iface.Name)
		}
		st := kubevirtv1.VirtualMachineInstanceNetworkInterface{
			Name: iface.Name, MAC: mac, InterfaceName: ifName, InfoSource: "domain, guest-agent", QueueCount: 1,
		}
		net, known := networks[iface.Name]
		entry := nc.lookup(mac, ifName)
		switch {
		case entry != nil && len(entry.Addresses) > 0:
			st.IPs = stripPrefixes(entry.Addresses)
		case !known:
			// An interface without a network has no backend and no address.
		case net.Pod != nil:
			st.IPs = []string{fakeAddress("10.244", namespace+"/"+name)}
		case ncErr != nil:
		case entry != nil && !isTrue(entry.DHCP4) && !isTrue(entry.DHCP6):
		case net.Multus != nil:
			st.IPs = []string{fakeAddress("172.30", namespace+"/"+name+"/"+iface.Name)}
		}
		if len(st.IPs) > 0 {
			st.IP = st.IPs[0]
		}
		out = append(out, st)
	}
	return out
}

func isTrue(b *bool) bool { return b != nil && *b }

// stripPrefixes turns "192.168.1.100/24" into "192.168.1.100", as the guest agent reports addresses.
func stripPrefixes(addrs []string) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a); err == nil {
			out = append(out, p.Addr().String())
		} else {
			out = append(out, a)
		}
	}
	return out
}

// fakeAddress is a stable address in the /16 whose first two octets are prefix, avoiding .0 and .255.
func fakeAddress(prefix, seed string) string {
	h := hash32(seed)
	return fmt.Sprintf("%s.%d.%d", prefix, (h>>8)&0xff, 1+h%254)
}

// generatedMAC stands in for KubeVirt's MAC pool when an interface has no macAddress: locally administered
// and stable per instance and interface.
func generatedMAC(namespace, name, iface string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(namespace + "/" + name + "/" + iface))
	s := h.Sum64()
	return fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(s>>24), byte(s>>16), byte(s>>8), byte(s))
}

// nodeFor places an instance: on the node a kubernetes.io/hostname selector names, else on a node picked
// by a hash of its name, so placement is stable across restarts and spread across nodes.
func nodeFor(namespace, name string, selector map[string]string, nodes []string) string {
	if n := selector[hostnameLabel]; n != "" {
		return n
	}
	return nodes[hash32(namespace+"/"+name)%uint32(len(nodes))]
}

func hash32(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return h.Sum32()
}

// attachmentRefs are the NetworkAttachmentDefinitions an instance's Multus networks select, resolved as
// Multus resolves a network selection element: "namespace/name", or a bare name in the instance's own
// namespace, with an "@interface" suffix dropped (multus-cni pkg/k8sclient parsePodNetworkObjectName). Who
// owns an attachment, a Wukong, a WukongSet or a user, does not matter: KubeVirt and Multus look it up by
// name only.
func attachmentRefs(vmi *kubevirtv1.VirtualMachineInstance) []types.NamespacedName {
	var refs []types.NamespacedName
	for _, n := range vmi.Spec.Networks {
		if n.Multus == nil || n.Multus.NetworkName == "" {
			continue
		}
		name, _, _ := strings.Cut(n.Multus.NetworkName, "@")
		ref := types.NamespacedName{Namespace: vmi.Namespace, Name: name}
		if ns, nm, ok := strings.Cut(name, "/"); ok {
			ref = types.NamespacedName{Namespace: ns, Name: nm}
		}
		refs = append(refs, ref)
	}
	return refs
}

// missingAttachment is why virt-controller cannot render the launcher pod of an instance that selects an
// attachment that does not exist: with KubeVirt's default (the ExternalNetResourceInjection feature gate off) it
// reads every selected attachment for its resource name while rendering the pod (pkg/network/multus
// NetworkToResource), so the pod is never created and Multus never runs. "" when every attachment the instance
// selects exists. The words are KubeVirt's, without the "failed to render launch manifest: " the controller
// adds.
func missingAttachment(ctx context.Context, c client.Reader, vmi *kubevirtv1.VirtualMachineInstance) (string, error) {
	for _, ref := range attachmentRefs(vmi) {
		err := c.Get(ctx, ref, &nadv1.NetworkAttachmentDefinition{})
		if apierrors.IsNotFound(err) {
			return fmt.Sprintf("failed to locate network attachment definition for %s: %v", ref, err), nil
		}
		if err != nil {
			return "", fmt.Errorf("get NetworkAttachmentDefinition %s: %w", ref, err)
		}
	}
	return "", nil
}
