package wukongset_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func resourceMust(s string) resource.Quantity { return resource.MustParse(s) }

// TestDeleteSetCascades deletes a set with the garbage collector running: members go, and through them
// their VMs. Orphan deletion leaves the members.
func TestDeleteSetCascades(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "cascade")
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	set.Spec.Replicas = ptr.To[int32](2)
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	waitReady(t, set, 2)
	if err := h.Client.Delete(ctx, set); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, func() error {
		var ws vmv1alpha1.WukongList
		var vms kubevirtv1.VirtualMachineList
		if err := h.Client.List(ctx, &ws, client.InNamespace(ns)); err != nil {
			return err
		}
		if err := h.Client.List(ctx, &vms, client.InNamespace(ns)); err != nil {
			return err
		}
		if len(ws.Items)+len(vms.Items) > 0 {
			return fmt.Errorf("%d Wukongs and %d VMs left", len(ws.Items), len(vms.Items))
		}
		return nil
	})

	orphan := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	orphan.Name = "keep"
	orphan.Spec.Replicas = ptr.To[int32](2)
	if err := h.Client.Create(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	waitReady(t, orphan, 2)
	if err := h.Client.Delete(ctx, orphan, client.PropagationPolicy(metav1.DeletePropagationOrphan)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := h.Client.Get(ctx, client.ObjectKeyFromObject(orphan), got); err == nil {
			var crs appsv1.ControllerRevisionList
			_ = h.Client.List(ctx, &crs, client.InNamespace(ns))
			var owners []string
			for _, cr := range crs.Items {
				owners = append(owners, fmt.Sprintf("%s%v", cr.Name, cr.OwnerReferences))
			}
			return fmt.Errorf("set still exists, finalizers %v, revisions %v", got.Finalizers, owners)
		}
		return nil
	})
	time.Sleep(time.Second)
	ms := members(ctx, t, orphan)
	if len(ms) != 2 {
		t.Fatalf("orphan deletion left %d members, want 2", len(ms))
	}
	for _, m := range ms {
		if ref := metav1.GetControllerOf(&m); ref != nil {
			t.Errorf("%s still controlled by %v", m.Name, ref)
		}
	}

	// A new set of the same name adopts the orphans instead of creating new members.
	again := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	again.Name = "keep"
	again.Spec.Replicas = ptr.To[int32](2)
	if err := h.Client.Create(ctx, again); err != nil {
		t.Fatal(err)
	}
	waitReady(t, again, 2)
	for _, m := range members(ctx, t, again) {
		ref := metav1.GetControllerOf(&m)
		if ref == nil || ref.UID != again.UID {
			t.Errorf("%s not adopted: %v", m.Name, ref)
		}
		if m.CreationTimestamp.After(again.CreationTimestamp.Time) {
			t.Errorf("%s was re-created, not adopted", m.Name)
		}
	}
}

// TestScaleDownPolicies: NotReadyFirst removes a member that is not Ready before higher indices, and
// membersToDelete replaces a named member.
func TestScaleDownPolicies(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "policy")
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	set.Spec.Replicas = ptr.To[int32](4)
	set.Spec.ScaleStrategy = &vmv1alpha1.ScaleStrategy{ScaleDownPolicy: vmv1alpha1.ScaleDownNotReadyFirst}
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	waitReady(t, set, 4)
	// Crash member 1 through the simulator; it stops being Ready.
	m1 := &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-servers-1"}}
	crash := []byte(`{"metadata":{"annotations":{"sim.novasphere.dev/crash":"kernel panic for the test"}}}`)
	if err := h.Client.Patch(ctx, m1, client.RawPatch(types.MergePatchType, crash)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := h.Client.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
			return err
		}
		if got.Status.ReadyReplicas != 3 {
			return fmt.Errorf("%d ready, want 3", got.Status.ReadyReplicas)
		}
		return nil
	})
	scaleTo(t, set, 3)
	waitReady(t, set, 3)
	eventually(t, 30*time.Second, func() error {
		if got := names(members(ctx, t, set)); strings.Join(got, ",") != "web-servers-0,web-servers-2,web-servers-3" {
			return fmt.Errorf("after NotReadyFirst scale-down: %v, want web-servers-1 removed", got)
		}
		return nil
	})

	// Name a member to delete: it is removed and its index refilled by a fresh member.
	old := &vmv1alpha1.Wukong{}
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-servers-2"}, old); err != nil {
		t.Fatal(err)
	}
	updateSet(t, set, func(s *vmv1alpha1.WukongSet) {
		s.Spec.ScaleStrategy.MembersToDelete = []string{"web-servers-2"}
	})
	// Index 1 is free, so the lowest gap is filled; web-servers-2 is gone.
	eventually(t, 60*time.Second, func() error {
		if got := names(members(ctx, t, set)); strings.Join(got, ",") != "web-servers-0,web-servers-1,web-servers-3" {
			return fmt.Errorf("members %v, want web-servers-0,1,3", got)
		}
		return nil
	})
	// Growing re-creates web-servers-2 while it is still named: it is the replacement and stays.
	scaleTo(t, set, 4)
	waitReady(t, set, 4)
	fresh := &vmv1alpha1.Wukong{}
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-servers-2"}, fresh); err != nil {
		t.Fatal(err)
	}
	if fresh.UID == old.UID {
		t.Fatal("web-servers-2 was never replaced")
	}
	time.Sleep(2 * time.Second)
	again := &vmv1alpha1.Wukong{}
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-servers-2"}, again); err != nil || again.UID != fresh.UID {
		t.Fatalf("the replacement was deleted again (churn): %v", err)
	}
}

func scaleTo(t *testing.T, set *vmv1alpha1.WukongSet, n int32) {
	t.Helper()
	updateSet(t, set, func(s *vmv1alpha1.WukongSet) { s.Spec.Replicas = &n })
}
