package cloudinit

import (
	"fmt"
	"net/netip"

	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
)

// networkConfig is cloud-init's network config version 2 (netplan syntax).
type networkConfig struct {
	Version   int                 `json:"version"`
	Ethernets map[string]ethernet `json:"ethernets"`
}

// ethernet is one interface, matched by the MAC address naming.MAC gives it, so the config applies whatever
// the guest calls the device.
type ethernet struct {
	Match          match          `json:"match"`
	DHCP4          bool           `json:"dhcp4"`
	DHCP4Overrides *dhcpOverrides `json:"dhcp4-overrides,omitempty"`
	Addresses      []string       `json:"addresses,omitempty"`
	Routes         []route        `json:"routes,omitempty"`
	Nameservers    *nameservers   `json:"nameservers,omitempty"`
}

type match struct {
	MACAddress string `json:"macaddress"`
}

type dhcpOverrides struct {
	UseRoutes bool `json:"use-routes"`
}

type route struct {
	To  string `json:"to"`
	Via string `json:"via"`
}

type nameservers struct {
	Addresses []string `json:"addresses"`
}

// NetworkData is w's network config: the pod network on DHCP, then every spec network with its static
// address or on DHCP. It fails when a static network lacks a usable address or gateway, or a network is
// named like the pod network.
func NetworkData(w *v1alpha1.Wukong) (string, error) {
	ethernets := make(map[string]ethernet, len(w.Spec.Networks)+1)
	ipv4Gateway := false
	for i, n := range w.Spec.Networks {
		if n.Name == PodNetworkName {
			return "", fmt.Errorf("spec.networks[%d].name: %q is reserved for the pod network", i, PodNetworkName)
		}
		eth, v4gw, err := secondary(w, n)
		if err != nil {
			return "", fmt.Errorf("spec.networks[%d].ipConfig: %w", i, err)
		}
		ipv4Gateway = ipv4Gateway || v4gw
		ethernets[n.Name] = eth
	}

	pod := ethernet{
		Match: match{MACAddress: naming.MAC(w.Namespace, w.Name, PodNetworkName)},
		DHCP4: true,
	}
	// A static gateway on a secondary network means the user wants the guest's default route there. The
	// pod network's DHCP server (KubeVirt's masquerade binding) also hands out a default route, and two
	// competing IPv4 default routes make egress pick either one. So the pod network keeps its address but
	// drops the DHCP routes. An IPv6 gateway does not compete with the DHCPv4 route and leaves it alone.
	if ipv4Gateway {
		pod.DHCP4Overrides = &dhcpOverrides{UseRoutes: false}
	}
	ethernets[PodNetworkName] = pod

	b, err := yaml.Marshal(networkConfig{Version: 2, Ethernets: ethernets})
	if err != nil {
		return "", fmt.Errorf("marshal cloud-init network data: %w", err)
	}
	return string(b), nil
}

// secondary is the config of spec network n; v4gw reports a static IPv4 default gateway.
func secondary(w *v1alpha1.Wukong, n v1alpha1.Network) (eth ethernet, v4gw bool, err error) {
	eth.Match = match{MACAddress: naming.MAC(w.Namespace, w.Name, n.Name)}
	c := n.IPConfig
	if c == nil || c.Mode != v1alpha1.IPModeStatic {
		// Absent config and an empty mode both mean DHCP, the API's default.
		eth.DHCP4 = true
		return eth, false, nil
	}
	if _, err := netip.ParsePrefix(c.Address); err != nil {
		return eth, false, fmt.Errorf("address: %q is not an address with a prefix length", c.Address)
	}
	eth.Addresses = []string{c.Address}
	if c.Gateway != "" {
		gw, err := netip.ParseAddr(c.Gateway)
		if err != nil {
			return eth, false, fmt.Errorf("gateway: %q is not an IP address", c.Gateway)
		}
		to := "0.0.0.0/0"
		if !gw.Is4() {
			to = "::/0"
		}
		eth.Routes = []route{{To: to, Via: c.Gateway}}
		v4gw = to == "0.0.0.0/0"
	}
	if len(c.DNSServers) > 0 {
		eth.Nameservers = &nameservers{Addresses: append([]string(nil), c.DNSServers...)}
	}
	return eth, v4gw, nil
}
