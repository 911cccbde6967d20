package wukongset

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/scheme"
)

func TestMemberEvents(t *testing.T) {
	base := &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{
		Namespace: "ns", Name: "web-0", Generation: 1, ResourceVersion: "1",
		Labels: map[string]string{vmv1alpha1.LabelSet: "web"},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: vmv1alpha1.GroupVersion.String(), Kind: "WukongSet", Name: "web",
			UID: types.UID("set-uid"), Controller: ptr.To(true)}},
	}}
	tests := []struct {
		name   string
		change func(w *vmv1alpha1.Wukong)
		// now: the set is queued at once; otherwise only after the delay.
		now bool
	}{
		{"status only", func(w *vmv1alpha1.Wukong) { w.Status.Phase = vmv1alpha1.WukongRunning }, false},
		{"spec", func(w *vmv1alpha1.Wukong) { w.Generation = 2 }, true},
		{"labels", func(w *vmv1alpha1.Wukong) { w.Labels = map[string]string{"other": "x"} }, true},
		{"annotations", func(w *vmv1alpha1.Wukong) { w.Annotations = map[string]string{"a": "b"} }, true},
		{"deleted", func(w *vmv1alpha1.Wukong) { w.DeletionTimestamp = &metav1.Time{Time: time.Now()} }, true},
		{"finalizer", func(w *vmv1alpha1.Wukong) { w.Finalizers = []string{"x"} }, true},
		{"released", func(w *vmv1alpha1.Wukong) { w.OwnerReferences = nil }, true},
	}
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(vmv1alpha1.GroupVersion.WithKind("WukongSet"), meta.RESTScopeNamespace)
	const delay = MinMemberStatusDelay
	h := memberEvents{delays: &statusDelays{}, owner: handler.EnqueueRequestForOwner(scheme.New(), mapper, &vmv1alpha1.WukongSet{}, handler.OnlyControllerOwner())}
	want := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "web"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
			defer q.ShutDown()
			changed := base.DeepCopy()
			changed.ResourceVersion = "2"
			tt.change(changed)
			h.Update(context.Background(), event.TypedUpdateEvent[client.Object]{ObjectOld: base, ObjectNew: changed}, q)
			if got := q.Len() == 1; got != tt.now {
				t.Fatalf("queued at once: %v, want %v", got, tt.now)
			}
			if !tt.now {
				deadline := time.Now().Add(10 * delay)
				for q.Len() == 0 && time.Now().Before(deadline) {
					time.Sleep(delay / 10)
				}
			}
			if q.Len() != 1 {
				t.Fatalf("%d requests queued, want the set's", q.Len())
			}
			if got, _ := q.Get(); got != want {
				t.Errorf("queued %v, want %v", got, want)
			}
		})
	}
}

func TestMemberStatusDelay(t *testing.T) {
	tests := []struct {
		members int
		want    time.Duration
	}{
		{0, time.Second},
		{10, time.Second},
		{1000, time.Second},
		{2500, 2500 * time.Millisecond},
		{10000, 10 * time.Second},
		{50000, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := memberStatusDelay(tt.members); got != tt.want {
			t.Errorf("memberStatusDelay(%d) = %v, want %v", tt.members, got, tt.want)
		}
	}
	var d statusDelays
	web := types.NamespacedName{Namespace: "ns", Name: "web"}
	if got := d.of(web); got != MinMemberStatusDelay {
		t.Errorf("a set not seen yet: %v, want %v", got, MinMemberStatusDelay)
	}
	d.observe(web, 5000)
	if got := d.of(web); got != 5*time.Second {
		t.Errorf("after a pass over 5,000 members: %v, want 5s", got)
	}
	d.forget(web)
	if got := d.of(web); got != MinMemberStatusDelay {
		t.Errorf("a set forgotten: %v, want %v", got, MinMemberStatusDelay)
	}
}

// TestMemberEventsLargeSet: the status moves of a set that a pass found with 2,000 members are gathered for
// 2 s, not 1 s.
func TestMemberEventsLargeSet(t *testing.T) {
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(vmv1alpha1.GroupVersion.WithKind("WukongSet"), meta.RESTScopeNamespace)
	delays := &statusDelays{}
	delays.observe(types.NamespacedName{Namespace: "ns", Name: "web"}, 2000)
	h := memberEvents{delays: delays, owner: handler.EnqueueRequestForOwner(scheme.New(), mapper, &vmv1alpha1.WukongSet{}, handler.OnlyControllerOwner())}
	old := &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-0", Generation: 1,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: vmv1alpha1.GroupVersion.String(), Kind: "WukongSet", Name: "web",
			UID: types.UID("set-uid"), Controller: ptr.To(true)}}}}
	moved := old.DeepCopy()
	moved.Status.Phase = vmv1alpha1.WukongRunning
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	start := time.Now()
	h.Update(context.Background(), event.TypedUpdateEvent[client.Object]{ObjectOld: old, ObjectNew: moved}, q)
	for q.Len() == 0 && time.Since(start) < 5*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	if waited := time.Since(start); q.Len() != 1 || waited < 2*time.Second {
		t.Errorf("set queued after %v (%d requests), want once after 2s", waited, q.Len())
	}
}
