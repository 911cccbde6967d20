package wukong

import (
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/novasphere/wukong/internal/apply"
)

// createdTTL bounds how long a child this process created is taken to exist while the cache does not show
// it. A cache catches up within milliseconds to seconds; an object deleted before the cache ever saw it is
// created again after this.
const createdTTL = 30 * time.Second

// createdChildren remembers the children this process created until its cache shows them (controller-
// runtime's "expectations", as the ReplicaSet controller keeps them for pods). Without it, the reconcile
// that follows a create at once (the VM's own watch event brings the Wukong back within milliseconds) finds
// no DataVolume in the cache and sends a second create, refused as AlreadyExists, or no VM and applies it
// whole again: a wasted write per member.
type createdChildren struct {
	m sync.Map // childKey -> time.Time
}

type childKey struct {
	kind string
	name types.NamespacedName
}

func keyOf(obj client.Object) childKey {
	return childKey{kind: apply.Kind(obj), name: client.ObjectKeyFromObject(obj)}
}

// created records that obj was created now.
func (c *createdChildren) created(obj client.Object) { c.m.Store(keyOf(obj), time.Now()) }

// pending reports whether desired was created by this process less than createdTTL ago and the cache
// (read into existing) does not show it yet. Once the cache shows it, or the TTL is over, it is forgotten.
func (c *createdChildren) pending(ctx context.Context, cache client.Reader, desired, existing client.Object) (bool, error) {
	key := keyOf(desired)
	v, ok := c.m.Load(key)
	if !ok {
		return false, nil
	}
	err := cache.Get(ctx, key.name, existing)
	if apierrors.IsNotFound(err) && time.Since(v.(time.Time)) < createdTTL {
		return true, nil
	}
	c.m.Delete(key)
	if err != nil && !apierrors.IsNotFound(err) {
		return false, err
	}
	return false, nil
}
