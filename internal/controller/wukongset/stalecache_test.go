package wukongset_test

import (
	"context"
	"github.com/novasphere/wukong/internal/setmember"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/controller/wukongset"
	"github.com/novasphere/wukong/internal/template"
	"github.com/novasphere/wukong/test/testenv"
)

// staleReader is a cache that stopped at an old moment: it knows the set but none of its members. Writes
// still go to the real apiserver; only the reconciler's view is old, as after a missed or delayed watch.
type staleReader struct {
	set *vmv1alpha1.WukongSet
}

func (s staleReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if set, ok := obj.(*vmv1alpha1.WukongSet); ok {
		s.set.DeepCopyInto(set)
		return nil
	}
	return h.Client.Get(ctx, key, obj, opts...)
}

func (s staleReader) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	return meta.SetList(list, nil)
}

// TestStaleCacheNoDuplicates reconciles a set whose members all exist through a cache that shows none:
// creates of existing names are answered AlreadyExists (no duplicate is possible with deterministic names),
// and the reconciler's expectations stop a second pass from even trying.
func TestStaleCacheNoDuplicates(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "stale")
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	set.Spec.Replicas = ptr.To[int32](3)
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	waitReady(t, set, 3)
	if err := h.Client.Get(ctx, client.ObjectKeyFromObject(set), set); err != nil {
		t.Fatal(err)
	}

	c, err := client.New(h.Config, client.Options{Scheme: h.Scheme, Cache: &client.CacheOptions{Reader: staleReader{set: set}}})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := template.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	r := &wukongset.Reconciler{Client: c, Renderer: &setmember.Renderer{Engine: engine}, MaxConcurrentCreates: 8}
	req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(set)}

	before, err := h.APIRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatalf("first stale pass: %v", err)
	}
	mid, err := h.APIRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatalf("second stale pass: %v", err)
	}
	after, err := h.APIRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := testenv.Writes(before, mid, "wukongs")
	second := testenv.Writes(mid, after, "wukongs")
	t.Logf("Wukong creates attempted: first stale pass %v, second %v", first, second)
	if first != 3 {
		t.Errorf("first stale pass sent %v creates, want 3 (answered AlreadyExists)", first)
	}
	if second != 0 {
		t.Errorf("second stale pass sent %v creates, want 0: expectations should cover the stale cache", second)
	}
	ms := members(ctx, t, set)
	if len(ms) != 3 {
		t.Fatalf("%d members after stale passes, want 3", len(ms))
	}
}
