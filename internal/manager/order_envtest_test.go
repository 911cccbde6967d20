package manager_test

import (
	"context"
	"sort"
	"testing"
	"time"
)

// TestMembersReadyInIndexOrder creates a set and checks its members become Ready progressively, in index
// order, rather than all at the end: the Wukong controller serves lower indices first (its priority queue),
// so a member's next step does not wait behind every other member's.
func TestMembersReadyInIndexOrder(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	n := members(t, 100)
	ns, err := e.Namespace(ctx, "order")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := e.Client.Create(ctx, newSet(ns, "o", int32(n))); err != nil {
		t.Fatalf("create set: %v", err)
	}
	times := readyTimes(t, e.Client, ns, "o", n, start)
	sorted := append([]time.Duration(nil), times...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	tenth := max(n/10, 1)
	first, all := sorted[tenth-1], sorted[n-1]
	// The lowest tenth of the indices: when the last of them was Ready.
	lowest := maxOf(times[:tenth])
	t.Logf("%d members: first %d Ready after %s, all after %s (%.0f %%); members 0–%d all Ready after %s",
		n, tenth, first.Round(time.Millisecond), all.Round(time.Millisecond), 100*first.Seconds()/all.Seconds(), tenth-1, lowest.Round(time.Millisecond))
	// A member needs about 4.5 s alone here (a 3 s import, a 1 s boot): with few members the first tenth
	// cannot be much faster than the rest, and the machine running make test is busy, so the bound is loose
	// (measured here: 59 % with 100 members, 32 % with 300, 72 % with 300 and a first-in first-out queue);
	// make bench measures at 1,000.
	if first > all*85/100 {
		t.Errorf("the first tenth of the members was Ready after %s of %s: not progressive", first, all)
	}
}
