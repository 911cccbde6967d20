package multus

import (
	"reflect"
	"strings"
	"testing"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/novasphere/wukong/api/v1alpha1"
)

// member is wukong() as member 0 of set web.
func member() *v1alpha1.Wukong {
	w := wukong()
	yes := true
	w.OwnerReferences = []metav1.OwnerReference{{
		APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "WukongSet", Name: "web", UID: "set-uid",
		Controller: &yes, BlockOwnerDeletion: &yes,
	}}
	return w
}

func TestSharedNameSharesIdenticalSettings(t *testing.T) {
	base := v1alpha1.Network{Name: "lan", Type: v1alpha1.NetworkTypeBridge, BridgeName: "br1", VLANID: int32p(100)}
	with := func(f func(n *v1alpha1.Network)) v1alpha1.Network {
		n := base
		f(&n)
		return n
	}
	tests := []struct {
		name  string
		set   string
		net   v1alpha1.Network
		share bool
	}{
		{"same network", "web", base, true},
		{"other addresses: the guest's, not the attachment's", "web", with(func(n *v1alpha1.Network) {
			n.IPConfig = &v1alpha1.IPConfig{Mode: v1alpha1.IPModeStatic, Address: "10.0.0.7/24"}
		}), true},
		{"empty type is bridge", "web", with(func(n *v1alpha1.Network) { n.Type = "" }), true},
		{"other VLAN", "web", with(func(n *v1alpha1.Network) { n.VLANID = int32p(101) }), false},
		{"no VLAN", "web", with(func(n *v1alpha1.Network) { n.VLANID = nil }), false},
		{"other bridge", "web", with(func(n *v1alpha1.Network) { n.BridgeName = "br2" }), false},
		{"other type", "web", with(func(n *v1alpha1.Network) { n.Type = v1alpha1.NetworkTypeOVS }), false},
		{"other network", "web", with(func(n *v1alpha1.Network) { n.Name = "lan2" }), false},
		{"other set", "db", base, false},
	}
	want, err := SharedName("web", base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SharedName(tt.set, tt.net)
			if err != nil {
				t.Fatal(err)
			}
			if (got == want) != tt.share {
				t.Errorf("SharedName = %q, base %q: shared %v, want %v", got, want, got == want, tt.share)
			}
		})
	}

	// Defaults are applied before hashing: no bridge is br0.
	a, _ := SharedName("web", v1alpha1.Network{Name: "lan"})
	b, _ := SharedName("web", v1alpha1.Network{Name: "lan", Type: v1alpha1.NetworkTypeBridge, BridgeName: DefaultBridge})
	if a != b {
		t.Errorf("defaulted %q and explicit %q bridge networks do not share", a, b)
	}
	// The SR-IOV resource is part of the attachment (an annotation Multus reads); other types ignore it.
	s1, _ := SharedName("web", v1alpha1.Network{Name: "f", Type: v1alpha1.NetworkTypeSRIOV, ResourceName: "a.com/x"})
	s2, _ := SharedName("web", v1alpha1.Network{Name: "f", Type: v1alpha1.NetworkTypeSRIOV, ResourceName: "a.com/y"})
	if s1 == s2 {
		t.Errorf("SR-IOV networks with other resources share %q", s1)
	}
	if _, err := SharedName("web", v1alpha1.Network{Name: "m", Type: v1alpha1.NetworkTypeMacvlan, VLANID: int32p(5)}); err == nil {
		t.Error("SharedName accepted a network Config refuses")
	}
}

func TestSharedNameFitsALabel(t *testing.T) {
	set, network := strings.Repeat("s", 57), strings.Repeat("n", 40) // the API's longest
	a, _ := SharedName(set, v1alpha1.Network{Name: network})
	b, _ := SharedName(set, v1alpha1.Network{Name: network, VLANID: int32p(2)})
	c, _ := SharedName(set, v1alpha1.Network{Name: strings.Repeat("n", 39) + "m"})
	for _, name := range []string{a, b, c} {
		if len(name) != 63 || len(validation.IsDNS1123Label(name)) > 0 {
			t.Errorf("%q (%d characters) is not a DNS-1123 label of 63", name, len(name))
		}
	}
	if a == b || a == c {
		t.Errorf("cut names collide: %q %q %q", a, b, c)
	}
}

func TestMemberAttachments(t *testing.T) {
	w := member()
	got, err := Attachments(w)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	setRef := []metav1.OwnerReference{{
		APIVersion: "vm.novasphere.dev/v1alpha1", Kind: "WukongSet", Name: "web", UID: "set-uid",
		Controller: &yes, BlockOwnerDeletion: &yes,
	}}
	if len(got) != 3 {
		t.Fatalf("%d attachments, want 3", len(got))
	}
	for i, nad := range got {
		n := w.Spec.Networks[i]
		name, _ := SharedName("web", n)
		if nad.Name != name || nad.Namespace != "prod" {
			t.Errorf("attachment %d is %s/%s, want prod/%s", i, nad.Namespace, nad.Name, name)
		}
		if !reflect.DeepEqual(nad.OwnerReferences, setRef) {
			t.Errorf("%s owners = %+v, want the set as controller", nad.Name, nad.OwnerReferences)
		}
		if !reflect.DeepEqual(nad.Labels, map[string]string{v1alpha1.LabelSet: "web"}) {
			t.Errorf("%s labels = %v, want the set's only", nad.Name, nad.Labels)
		}
		config, _ := Config(name, n)
		if nad.Spec.Config != config {
			t.Errorf("%s config = %s, want %s", nad.Name, nad.Spec.Config, config)
		}
		if want := "prod/" + name; NetworkName(w, n) != want {
			t.Errorf("NetworkName(%s) = %q, want %q", n.Name, NetworkName(w, n), want)
		}
	}
	if got[2].Annotations[ResourceNameAnnotation] != "intel.com/sriov_netdevice" {
		t.Errorf("sriov attachment annotations = %v", got[2].Annotations)
	}
	// nadName networks are not touched by sharing.
	if got := NetworkName(w, w.Spec.Networks[4]); got != "prod/shared" {
		t.Errorf("NetworkName(local) = %q, want prod/shared", got)
	}

	// A network whose existing VM refers to the member's own attachment keeps it, owned by the member.
	in := InUse{Refs: map[string]string{"dmz": "web-0-dmz"}}
	kept, err := AttachmentsFor(w, in)
	if err != nil {
		t.Fatal(err)
	}
	if kept[1].Name != "web-0-dmz" || metav1.GetControllerOf(kept[1]).Kind != "Wukong" || kept[1].Labels[v1alpha1.LabelWukong] != "web-0" {
		t.Errorf("kept attachment = %s controlled by %+v, labels %v; want web-0-dmz of the Wukong",
			kept[1].Name, metav1.GetControllerOf(kept[1]), kept[1].Labels)
	}
	if !strings.Contains(kept[1].Spec.Config, `"name":"web-0-dmz"`) {
		t.Errorf("kept attachment config %s does not carry its name", kept[1].Spec.Config)
	}
	if kept[0].Name != got[0].Name {
		t.Errorf("a network not kept moved off the shared attachment: %s", kept[0].Name)
	}
	if got := NetworkNameFor(w, w.Spec.Networks[1], in); got != "prod/web-0-dmz" {
		t.Errorf("NetworkNameFor(dmz, kept) = %q, want prod/web-0-dmz", got)
	}

	// An unowned shared attachment (its set deleted with --cascade=orphan) is used and not written.
	lanShared, _ := SharedName("web", w.Spec.Networks[0])
	in = InUse{Unowned: map[string]bool{lanShared: true}}
	unowned, err := AttachmentsFor(w, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(unowned) != 2 || unowned[0].Name == lanShared {
		t.Errorf("attachments with %s unowned = %d, first %s; want it left out", lanShared, len(unowned), unowned[0].Name)
	}
	if got := NetworkNameFor(w, w.Spec.Networks[0], in); got != "prod/"+lanShared {
		t.Errorf("NetworkNameFor(lan, unowned) = %q, want prod/%s", got, lanShared)
	}

	// A Wukong its set released or orphaned (only the set label is left) gets its own attachment for a new
	// VM, but an existing VM keeps the set's and nobody writes it.
	lone := member()
	lone.OwnerReferences = nil
	if SetOf(lone) != nil {
		t.Error("SetOf took a set label for a controller")
	}
	if got := NetworkName(lone, lone.Spec.Networks[0]); got != "prod/web-0-lan" {
		t.Errorf("NetworkName(lone) = %q, want prod/web-0-lan", got)
	}
	in = InUse{Refs: map[string]string{"lan": lanShared}}
	if got := NetworkNameFor(lone, lone.Spec.Networks[0], in); got != "prod/"+lanShared {
		t.Errorf("NetworkNameFor(released, lan) = %q, want prod/%s", got, lanShared)
	}
	if nads, _ := AttachmentsFor(lone, in); len(nads) != 2 || nads[0].Name != "web-0-dmz" {
		t.Errorf("a released member writes %d attachments; want only its own dmz and fast", len(nads))
	}
	other := member()
	other.OwnerReferences[0].Kind = "StatefulSet"
	if SetOf(other) != nil {
		t.Error("SetOf took a StatefulSet for a WukongSet")
	}
}

func TestVMRefs(t *testing.T) {
	vm := func(names map[string]string) *kubevirtv1.VirtualMachine {
		v := &kubevirtv1.VirtualMachine{Spec: kubevirtv1.VirtualMachineSpec{Template: &kubevirtv1.VirtualMachineInstanceTemplateSpec{}}}
		v.Spec.Template.Spec.Networks = append(v.Spec.Template.Spec.Networks, kubevirtv1.Network{
			Name: "default", NetworkSource: kubevirtv1.NetworkSource{Pod: &kubevirtv1.PodNetwork{}},
		})
		for name, to := range names {
			v.Spec.Template.Spec.Networks = append(v.Spec.Template.Spec.Networks, kubevirtv1.Network{
				Name: name, NetworkSource: kubevirtv1.NetworkSource{Multus: &kubevirtv1.MultusNetwork{NetworkName: to}},
			})
		}
		return v
	}
	w := member()
	shared, _ := SharedName("web", w.Spec.Networks[0])
	oldShared, _ := SharedName("web", v1alpha1.Network{Name: "lan", BridgeName: "br9"})
	released := member()
	released.OwnerReferences = nil
	stranger := member()
	stranger.OwnerReferences, stranger.Labels = nil, nil
	tests := []struct {
		name string
		w    *v1alpha1.Wukong
		vm   *kubevirtv1.VirtualMachine
		want map[string]string
	}{
		{"no VM yet", w, nil, nil},
		{"own with namespace", w, vm(map[string]string{"lan": "prod/web-0-lan"}), map[string]string{"lan": "web-0-lan"}},
		{"own without namespace", w, vm(map[string]string{"dmz": "web-0-dmz"}), map[string]string{"dmz": "web-0-dmz"}},
		{"the set's shared", w, vm(map[string]string{"lan": "prod/" + shared}), map[string]string{"lan": shared}},
		{"a shared one of other settings: the template changed", w, vm(map[string]string{"lan": "prod/" + oldShared}), nil},
		{"another namespace's", w, vm(map[string]string{"lan": "other/web-0-lan"}), nil},
		{"nadName networks are not the operator's", w, vm(map[string]string{"local": "prod/shared", "ext": "prod/web-0-ext"}), nil},
		{"a network of another name", w, vm(map[string]string{"wan": "prod/web-0-lan"}), nil},
		{"released: the set label names the set", released, vm(map[string]string{"lan": "prod/" + shared}), map[string]string{"lan": shared}},
		{"no set at all", stranger, vm(map[string]string{"lan": "prod/" + shared, "dmz": "prod/web-0-dmz"}), map[string]string{"dmz": "web-0-dmz"}},
		{"several", w, vm(map[string]string{"lan": "prod/web-0-lan", "fast": "prod/web-0-fast", "dmz": "prod/" + shared}),
			map[string]string{"lan": "web-0-lan", "fast": "web-0-fast"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VMRefs(tt.w, tt.vm); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("VMRefs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUnowned(t *testing.T) {
	yes := true
	nad := func(labels map[string]string, controller bool) *nadv1.NetworkAttachmentDefinition {
		n := &nadv1.NetworkAttachmentDefinition{ObjectMeta: metav1.ObjectMeta{Labels: labels}}
		if controller {
			n.OwnerReferences = []metav1.OwnerReference{{Kind: "WukongSet", Name: "web", UID: "old", Controller: &yes}}
		}
		return n
	}
	set := map[string]string{v1alpha1.LabelSet: "web"}
	for _, tt := range []struct {
		name string
		nad  *nadv1.NetworkAttachmentDefinition
		want bool
	}{
		{"orphaned by its set", nad(set, false), true},
		{"controlled", nad(set, true), false},
		{"another set's", nad(map[string]string{v1alpha1.LabelSet: "db"}, false), false},
		{"a user's", nad(nil, false), false},
	} {
		if got := Unowned(tt.nad, "web"); got != tt.want {
			t.Errorf("%s: Unowned = %v, want %v", tt.name, got, tt.want)
		}
	}
}
