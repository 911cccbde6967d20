package wukongset_test

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// TestDiskRetentionOnScaleIn scales the sample set with diskRetention Retain 4 -> 2 -> 4: the disks of
// indices 2 and 3 outlive their members (released, labelled) and the members created at those indices
// get the same DataVolumes back. Deleting the set leaves retained disks in place.
func TestDiskRetentionOnScaleIn(t *testing.T) {
	ns := namespace(t, "retain")
	set := sample(t, "vm_v1alpha1_wukongset_databases.yaml", ns)
	set, _ = createRolledOut(t, set)
	before := snapshot(t, set)

	scale := func(n int32) {
		updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Replicas = ptr.To(n) })
	}
	scale(2)
	waitRolledOut(t, set)
	eventually(t, rolloutTimeout, func() error {
		for _, idx := range []string{"2", "3"} {
			var dvs cdiv1.DataVolumeList
			if err := h.Client.List(t.Context(), &dvs, client.InNamespace(ns), client.MatchingLabels{
				vmv1alpha1.LabelSet: set.Name, vmv1alpha1.LabelIndex: idx, vmv1alpha1.LabelRetained: "true"}); err != nil {
				return err
			}
			if len(dvs.Items) != 2 {
				return fmt.Errorf("index %s: %d retained DataVolumes, want 2 (system and data)", idx, len(dvs.Items))
			}
			for _, dv := range dvs.Items {
				if metav1.GetControllerOf(&dv) != nil {
					return fmt.Errorf("retained DataVolume %s still has a controller", dv.Name)
				}
			}
		}
		return nil
	})

	scale(4)
	waitRolledOut(t, set)
	after := snapshot(t, set)
	for _, name := range []string{"databases-2", "databases-3"} {
		b, a := before[name], after[name]
		if a.member == b.member {
			t.Errorf("%s: expected a new member after the scale-in", name)
		}
		if len(b.dataVolumes) != 2 {
			t.Fatalf("%s had %d DataVolumes, want 2", name, len(b.dataVolumes))
		}
		for dv, uid := range b.dataVolumes {
			if a.dataVolumes[dv] != uid {
				t.Errorf("%s: DataVolume %s is %s, want the retained %s", name, dv, a.dataVolumes[dv], uid)
			}
		}
		for dv := range a.dataVolumes {
			got := &cdiv1.DataVolume{}
			if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: dv}, got); err != nil {
				t.Fatal(err)
			}
			ref := metav1.GetControllerOf(got)
			if ref == nil || ref.UID != a.member || got.Labels[vmv1alpha1.LabelRetained] != "" {
				t.Errorf("reattached DataVolume %s: controller %v, labels %v", dv, ref, got.Labels)
			}
		}
	}

	// Scale in again and delete the set: retained disks stay, the rest go with their members.
	scale(3)
	waitRolledOut(t, set)
	retained := before["databases-3"].dataVolumes
	if err := h.Client.Delete(t.Context(), set, client.PropagationPolicy(metav1.DeletePropagationForeground)); err != nil {
		t.Fatal(err)
	}
	eventually(t, rolloutTimeout, func() error {
		var dvs cdiv1.DataVolumeList
		if err := h.Client.List(t.Context(), &dvs, client.InNamespace(ns)); err != nil {
			return err
		}
		left := map[string]types.UID{}
		for _, dv := range dvs.Items {
			if dv.DeletionTimestamp.IsZero() {
				left[dv.Name] = dv.UID
			}
		}
		if len(left) != len(retained) {
			return fmt.Errorf("DataVolumes left after deleting the set: %v, want only the retained %v", left, retained)
		}
		for name, uid := range retained {
			if left[name] != uid {
				return fmt.Errorf("retained DataVolume %s: %s, want %s", name, left[name], uid)
			}
		}
		return nil
	})
}
