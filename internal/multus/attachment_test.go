package multus

import (
	"reflect"
	"strings"
	"testing"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

func int32p(v int32) *int32 { return &v }

// wukong is the shared fixture: one network of each kind the builders treat differently.
func wukong() *v1alpha1.Wukong {
	return &v1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-0", Namespace: "prod", UID: "uid-1",
			Labels: map[string]string{"app": "web", v1alpha1.LabelSet: "web"},
		},
		Spec: v1alpha1.WukongSpec{
			Networks: []v1alpha1.Network{
				{Name: "lan", Type: v1alpha1.NetworkTypeBridge, BridgeName: "br1", VLANID: int32p(100),
					IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeStatic, Address: "192.168.10.5/24",
						Gateway: "192.168.10.1", DNSServers: []string{"1.1.1.1", "8.8.8.8"}}},
				{Name: "dmz", Type: v1alpha1.NetworkTypeMacvlan, BridgeName: "eth1",
					IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeDHCP}},
				{Name: "fast", Type: v1alpha1.NetworkTypeSRIOV, ResourceName: "intel.com/sriov_netdevice"},
				{Name: "ext", Type: v1alpha1.NetworkTypeBridge, NADName: "other-ns/shared"},
				{Name: "local", Type: v1alpha1.NetworkTypeBridge, NADName: "shared"},
			},
		},
	}
}

func TestAttachments(t *testing.T) {
	w := wukong()
	got, err := Attachments(w)
	if err != nil {
		t.Fatalf("Attachments: %v", err)
	}
	yes := true
	meta := func(name string, annotations map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Name: name, Namespace: "prod", Annotations: annotations,
			Labels: map[string]string{"vm.novasphere.dev/wukong": "web-0"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "Wukong", Name: "web-0", UID: "uid-1",
				Controller: &yes, BlockOwnerDeletion: &yes,
			}},
		}
	}
	tm := metav1.TypeMeta{APIVersion: "k8s.cni.cncf.io/v1", Kind: "NetworkAttachmentDefinition"}
	// Networks with a nadName get no attachment of their own.
	want := []*nadv1.NetworkAttachmentDefinition{
		{TypeMeta: tm, ObjectMeta: meta("web-0-lan", nil), Spec: nadv1.NetworkAttachmentDefinitionSpec{
			Config: `{"cniVersion":"0.3.1","name":"web-0-lan","type":"bridge","bridge":"br1","vlan":100,"ipam":{}}`}},
		{TypeMeta: tm, ObjectMeta: meta("web-0-dmz", nil), Spec: nadv1.NetworkAttachmentDefinitionSpec{
			Config: `{"cniVersion":"0.3.1","name":"web-0-dmz","type":"macvlan","master":"eth1","mode":"bridge","ipam":{}}`}},
		{TypeMeta: tm, ObjectMeta: meta("web-0-fast", map[string]string{"k8s.v1.cni.cncf.io/resourceName": "intel.com/sriov_netdevice"}),
			Spec: nadv1.NetworkAttachmentDefinitionSpec{
				Config: `{"cniVersion":"0.3.1","name":"web-0-fast","type":"sriov","ipam":{}}`}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d attachments, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("attachment %d\n got: %+v\nwant: %+v", i, got[i], want[i])
		}
	}
	again, _ := Attachments(w)
	if !reflect.DeepEqual(got, again) {
		t.Error("Attachments is not deterministic")
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		net     v1alpha1.Network
		want    string
		wantErr string
	}{
		{name: "bridge defaults", net: v1alpha1.Network{Name: "a", Type: v1alpha1.NetworkTypeBridge},
			want: `{"cniVersion":"0.3.1","name":"nad","type":"bridge","bridge":"br0","ipam":{}}`},
		{name: "empty type is bridge", net: v1alpha1.Network{Name: "a"},
			want: `{"cniVersion":"0.3.1","name":"nad","type":"bridge","bridge":"br0","ipam":{}}`},
		{name: "bridge with vlan", net: v1alpha1.Network{Name: "a", Type: v1alpha1.NetworkTypeBridge, BridgeName: "br1", VLANID: int32p(100)},
			want: `{"cniVersion":"0.3.1","name":"nad","type":"bridge","bridge":"br1","vlan":100,"ipam":{}}`},
		{name: "macvlan without master", net: v1alpha1.Network{Name: "a", Type: v1alpha1.NetworkTypeMacvlan},
			want: `{"cniVersion":"0.3.1","name":"nad","type":"macvlan","mode":"bridge","ipam":{}}`},
		{name: "macvlan with master", net: v1alpha1.Network{Name: "a", Type: v1alpha1.NetworkTypeMacvlan, BridgeName: "eth1"},
			want: `{"cniVersion":"0.3.1","name":"nad","type":"macvlan","master":"eth1","mode":"bridge","ipam":{}}`},
		{name: "sriov with vlan ignores bridge", net: v1alpha1.Network{Name: "a", Type: v1alpha1.NetworkTypeSRIOV, BridgeName: "br9", VLANID: int32p(7)},
			want: `{"cniVersion":"0.3.1","name":"nad","type":"sriov","vlan":7,"ipam":{}}`},
		{name: "ovs defaults has no ipam", net: v1alpha1.Network{Name: "a", Type: v1alpha1.NetworkTypeOVS},
			want: `{"cniVersion":"0.3.1","name":"nad","type":"ovs","bridge":"br0"}`},
		{name: "ovs with bridge and vlan", net: v1alpha1.Network{Name: "a", Type: v1alpha1.NetworkTypeOVS, BridgeName: "ovsbr", VLANID: int32p(4094)},
			want: `{"cniVersion":"0.3.1","name":"nad","type":"ovs","bridge":"ovsbr","vlan":4094}`},
		{name: "macvlan with vlan", net: v1alpha1.Network{Name: "a", Type: v1alpha1.NetworkTypeMacvlan, VLANID: int32p(5)},
			wantErr: "vlanId: not supported for macvlan networks"},
		{name: "unknown type", net: v1alpha1.Network{Name: "a", Type: "vxlan"},
			wantErr: `type: unsupported network type "vxlan"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Config("nad", tt.net)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Config: %v", err)
			}
			if got != tt.want {
				t.Errorf("Config\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestAttachmentsErrorNamesField(t *testing.T) {
	w := wukong()
	w.Spec.Networks[2].Type = "vxlan"
	_, err := Attachments(w)
	if err == nil || !strings.HasPrefix(err.Error(), "spec.networks[2]: type:") {
		t.Fatalf("error = %v, want it to name spec.networks[2]", err)
	}
}

func TestNetworkName(t *testing.T) {
	w := wukong()
	tests := []struct {
		net  v1alpha1.Network
		want string
	}{
		{v1alpha1.Network{Name: "lan"}, "prod/web-0-lan"},
		{v1alpha1.Network{Name: "ext", NADName: "other-ns/shared"}, "other-ns/shared"},
		{v1alpha1.Network{Name: "local", NADName: "shared"}, "prod/shared"},
	}
	for _, tt := range tests {
		if got := NetworkName(w, tt.net); got != tt.want {
			t.Errorf("NetworkName(%s) = %q, want %q", tt.net.Name, got, tt.want)
		}
	}
}
