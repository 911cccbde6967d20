package wukongset_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// TestQuotaPreCheck: a set of 10 in a namespace whose quota admits 4 Wukongs creates exactly 4, says how
// many wait and for what, and completes once the quota grows, without any edit to the set.
func TestQuotaPreCheck(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "quota")
	const count = "count/wukongs.vm.novasphere.dev"
	rq := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "vms", Namespace: ns},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{count: resource.MustParse("4")}},
	}
	if err := h.Client.Create(ctx, rq); err != nil {
		t.Fatal(err)
	}
	// The quota controller fills status.hard; until then the apiserver does not enforce it either.
	eventually(t, 30*time.Second, func() error {
		got := &corev1.ResourceQuota{}
		if err := h.Client.Get(ctx, client.ObjectKeyFromObject(rq), got); err != nil {
			return err
		}
		if _, ok := got.Status.Hard[count]; !ok {
			return fmt.Errorf("quota status not filled yet")
		}
		return nil
	})

	before, err := h.APIRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	set.Spec.Replicas = ptr.To[int32](10)
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	var cond *metav1.Condition
	eventually(t, 60*time.Second, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := h.Client.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
			return err
		}
		cond = meta.FindStatusCondition(got.Status.Conditions, vmv1alpha1.SetQuotaExceeded)
		if cond == nil || cond.Status != metav1.ConditionTrue || got.Status.ReadyReplicas != 4 {
			return fmt.Errorf("ready %d, QuotaExceeded %+v", got.Status.ReadyReplicas, cond)
		}
		return nil
	})
	for _, want := range []string{"6 members wait", "ResourceQuota vms", count, "by 1"} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("QuotaExceeded message %q lacks %q", cond.Message, want)
		}
	}
	if n := len(members(ctx, t, set)); n != 4 {
		t.Fatalf("%d members exist, want exactly 4", n)
	}
	after, err := h.APIRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The pre-check keeps the controller from sending creates the apiserver would refuse. Four succeed; a
	// create that raced the quota's status update may be refused and retried, but not a stream of them.
	if posts := after["POST wukongs"] - before["POST wukongs"]; posts > 6 {
		t.Errorf("%v Wukong creates sent for 4 that fit: the pre-check should hold the rest back", posts)
	}
	eventually(t, 10*time.Second, func() error { return warningEvent(ctx, ns, "QuotaExceeded") })

	// Raise the quota: the set completes on its own.
	got := &corev1.ResourceQuota{}
	if err := h.Client.Get(ctx, client.ObjectKeyFromObject(rq), got); err != nil {
		t.Fatal(err)
	}
	got.Spec.Hard[count] = resource.MustParse("20")
	if err := h.Client.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	waitReady(t, set, 10)
	final := &vmv1alpha1.WukongSet{}
	if err := h.Client.Get(ctx, client.ObjectKeyFromObject(set), final); err != nil {
		t.Fatal(err)
	}
	if meta.IsStatusConditionTrue(final.Status.Conditions, vmv1alpha1.SetQuotaExceeded) {
		t.Fatalf("QuotaExceeded still True: %+v", final.Status.Conditions)
	}
}
