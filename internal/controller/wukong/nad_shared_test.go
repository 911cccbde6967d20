package wukong_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/multus"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/test/testenv"
)

// newSet is a WukongSet of replicas members built from newWukong's spec with the given networks.
func newSet(ns, name string, replicas int32, networks ...vmv1alpha1.Network) *vmv1alpha1.WukongSet {
	spec := newWukong(ns, name).Spec
	spec.Networks = networks
	return &vmv1alpha1.WukongSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: vmv1alpha1.WukongSetSpec{
			Replicas: ptr.To(replicas),
			Template: vmv1alpha1.WukongTemplateSpec{Spec: spec},
		},
	}
}

// attachments lists the namespace's NetworkAttachmentDefinitions by name.
func attachments(t *testing.T, ns string) map[string]nadv1.NetworkAttachmentDefinition {
	t.Helper()
	var list nadv1.NetworkAttachmentDefinitionList
	if err := h.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatalf("list NetworkAttachmentDefinitions: %v", err)
	}
	out := map[string]nadv1.NetworkAttachmentDefinition{}
	for _, nad := range list.Items {
		out[nad.Name] = nad
	}
	return out
}

// vmNetworkNames maps each Multus network of the VM named name to the attachment it refers to.
func vmNetworkNames(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	vm := get(t, ns, name, &kubevirtv1.VirtualMachine{})
	out := map[string]string{}
	for _, n := range vm.Spec.Template.Spec.Networks {
		if n.Multus != nil {
			out[n.Name] = n.Multus.NetworkName
		}
	}
	return out
}

// controlledBy reports as an error how obj's controller differs from the object of kind and uid.
func controlledBy(obj metav1.Object, kind string, uid string) error {
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.Kind != kind || string(ref.UID) != uid || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		return fmt.Errorf("%s is controlled by %+v, want %s %s blocking its deletion", obj.GetName(), ref, kind, uid)
	}
	return nil
}

// TestSetMembersShareAttachments: the members of a set share one attachment per distinct network, owned by
// the set; a network whose settings differ by index (the bridge here) gets one per distinct setting, and
// addresses that differ by index (configured by the guest, not the attachment) do not split one. No member
// has one of its own, and every member runs.
func TestSetMembersShareAttachments(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	set := newSet(ns, "web", 3,
		vmv1alpha1.Network{Name: "lan", Type: vmv1alpha1.NetworkTypeBridge, BridgeName: "br1", VLANID: ptr.To[int32](100),
			IPConfig: &vmv1alpha1.IPConfig{Mode: vmv1alpha1.IPModeStatic, Address: "192.168.10.${INDEX+10}/24"}},
		vmv1alpha1.Network{Name: "rack", Type: vmv1alpha1.NetworkTypeBridge, BridgeName: "rk${INDEX}"},
	)
	create(t, set)
	for i := range 3 {
		waitPhase(t, ns, naming.Member("web", i), vmv1alpha1.WukongRunning)
	}

	lan, err := multus.SharedName("web", vmv1alpha1.Network{Name: "lan", Type: vmv1alpha1.NetworkTypeBridge, BridgeName: "br1", VLANID: ptr.To[int32](100)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{lan}
	for i := range 3 {
		m := get(t, ns, naming.Member("web", i), &vmv1alpha1.Wukong{})
		rack, err := multus.SharedName("web", m.Spec.Networks[1])
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, rack)
		got := vmNetworkNames(t, ns, m.Name)
		if got["lan"] != ns+"/"+lan || got["rack"] != ns+"/"+rack {
			t.Errorf("VM %s refers to %v, want lan %s/%s and rack %s/%s", m.Name, got, ns, lan, ns, rack)
		}
	}
	nads := attachments(t, ns)
	var names []string
	for name, nad := range nads {
		names = append(names, name)
		if err := controlledBy(&nad, "WukongSet", string(set.UID)); err != nil {
			t.Error(err)
		}
		if l := nad.Labels[vmv1alpha1.LabelSet]; l != "web" {
			t.Errorf("%s label %s = %q, want web", name, vmv1alpha1.LabelSet, l)
		}
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("attachments %v, want %v (one shared lan, one rack per bridge)", names, want)
	}
	sameData(t, "CNI config of "+lan, nads[lan].Spec.Config, map[string]any{
		"cniVersion": "0.3.1", "name": lan, "type": "bridge", "bridge": "br1", "vlan": 100, "ipam": map[string]any{},
	})
}

// TestAttachmentOwnership: a Wukong no set controls owns its attachment <wukong>-<network>. When a set adopts
// it, its VM keeps referring to that attachment — switching would be a template change KubeVirt applies only
// by a restart — while a member created by the set uses the set's shared one. This is the path of a set
// created before attachments were shared.
func TestAttachmentOwnership(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	lan := vmv1alpha1.Network{Name: "lan", Type: vmv1alpha1.NetworkTypeBridge, BridgeName: "br1"}

	old := newWukong(ns, "db-0")
	old.Labels = map[string]string{vmv1alpha1.LabelSet: "db"}
	old.Spec.Networks = []vmv1alpha1.Network{lan}
	create(t, old)
	old = waitPhase(t, ns, "db-0", vmv1alpha1.WukongRunning)
	own := naming.Attachment("db-0", "lan")
	if err := controlledBy(get(t, ns, own, &nadv1.NetworkAttachmentDefinition{}), "Wukong", string(old.UID)); err != nil {
		t.Error(err)
	}
	if got := vmNetworkNames(t, ns, "db-0")["lan"]; got != ns+"/"+own {
		t.Errorf("lone Wukong's VM refers to %s, want %s/%s", got, ns, own)
	}
	started := vmi(t, ns, "db-0")

	set := newSet(ns, "db", 2, lan)
	create(t, set)
	waitFor(t, ns, "db-0", func(w *vmv1alpha1.Wukong) error {
		if ref := metav1.GetControllerOf(w); ref == nil || ref.UID != set.UID {
			return fmt.Errorf("db-0 is not adopted yet: controller %+v", ref)
		}
		return phaseIs(vmv1alpha1.WukongRunning)(w)
	})
	waitPhase(t, ns, "db-1", vmv1alpha1.WukongRunning)
	shared, err := multus.SharedName("db", lan)
	if err != nil {
		t.Fatal(err)
	}
	if got := vmNetworkNames(t, ns, "db-1")["lan"]; got != ns+"/"+shared {
		t.Errorf("new member's VM refers to %s, want the shared %s/%s", got, ns, shared)
	}
	if err := controlledBy(get(t, ns, shared, &nadv1.NetworkAttachmentDefinition{}), "WukongSet", string(set.UID)); err != nil {
		t.Error(err)
	}

	// Let the adopted member's reconciles run their course, then check that nothing moved it.
	waitFor(t, ns, "db-0", func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionTrue, "")
	})
	if got := vmNetworkNames(t, ns, "db-0")["lan"]; got != ns+"/"+own {
		t.Errorf("adopted member's VM was switched to %s, want it kept on %s/%s", got, ns, own)
	}
	vm := get(t, ns, "db-0", &kubevirtv1.VirtualMachine{})
	for _, c := range vm.Status.Conditions {
		if c.Type == kubevirtv1.VirtualMachineRestartRequired && c.Status == corev1.ConditionTrue {
			t.Errorf("adopted member's VM requires a restart: %s", c.Message)
		}
	}
	if now := vmi(t, ns, "db-0"); now == nil || now.UID != started.UID {
		t.Errorf("adopted member's instance was replaced")
	}
	if err := controlledBy(get(t, ns, own, &nadv1.NetworkAttachmentDefinition{}), "Wukong", string(old.UID)); err != nil {
		t.Error(err)
	}
	if n := len(attachments(t, ns)); n != 2 {
		t.Errorf("%d attachments, want 2: db-0's own and the set's shared one", n)
	}
}

// TestOrphanedMembersKeepAttachments follows docs/wukongset.md's `kubectl delete wukongset --cascade=orphan`:
// the members stay, no longer controlled, and so does the shared attachment, which the garbage collector
// orphans too. The members' VMs keep referring to it — no restart — and a new set of the same name adopts
// the members and uses the attachment as it is (writing it would be a conflict: the new set does not
// control it), for a new member too.
func TestOrphanedMembersKeepAttachments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := namespace(t)
	lan := vmv1alpha1.Network{Name: "lan", Type: vmv1alpha1.NetworkTypeBridge, BridgeName: "br1"}
	set := newSet(ns, "keep", 2, lan)
	create(t, set)
	started := map[string]*kubevirtv1.VirtualMachineInstance{}
	for i := range 2 {
		name := naming.Member("keep", i)
		waitSettled(t, ns, name)
		started[name] = vmi(t, ns, name)
	}
	shared, err := multus.SharedName("keep", lan)
	if err != nil {
		t.Fatal(err)
	}

	if err := h.Client.Delete(ctx, set, client.PropagationPolicy(metav1.DeletePropagationOrphan)); err != nil {
		t.Fatal(err)
	}
	eventually(t, timeout, func() error {
		if nad := get(t, ns, shared, &nadv1.NetworkAttachmentDefinition{}); len(nad.OwnerReferences) > 0 {
			return fmt.Errorf("attachment %s still has owners %+v", shared, nad.OwnerReferences)
		}
		for name := range started {
			if w := get(t, ns, name, &vmv1alpha1.Wukong{}); len(w.OwnerReferences) > 0 {
				return fmt.Errorf("%s still has owners %+v", name, w.OwnerReferences)
			}
		}
		if testenv.Exists(t, h.Client, ns, "keep", &vmv1alpha1.WukongSet{}) {
			return fmt.Errorf("set keep is not deleted yet")
		}
		return nil
	})
	// The orphaned members, on their own now, are reconciled: their VMs stay on the set's attachment.
	for name, before := range started {
		waitSettled(t, ns, name)
		if got := vmNetworkNames(t, ns, name)["lan"]; got != ns+"/"+shared {
			t.Errorf("orphaned %s's VM was moved to %s, want it kept on %s/%s", name, got, ns, shared)
		}
		if now := vmi(t, ns, name); now == nil || now.UID != before.UID {
			t.Errorf("orphaned %s's instance was replaced", name)
		}
	}

	again := newSet(ns, "keep", 3, lan)
	create(t, again)
	waitSettled(t, ns, "keep-2")
	for name, before := range started {
		w := waitSettled(t, ns, name)
		if ref := metav1.GetControllerOf(w); ref == nil || ref.UID != again.UID {
			t.Errorf("%s is not adopted by the new set: %+v", name, ref)
		}
		if now := vmi(t, ns, name); now == nil || now.UID != before.UID {
			t.Errorf("%s's instance was replaced", name)
		}
		if err := conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionTrue, ""); err != nil {
			t.Error(err)
		}
	}
	for _, name := range []string{"keep-0", "keep-1", "keep-2"} {
		if got := vmNetworkNames(t, ns, name)["lan"]; got != ns+"/"+shared {
			t.Errorf("%s's VM refers to %s, want %s/%s", name, got, ns, shared)
		}
	}
	if n := len(attachments(t, ns)); n != 1 {
		t.Errorf("%d attachments, want the one orphaned", n)
	}
}
