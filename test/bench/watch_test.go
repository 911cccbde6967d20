package bench

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// follower follows a watch until a condition holds. The benchmark watches rather than polls: a poll every
// 100 ms that lists 1,000 members would cost the apiserver more than the changes it looks for, on the same
// two cores the operator needs, and would see each change up to 100 ms late.
type follower struct {
	open func(context.Context) (watch.Interface, error)
	w    watch.Interface
}

// newFollower opens the watch at once, so it is established before the benchmark makes the change it
// waits for.
func newFollower(ctx context.Context, open func(context.Context) (watch.Interface, error)) (*follower, error) {
	w, err := open(ctx)
	if err != nil {
		return nil, err
	}
	return &follower{open: open, w: w}, nil
}

// until feeds every added or modified object to done until done returns true or ctx ends. A watch the
// apiserver closes (request timeout, compaction) is reopened without a resourceVersion, which starts with
// the current state of every object, so nothing is missed.
func (f *follower) until(ctx context.Context, done func(runtime.Object) bool) error {
	defer func() { f.w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case ev, ok := <-f.w.ResultChan():
			if ok && ev.Type != watch.Error {
				if ev.Type != watch.Deleted && done(ev.Object) {
					return nil
				}
				continue
			}
			f.w.Stop()
			for {
				w, err := f.open(ctx)
				if err == nil {
					f.w = w
					break
				}
				select {
				case <-ctx.Done():
					return context.Cause(ctx)
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}
}
