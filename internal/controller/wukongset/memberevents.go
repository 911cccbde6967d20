package wukongset

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// MemberStatusDelay is how long a set waits after a member's status moved before its next pass, gathering
// the other members' moves into the same pass. A pass reads every member, so without it a 10,000-member set
// coming up would pass once per member turning Ready: quadratic work for a status the set writes at most
// every statusInterval anyway.
const MemberStatusDelay = time.Second

// memberEvents enqueues a member's controlling set: at once when the member appears or goes, or when what the
// set plans from changes (its spec, labels, annotations, owners, finalizers or deletion); after
// MemberStatusDelay when only its status moved.
type memberEvents struct {
	owner handler.TypedEventHandler[client.Object, reconcile.Request]
	delay time.Duration
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
		q = delayedAdds{TypedRateLimitingInterface: q, delay: h.delay}
	}
	h.owner.Update(ctx, e, q)
}

// statusOnly tells whether an update changed nothing of an object but its status (and resourceVersion).
func statusOnly(old, new client.Object) bool {
	return old.GetGeneration() == new.GetGeneration() &&
		equality.Semantic.DeepEqual(old.GetLabels(), new.GetLabels()) &&
		equality.Semantic.DeepEqual(old.GetAnnotations(), new.GetAnnotations()) &&
		equality.Semantic.DeepEqual(old.GetOwnerReferences(), new.GetOwnerReferences()) &&
		equality.Semantic.DeepEqual(old.GetFinalizers(), new.GetFinalizers()) &&
		old.GetDeletionTimestamp().Equal(new.GetDeletionTimestamp())
}

// delayedAdds turns a queue's Add into AddAfter(delay). The workqueue keeps the earliest of several pending
// AddAfter calls for one item, so every move within delay of the first lands in one pass.
type delayedAdds struct {
	workqueue.TypedRateLimitingInterface[reconcile.Request]
	delay time.Duration
}

func (q delayedAdds) Add(req reconcile.Request) { q.AddAfter(req, q.delay) }
