package sim

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

func TestParseNetworkData(t *testing.T) {
	for _, c := range []struct {
		name, data string
		wantErr    bool
		wantKeys   []string
	}{
		{"bare v2", "version: 2\nethernets:\n  lan:\n    match: {macaddress: '02:00:00:00:00:01'}\n    addresses: [10.0.0.5/24]\n", false, []string{"lan"}},
		{"under network:", "network:\n  version: 2\n  ethernets:\n    eth0: {dhcp4: true}\n", false, []string{"eth0"}},
		{"version 1", "version: 1\nconfig: []\n", true, nil},
		{"not YAML", "version: [2\n", true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			nc, err := parseNetworkData([]byte(c.data))
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			var keys []string
			for k := range nc.Ethernets {
				keys = append(keys, k)
			}
			if !slices.Equal(keys, c.wantKeys) {
				t.Errorf("ethernets = %v, want %v", keys, c.wantKeys)
			}
		})
	}
}

func TestInterfaceStatuses(t *testing.T) {
	spec := &kubevirtv1.VirtualMachineInstanceSpec{
		Domain: kubevirtv1.DomainSpec{Devices: kubevirtv1.Devices{Interfaces: []kubevirtv1.Interface{
			{Name: "default", MacAddress: "02:00:00:00:00:00"},
			{Name: "static", MacAddress: "02:AA:00:00:00:01"},
			{Name: "dhcp", MacAddress: "02:00:00:00:00:02"},
			{Name: "byname"},
			{Name: "off", MacAddress: "02:00:00:00:00:04"},
			{Name: "orphan", MacAddress: "02:00:00:00:00:05"},
		}}},
		Networks: []kubevirtv1.Network{
			{Name: "default", NetworkSource: kubevirtv1.NetworkSource{Pod: &kubevirtv1.PodNetwork{}}},
			{Name: "static", NetworkSource: kubevirtv1.NetworkSource{Multus: &kubevirtv1.MultusNetwork{NetworkName: "a"}}},
			{Name: "dhcp", NetworkSource: kubevirtv1.NetworkSource{Multus: &kubevirtv1.MultusNetwork{NetworkName: "b"}}},
			{Name: "byname", NetworkSource: kubevirtv1.NetworkSource{Multus: &kubevirtv1.MultusNetwork{NetworkName: "c"}}},
			{Name: "off", NetworkSource: kubevirtv1.NetworkSource{Multus: &kubevirtv1.MultusNetwork{NetworkName: "d"}}},
		},
	}
	nc, err := parseNetworkData([]byte(`version: 2
ethernets:
  default: {match: {macaddress: "02:00:00:00:00:00"}, dhcp4: true}
  static: {match: {macaddress: "02:aa:00:00:00:01"}, addresses: ["192.168.1.100/24", "fd00::5/64"], dhcp4: false}
  dhcp: {match: {macaddress: "02:00:00:00:00:02"}, dhcp4: true}
  eth3: {addresses: ["10.9.9.9/8"]}
  off: {match: {macaddress: "02:00:00:00:00:04"}, dhcp4: false}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := interfaceStatuses("ns", "vm", spec, nc, nil)
	want := []struct {
		ifName string
		ips    []string
		prefix string
	}{
		{"eth0", nil, "10.244."},
		{"eth1", []string{"192.168.1.100", "fd00::5"}, ""},
		{"eth2", nil, "172.30."},
		{"eth3", []string{"10.9.9.9"}, ""},
		{"eth4", nil, ""},
		{"eth5", nil, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d interfaces, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		switch {
		case g.InterfaceName != w.ifName:
			t.Errorf("%s: interfaceName %q, want %q", g.Name, g.InterfaceName, w.ifName)
		case w.ips != nil && (!slices.Equal(g.IPs, w.ips) || g.IP != w.ips[0]):
			t.Errorf("%s: ips %q ip %q, want %q", g.Name, g.IPs, g.IP, w.ips)
		case w.prefix != "" && (len(g.IPs) != 1 || len(g.IP) <= len(w.prefix) || g.IP[:len(w.prefix)] != w.prefix):
			t.Errorf("%s: ips %q, want one in %s", g.Name, g.IPs, w.prefix)
		case w.ips == nil && w.prefix == "" && len(g.IPs) != 0:
			t.Errorf("%s: ips %q, want none", g.Name, g.IPs)
		}
	}
	if got[3].MAC == "" || got[3].MAC != generatedMAC("ns", "vm", "byname") {
		t.Errorf("generated MAC = %q", got[3].MAC)
	}
	if again := interfaceStatuses("ns", "vm", spec, nc, nil); !slices.EqualFunc(got, again, func(a, b kubevirtv1.VirtualMachineInstanceNetworkInterface) bool {
		return a.IP == b.IP && a.MAC == b.MAC
	}) {
		t.Error("addresses are not stable")
	}

	// Unreadable network data: the guest configures nothing but what the pod network gives it.
	broken := interfaceStatuses("ns", "vm", spec, nil, errors.New("bad"))
	if broken[0].IP == "" || broken[2].IP != "" {
		t.Errorf("with unreadable network data: pod %q dhcp %q", broken[0].IP, broken[2].IP)
	}
}

func TestNodeFor(t *testing.T) {
	nodes := []string{"a", "b", "c"}
	if got := nodeFor("ns", "vm", map[string]string{hostnameLabel: "pinned"}, nodes); got != "pinned" {
		t.Errorf("hostname selector: got %q", got)
	}
	first := nodeFor("ns", "vm", map[string]string{"disk": "ssd"}, nodes)
	if !slices.Contains(nodes, first) || nodeFor("ns", "vm", nil, nodes) != first {
		t.Errorf("node %q is not one of %v or not stable", first, nodes)
	}
	spread := map[string]bool{}
	for _, n := range []string{"vm-0", "vm-1", "vm-2", "vm-3", "vm-4", "vm-5", "vm-6", "vm-7"} {
		spread[nodeFor("ns", n, nil, nodes)] = true
	}
	if len(spread) < 2 {
		t.Errorf("eight VMs all on %v", spread)
	}
}

// multusVMI is an instance in namespace ns whose Multus networks select the given names.
func multusVMI(ns string, selections ...string) *kubevirtv1.VirtualMachineInstance {
	vmi := &kubevirtv1.VirtualMachineInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vm"}}
	vmi.Spec.Networks = []kubevirtv1.Network{{Name: "default", NetworkSource: kubevirtv1.NetworkSource{Pod: &kubevirtv1.PodNetwork{}}}}
	for i, sel := range selections {
		vmi.Spec.Networks = append(vmi.Spec.Networks, kubevirtv1.Network{
			Name: string(rune('a' + i)), NetworkSource: kubevirtv1.NetworkSource{Multus: &kubevirtv1.MultusNetwork{NetworkName: sel}},
		})
	}
	return vmi
}

func TestAttachmentRefs(t *testing.T) {
	got := attachmentRefs(multusVMI("prod", "prod/web-0-lan", "shared", "other/net@eth5", "net2@eth6"))
	want := []types.NamespacedName{
		{Namespace: "prod", Name: "web-0-lan"},
		{Namespace: "prod", Name: "shared"},
		{Namespace: "other", Name: "net"},
		{Namespace: "prod", Name: "net2"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("attachmentRefs = %v, want %v", got, want)
	}
}

// TestMissingAttachment looks attachments up on the apiserver as KubeVirt does: by name, whoever owns them
// (here nobody, as a WukongSet's shared attachment is no Wukong's), and reports a missing one in KubeVirt's words.
func TestMissingAttachment(t *testing.T) {
	ctx := context.Background()
	ns, err := env.Namespace(ctx, "sim-nad")
	if err != nil {
		t.Fatal(err)
	}
	create(t, &nadv1.NetworkAttachmentDefinition{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-lan-0123456789"},
		Spec:       nadv1.NetworkAttachmentDefinitionSpec{Config: `{"cniVersion":"0.3.1","type":"bridge","bridge":"br1"}`},
	})
	msg, err := missingAttachment(ctx, env.Client, multusVMI(ns, ns+"/web-lan-0123456789", "web-lan-0123456789"))
	if err != nil || msg != "" {
		t.Errorf("missingAttachment with every attachment present = %q, %v; want none", msg, err)
	}
	msg, err = missingAttachment(ctx, env.Client, multusVMI(ns, ns+"/web-lan-0123456789", ns+"/web-0-dmz"))
	if err != nil {
		t.Fatal(err)
	}
	want := "failed to locate network attachment definition for " + ns + "/web-0-dmz: "
	if !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, `"web-0-dmz" not found`) {
		t.Errorf("missingAttachment = %q, want KubeVirt's %q...not found", msg, want)
	}
}
