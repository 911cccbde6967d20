package wukongset_test

import (
	"fmt"
	"maps"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// identity is what must survive an update of a member that keeps its data: the member, its VM, its
// DataVolumes (by name), and the firmware UUID KubeVirt uses as cloud-init's instance id; and, to tell
// restarts apart, its VM instance.
type identity struct {
	member, vm, instance types.UID
	dataVolumes          map[string]types.UID
	firmware             string
}

// snapshot records the identity of every member of set.
func snapshot(t *testing.T, set *vmv1alpha1.WukongSet) map[string]identity {
	t.Helper()
	out := map[string]identity{}
	for _, m := range members(t.Context(), t, set) {
		out[m.Name] = identityOf(t, &m)
	}
	return out
}

// identityOf records the identity of one Wukong.
func identityOf(t *testing.T, m *vmv1alpha1.Wukong) identity {
	t.Helper()
	id := identity{member: m.UID, dataVolumes: map[string]types.UID{}}
	vm := &kubevirtv1.VirtualMachine{}
	if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: m.Namespace, Name: m.Name}, vm); err == nil {
		id.vm = vm.UID
		if fw := vm.Spec.Template.Spec.Domain.Firmware; fw != nil {
			id.firmware = string(fw.UUID) + "/" + fw.Serial
		}
	}
	vmi := &kubevirtv1.VirtualMachineInstance{}
	if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: m.Namespace, Name: m.Name}, vmi); err == nil {
		id.instance = vmi.UID
	}
	var dvs cdiv1.DataVolumeList
	if err := h.Client.List(t.Context(), &dvs, client.InNamespace(m.Namespace), client.MatchingLabels{vmv1alpha1.LabelWukong: m.Name}); err != nil {
		t.Fatal(err)
	}
	for _, dv := range dvs.Items {
		id.dataVolumes[dv.Name] = dv.UID
	}
	return id
}

// sameIdentity checks that every member of before still exists with its VM, DataVolumes and firmware.
func sameIdentity(t *testing.T, before, after map[string]identity) {
	t.Helper()
	for name, b := range before {
		a, ok := after[name]
		switch {
		case !ok:
			t.Errorf("member %s is gone", name)
		case a.member != b.member || a.vm != b.vm || !maps.Equal(a.dataVolumes, b.dataVolumes) || a.firmware != b.firmware || b.firmware == "":
			t.Errorf("member %s lost identity or data:\n before %+v\n after  %+v", name, b, a)
		}
	}
}

// TestRolloutLabelOnly changes a template label: every member, VM and running instance is updated in place,
// and no instance is replaced.
func TestRolloutLabelOnly(t *testing.T) {
	const replicas = 4
	set := basicSet(t, "rollout-label", replicas)
	set.Spec.UpdateStrategy = rolling(1, 0)
	set, _ = createRolledOut(t, set)
	before := snapshot(t, set)

	s := startSampler(t, set, "LabelOnly", replicas, 0, 0)
	changed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) {
		if ws.Spec.Template.Metadata.Labels == nil {
			ws.Spec.Template.Metadata.Labels = map[string]vmv1alpha1.TemplateString{}
		}
		ws.Spec.Template.Metadata.Labels["tier"] = "gold-${INDEX}"
	})
	s.markChange(changed.Generation)
	waitRolledOut(t, set)
	minReady, _ := s.report()
	if minReady < replicas {
		t.Errorf("min Ready %d during a label-only rollout of %d members: something restarted", minReady, replicas)
	}
	after := snapshot(t, set)
	sameIdentity(t, before, after)
	for name, b := range before {
		if after[name].instance != b.instance {
			t.Errorf("member %s: VM instance replaced (%s -> %s) by a label change", name, b.instance, after[name].instance)
		}
	}
	eventually(t, rolloutTimeout, func() error {
		for _, m := range members(t.Context(), t, set) {
			vmi := &kubevirtv1.VirtualMachineInstance{}
			if err := h.Client.Get(t.Context(), client.ObjectKeyFromObject(&m), vmi); err != nil {
				return err
			}
			want := "gold-" + m.Labels[vmv1alpha1.LabelIndex]
			if m.Labels["tier"] != want || vmi.Labels["tier"] != want {
				return fmt.Errorf("%s: member label %q, instance label %q, want %q", m.Name, m.Labels["tier"], vmi.Labels["tier"], want)
			}
		}
		return nil
	})
}

// TestAdoptionKeepsMember: a Ready hand-made Wukong named like a member and matching the selector is adopted
// and brought to the template in place: same object, same DataVolumes, its VM restarted only as the change
// needs.
func TestAdoptionKeepsMember(t *testing.T) {
	ns := namespace(t, "adopt")
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	set.Name, set.Spec.Replicas = "adopt", ptr.To[int32](2)
	set.Spec.Selector = &vmv1alpha1.LabelSelector{MatchLabels: map[string]vmv1alpha1.LabelValue{"app": "db"}}
	set.Spec.Template.Metadata.Labels = map[string]vmv1alpha1.TemplateString{"app": "db"}

	hand := &vmv1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{Name: "adopt-1", Namespace: ns, Labels: map[string]string{"app": "db"}},
		Spec:       *set.Spec.Template.Spec.DeepCopy(),
	}
	hand.Spec.CPU++ // differs from the template: the adoption must update it, not replace it
	if err := h.Client.Create(t.Context(), hand); err != nil {
		t.Fatal(err)
	}
	eventually(t, rolloutTimeout, func() error {
		if err := h.Client.Get(t.Context(), client.ObjectKeyFromObject(hand), hand); err != nil {
			return err
		}
		if !meta.IsStatusConditionTrue(hand.Status.Conditions, vmv1alpha1.WukongReady) {
			return fmt.Errorf("hand-made Wukong not Ready yet: %s", hand.Status.Phase)
		}
		return nil
	})
	before := identityOf(t, hand)

	if err := h.Client.Create(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, set)
	after := snapshot(t, set)["adopt-1"]
	if after.member != before.member || !maps.Equal(after.dataVolumes, before.dataVolumes) || after.vm != before.vm || after.firmware != before.firmware {
		t.Errorf("adoption replaced the member or its disks:\n before %+v\n after  %+v", before, after)
	}
	got := &vmv1alpha1.Wukong{}
	if err := h.Client.Get(t.Context(), client.ObjectKeyFromObject(hand), got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.CPU != set.Spec.Template.Spec.CPU || metav1.GetControllerOf(got) == nil {
		t.Errorf("adopted member: cpu %d (want %d), controller %v", got.Spec.CPU, set.Spec.Template.Spec.CPU, metav1.GetControllerOf(got))
	}
}
