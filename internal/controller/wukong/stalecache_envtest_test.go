package wukong_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/controller/wukong"
)

// laggingReader is a cache that has not seen any VirtualMachine yet, as in the milliseconds after the
// operator created one; everything else it reads from the apiserver.
type laggingReader struct{ client.Reader }

func (l laggingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*kubevirtv1.VirtualMachine); ok {
		return apierrors.NewNotFound(schema.GroupResource{Group: kubevirtv1.GroupVersion.Group, Resource: "virtualmachines"}, key.Name)
	}
	return l.Reader.Get(ctx, key, obj, opts...)
}

// vmWrites counts the requests that write VirtualMachines.
type vmWrites struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (v *vmWrites) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && strings.Contains(req.URL.Path, "/virtualmachines/") {
		v.n.Add(1)
	}
	return v.next.RoundTrip(req)
}

// TestCreatedVMNotAppliedAgain reconciles a running Wukong through a cache that does not show its VM yet:
// the first pass applies the VM (to the apiserver it is an unchanged VM), and the pass right after it,
// before the cache has caught up, sends nothing for the VM: this process created it moments ago. Without
// that, a loaded manager applied some VMs twice (TestOperatorRequests counted 106 VM writes for 100
// members).
func TestCreatedVMNotAppliedAgain(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t)
	w := newWukong(ns, "lag")
	create(t, w)
	waitPhase(t, ns, w.Name, vmv1alpha1.WukongRunning)

	writes := &vmWrites{}
	cfg := rest.CopyConfig(h.Config)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { writes.next = rt; return writes })
	c, err := client.New(cfg, client.Options{Scheme: h.Scheme, Cache: &client.CacheOptions{Reader: laggingReader{h.Client}}})
	if err != nil {
		t.Fatal(err)
	}
	r := &wukong.Reconciler{Client: c, APIReader: h.Client}
	req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(w)}
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatalf("first pass: %v", err)
	}
	if n := writes.n.Load(); n != 1 {
		t.Fatalf("first pass through a cache without the VM: %d VM writes, want 1 (the apply)", n)
	}
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatalf("second pass: %v", err)
	}
	if n := writes.n.Load() - 1; n != 0 {
		t.Errorf("second pass, the VM created moments ago still not in the cache: %d VM writes, want none", n)
	}
}
