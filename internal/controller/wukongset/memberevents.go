package wukongset

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// How long a set waits after a member's status moved before its next pass, gathering the other members'
// moves into the same pass: memberStatusDelay of the set's size, at least MinMemberStatusDelay and at most
// MaxMemberStatusDelay. A pass reads every member, so a set that passed once per member turning Ready would
// do quadratic work coming up; gathering one second per 1,000 members keeps the passes' total work linear in
// the set's size, for a status the set writes at most every statusInterval anyway.
const (
	MinMemberStatusDelay = time.Second
	MaxMemberStatusDelay = 10 * time.Second
)

// memberStatusDelay is the gathering delay of a set of members members: 1 ms per member, within
// [MinMemberStatusDelay, MaxMemberStatusDelay].
func memberStatusDelay(members int) time.Duration {
	return min(max(time.Duration(members)*time.Millisecond, MinMemberStatusDelay), MaxMemberStatusDelay)
}

// statusDelays holds each set's gathering delay, as its last pass found its size; a set not seen yet gets
// MinMemberStatusDelay.
type statusDelays struct {
	m sync.Map // types.NamespacedName -> time.Duration
}

func (d *statusDelays) of(set types.NamespacedName) time.Duration {
	if v, ok := d.m.Load(set); ok {
		return v.(time.Duration)
	}
	return MinMemberStatusDelay
}

// observe records the size of set's members found by a pass.
func (d *statusDelays) observe(set types.NamespacedName, members int) {
	if delay := memberStatusDelay(members); delay != d.of(set) {
		d.m.Store(set, delay)
	}
}

func (d *statusDelays) forget(set types.NamespacedName) { d.m.Delete(set) }

// memberEvents enqueues a member's controlling set: at once when the member appears or goes, or when what the
// set plans from changes (its spec, labels, annotations, owners, finalizers or deletion); after the set's
// gathering delay when only its status moved.
type memberEvents struct {
	owner  handler.TypedEventHandler[client.Object, reconcile.Request]
	delays *statusDelays
}

func (h memberEvents) Create(ctx context.Context, e event.TypedCreateEvent[client.Object], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.owner.Create(ctx, e, q)
}

func (h memberEvents) Delete(ctx context.Context, e event.TypedDeleteEvent[client.Object], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.owner.Delete(ctx, e, q)
}

func (h memberEvents) Generic(ctx context.Context, e event.TypedGenericEvent[client.Object], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.owner.Generic(ctx, e, q)
}

func (h memberEvents) Update(ctx context.Context, e event.TypedUpdateEvent[client.Object], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if statusOnly(e.ObjectOld, e.ObjectNew) {
		q = delayedAdds{TypedRateLimitingInterface: q, delays: h.delays}
	}
	h.owner.Update(ctx, e, q)
}

// statusOnly tells whether an update changed nothing of an object but its status (and resourceVersion).
func statusOnly(before, after client.Object) bool {
	return before.GetGeneration() == after.GetGeneration() &&
		equality.Semantic.DeepEqual(before.GetLabels(), after.GetLabels()) &&
		equality.Semantic.DeepEqual(before.GetAnnotations(), after.GetAnnotations()) &&
		equality.Semantic.DeepEqual(before.GetOwnerReferences(), after.GetOwnerReferences()) &&
		equality.Semantic.DeepEqual(before.GetFinalizers(), after.GetFinalizers()) &&
		before.GetDeletionTimestamp().Equal(after.GetDeletionTimestamp())
}

// delayedAdds turns a queue's Add of a set into AddAfter its gathering delay. The workqueue keeps the earliest
// of several pending AddAfter calls for one item, so every move within the delay of the first lands in one pass.
type delayedAdds struct {
	workqueue.TypedRateLimitingInterface[reconcile.Request]
	delays *statusDelays
}

func (q delayedAdds) Add(req reconcile.Request) { q.AddAfter(req, q.delays.of(req.NamespacedName)) }
