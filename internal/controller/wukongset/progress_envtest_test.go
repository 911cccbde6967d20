package wukongset_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// TestLargeSetProgressAndEvents creates 300 members one create at a time (maxConcurrentCreates 1, so the
// pass takes seconds) and reads the set's status meanwhile: it shows members existing before the pass that
// creates them all is over. Then a scale-down to 150 removes every odd member by name: one event says which
// in index ranges, and the events API accepts it (its note within 1,024 bytes; a longer one is refused and
// lost).
func TestLargeSetProgressAndEvents(t *testing.T) {
	ctx := t.Context()
	const n = 300
	ns := namespace(t, "large")
	set := sample(t, "vm_v1alpha1_wukongset_variables.yaml", ns)
	set.Spec.Replicas = ptr.To[int32](n)
	set.Spec.ScaleStrategy = &vmv1alpha1.ScaleStrategy{MaxConcurrentCreates: ptr.To[int32](1)}
	set.Spec.Template.Spec.Networks[0].IPConfig.Address = "10.${INDEX / 200}.${INDEX % 200}.1/8"

	// Sample the stored status while the set is created.
	var mu sync.Mutex
	seen := map[int32]bool{}
	sampleCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for sampleCtx.Err() == nil {
			got := &vmv1alpha1.WukongSet{}
			if err := h.Client.Get(sampleCtx, client.ObjectKeyFromObject(set), got); err == nil {
				mu.Lock()
				seen[got.Status.Replicas] = true
				mu.Unlock()
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Minute, func() error {
		if got := getSet(t, set); got.Status.Replicas != n {
			return fmt.Errorf("status.replicas %d, want %d", got.Status.Replicas, n)
		}
		return nil
	})
	stop()
	wg.Wait()
	var intermediate []int32
	for r := range seen {
		if r > 0 && r < n {
			intermediate = append(intermediate, r)
		}
	}
	slices.Sort(intermediate)
	t.Logf("status.replicas seen during the creation: %v", intermediate)
	if len(intermediate) == 0 {
		t.Errorf("status.replicas went from 0 to %d with nothing between: the status was not written between batches", n)
	}
	if e := setEvent(t, ns, set.Name, vmv1alpha1.ReasonSuccessfulCreate); e != nil && !strings.HasPrefix(e.Note, "created members 0") {
		t.Errorf("create event %q, want index ranges", e.Note)
	}

	// Scale down by naming every odd member.
	var odd []string
	for i := 1; i < n; i += 2 {
		odd = append(odd, fmt.Sprintf("%s-%d", set.Name, i))
	}
	scaled := getSet(t, set).DeepCopy()
	orig := scaled.DeepCopy()
	scaled.Spec.Replicas = ptr.To[int32](n / 2)
	scaled.Spec.ScaleStrategy.MembersToDelete = odd
	eventually(t, 30*time.Second, func() error { return h.Client.Patch(ctx, scaled, client.MergeFrom(orig)) })
	var e *eventsv1.Event
	eventually(t, 60*time.Second, func() error {
		if e = setEvent(t, ns, set.Name, vmv1alpha1.ReasonSuccessfulDelete); e == nil {
			return fmt.Errorf("no %s event on the set", vmv1alpha1.ReasonSuccessfulDelete)
		}
		return nil
	})
	t.Logf("delete event: %d bytes: %s", len(e.Note), e.Note)
	if len(e.Note) > 1024 || !strings.HasPrefix(e.Note, "deleted members 1, 3, 5") {
		t.Errorf("delete event note of %d bytes: %q", len(e.Note), e.Note)
	}
}

// setEvent returns the latest event with reason about the set, or nil.
func setEvent(t *testing.T, ns, set, reason string) *eventsv1.Event {
	t.Helper()
	var evs eventsv1.EventList
	if err := h.Client.List(t.Context(), &evs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out *eventsv1.Event
	for i, e := range evs.Items {
		if e.Reason == reason && e.Regarding.Kind == "WukongSet" && e.Regarding.Name == set &&
			(out == nil || out.EventTime.Before(&e.EventTime)) {
			out = &evs.Items[i]
		}
	}
	return out
}
