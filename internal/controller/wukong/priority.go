package wukong

import (
	"context"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// Members of a set are reconciled in index order: with one first-in first-out queue, every member of a
// large set takes its next step (import done, instance scheduled, instance running) behind every other
// member's, so all advance in lockstep and the first become Ready barely before the last. controller-runtime's
// priority queue serves higher priorities first and, within one, in the order added; the queue below gives
// each request the priority of its Wukong's index, so member 0's next step goes before member 999's and the
// members of a set finish in order, the first tenth long before the rest.

// maxPriorityIndex bounds the indices that get distinct priorities; higher ones share the last.
const maxPriorityIndex = 1 << 20

// memberPriority is the queue priority of a request for a Wukong with the given index label ("" for a
// Wukong of its own, which goes with index 0). Lower indices come first. An event that changed nothing (the
// initial list, a resync: controller-runtime's handlers mark those handler.LowPriority) goes after every
// event that changed something, in index order too. The two bands never overlap and are recognised again
// by memberPriority (a requeue passes the priority the request was served with), so it is idempotent:
// changed events get [0, maxPriorityIndex], unchanged ones [LowPriority-maxPriorityIndex, LowPriority].
func memberPriority(index string, incoming *int) int {
	i := 0
	if index != "" {
		n, err := strconv.Atoi(index)
		if err == nil && n > 0 {
			i = min(n, maxPriorityIndex)
		}
	}
	if incoming != nil && *incoming <= handler.LowPriority {
		return handler.LowPriority - i
	}
	return maxPriorityIndex - i
}

// indexPriorityQueue is controller-runtime's priority queue, with every add (from any event handler, a
// requeue or a retry) given its Wukong's memberPriority.
type indexPriorityQueue struct {
	priorityqueue.PriorityQueue[reconcile.Request]
	// index returns the index label of the Wukong a request is for, "" when it has none or is unknown.
	index func(types.NamespacedName) string
}

func (q *indexPriorityQueue) Add(item reconcile.Request) {
	q.AddWithOpts(priorityqueue.AddOpts{}, item)
}

func (q *indexPriorityQueue) AddAfter(item reconcile.Request, after time.Duration) {
	q.AddWithOpts(priorityqueue.AddOpts{After: after}, item)
}

func (q *indexPriorityQueue) AddRateLimited(item reconcile.Request) {
	q.AddWithOpts(priorityqueue.AddOpts{RateLimited: true}, item)
}

func (q *indexPriorityQueue) AddWithOpts(o priorityqueue.AddOpts, items ...reconcile.Request) {
	for _, item := range items {
		p := memberPriority(q.index(item.NamespacedName), o.Priority)
		one := o
		one.Priority = &p
		q.PriorityQueue.AddWithOpts(one, item)
	}
}

// newQueue builds the Wukong controller's queue (controller.Options.NewQueue).
func (r *Reconciler) newQueue(name string, rl workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	return &indexPriorityQueue{
		PriorityQueue: priorityqueue.New(name, func(o *priorityqueue.Opts[reconcile.Request]) { o.RateLimiter = rl }),
		index:         r.memberIndex,
	}
}

// memberIndex reads a Wukong's index label from the cache; "" when it is not there.
func (r *Reconciler) memberIndex(key types.NamespacedName) string {
	w := &vmv1alpha1.Wukong{}
	if err := r.Client.Get(context.Background(), key, w); err != nil {
		return ""
	}
	return w.Labels[vmv1alpha1.LabelIndex]
}
