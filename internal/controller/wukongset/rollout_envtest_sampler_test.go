package wukongset_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
)

// sampleInterval is how often the sampler lists the members and reads the set, on top of its watch.
const sampleInterval = 50 * time.Millisecond

// memberState is one member as one observation saw it.
type memberState struct {
	Name     string
	Index    int
	Revision string
	Ready    bool
	Deleting bool
	Surge    bool
}

func (m memberState) String() string {
	s := fmt.Sprintf("%s@%s", m.Name, m.Revision)
	if m.Surge {
		s += "/surge"
	}
	if m.Ready {
		s += "/ready"
	}
	if m.Deleting {
		s += "/deleting"
	}
	return s
}

// observation is one state of a set's members: a consistent List from the apiserver, or the state after one
// event of an ordered watch stream. Both are states that really existed, so every bound must hold in each.
type observation struct {
	// Source is "list" or "watch".
	Source string
	// Total counts every existing member, those being deleted (which keep their name and VM) included.
	Total int
	// Ready counts members whose Ready condition is True and that are not being deleted.
	Ready int
	// Updated counts non-surge members not being deleted at the update revision the set last reported.
	Updated int
	// ByRevision counts existing members (deleting ones included) by revision label.
	ByRevision map[string]int
	// Members are all existing members, by name.
	Members []memberState
}

func (o observation) String() string {
	parts := make([]string, len(o.Members))
	for i, m := range o.Members {
		parts[i] = m.String()
	}
	return fmt.Sprintf("[%s] total=%d ready=%d updated=%d: %s", o.Source, o.Total, o.Ready, o.Updated, strings.Join(parts, " "))
}

// rolloutSampler follows a set's members through a rollout, with a watch (every state, in order) and a List
// every sampleInterval (a cross-check that does not depend on the watch code), and checks in each observed
// state that Ready members stay at or above a floor (replicas - maxUnavailable) and existing members,
// deleting ones included, at or below a ceiling (replicas + maxSurge). It also times the rollout: from the
// last markChange until the set's status reports the rollout complete.
type rolloutSampler struct {
	t   *testing.T
	set *vmv1alpha1.WukongSet
	// scenario names the summary line.
	scenario string

	reportOnce sync.Once

	mu sync.Mutex
	// replicas, maxUnavailable and maxSurge are the set's values, for the summary line.
	replicas, maxUnavailable, maxSurge int
	// floor and ceiling are the bounds checked in every observation.
	floor, ceiling int
	// minReady and maxTotal as reported.
	reportedMinReady, reportedMaxTotal int
	// check is a scenario's own invariant, run on every observation; nil means none.
	check func(observation) error
	// minReady and maxTotal are the extremes seen since the sampler started.
	minReady, maxTotal int
	// observations counts the states checked, by source.
	observations map[string]int
	violations   []string
	// updateRevision is the set's status.updateRevision as last read.
	updateRevision string
	// changedAt is the last markChange; minGeneration the generation the completed status must be of.
	changedAt     time.Time
	minGeneration int64
	// took is the time from changedAt to the first completed status; zero until then.
	took time.Duration

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// startSampler starts following set's members, checking replicas - maxUnavailable <= Ready and
// total <= replicas + maxSurge. It stops and reports at t's cleanup at the latest, so a failed scenario
// still prints its summary line.
func startSampler(t *testing.T, set *vmv1alpha1.WukongSet, scenario string, replicas, maxUnavailable, maxSurge int) *rolloutSampler {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &rolloutSampler{
		t: t, set: set.DeepCopy(), scenario: scenario, minReady: -1, observations: map[string]int{}, cancel: cancel,
	}
	s.setShape(replicas, maxUnavailable, maxSurge)
	wc, err := client.NewWithWatch(h.Config, client.Options{Scheme: h.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	s.wg.Add(2)
	go s.watchLoop(ctx, wc)
	go s.pollLoop(ctx)
	t.Cleanup(func() { s.report() })
	return s
}

// setShape sets the set's values the bounds and the summary line come from.
func (s *rolloutSampler) setShape(replicas, maxUnavailable, maxSurge int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replicas, s.maxUnavailable, s.maxSurge = replicas, maxUnavailable, maxSurge
	s.floor, s.ceiling = replicas-maxUnavailable, replicas+maxSurge
}

// setBounds changes the bounds alone, for a scenario that scales mid-rollout: while a new member boots, the
// ceiling has grown but the floor has not.
func (s *rolloutSampler) setBounds(floor, ceiling int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.floor, s.ceiling = floor, ceiling
}

// setCheck installs a scenario's own invariant (nil removes it).
func (s *rolloutSampler) setCheck(check func(observation) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.check = check
}

// markChange starts the rollout clock: the rollout is complete once a status of generation >= generation
// shows every member updated and ready.
func (s *rolloutSampler) markChange(generation int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changedAt, s.minGeneration, s.took = time.Now(), generation, 0
}

// stop ends the sampler and fails the test for every violated bound. It returns once both loops have ended.
func (s *rolloutSampler) stop() {
	s.once.Do(func() {
		s.cancel()
		s.wg.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.t.Logf("sampler: %d observations from the watch, %d from lists", s.observations["watch"], s.observations["list"])
		for _, v := range s.violations {
			s.t.Errorf("rollout bound violated: %s", v)
		}
	})
}

// report stops the sampler and prints the scenario's summary line, once, in the test log and on stdout (so
// CI logs show it without -v). took is n/a when the rollout never completed.
func (s *rolloutSampler) report() (minReady, maxTotal int) {
	s.t.Helper()
	s.reportOnce.Do(s.printReport)
	return s.reportedMinReady, s.reportedMaxTotal
}

func (s *rolloutSampler) printReport() {
	// The test usually sees the completed status before the poller's next tick does; one last read stops
	// the clock then (at most one poll interval late).
	if got := (&vmv1alpha1.WukongSet{}); h.Client.Get(context.Background(), client.ObjectKeyFromObject(s.set), got) == nil {
		s.status(got)
	}
	s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	took := "n/a"
	if s.took > 0 {
		took = fmt.Sprintf("%.1fs", s.took.Seconds())
	}
	line := fmt.Sprintf("rollout %s: replicas=%d maxUnavailable=%d maxSurge=%d minReady=%d maxTotal=%d took=%s",
		s.scenario, s.replicas, s.maxUnavailable, s.maxSurge, s.minReady, s.maxTotal, took)
	s.t.Log(line)
	fmt.Println(line)
	s.reportedMinReady, s.reportedMaxTotal = s.minReady, s.maxTotal
}

// observe checks one state of the members against the bounds and the scenario's invariant.
func (s *rolloutSampler) observe(source string, ws []*vmv1alpha1.Wukong) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := observation{Source: source, ByRevision: map[string]int{}}
	for _, w := range ws {
		index, _ := naming.MemberIndex(s.set.Name, w.Name)
		m := memberState{
			Name: w.Name, Index: index, Revision: w.Labels[vmv1alpha1.LabelRevision],
			Ready:    meta.IsStatusConditionTrue(w.Status.Conditions, vmv1alpha1.WukongReady),
			Deleting: !w.DeletionTimestamp.IsZero(),
			Surge:    w.Labels[vmv1alpha1.LabelSurge] == "true",
		}
		o.Members = append(o.Members, m)
		o.Total++
		o.ByRevision[m.Revision]++
		if m.Ready && !m.Deleting {
			o.Ready++
		}
		if !m.Deleting && !m.Surge && m.Revision == s.updateRevision {
			o.Updated++
		}
	}
	sort.Slice(o.Members, func(i, j int) bool { return o.Members[i].Index < o.Members[j].Index })
	s.observations[source]++
	if s.minReady < 0 || o.Ready < s.minReady {
		s.minReady = o.Ready
	}
	s.maxTotal = max(s.maxTotal, o.Total)
	if o.Ready < s.floor {
		s.violate(fmt.Sprintf("%d ready, minimum %d: %s", o.Ready, s.floor, o))
	}
	if o.Total > s.ceiling {
		s.violate(fmt.Sprintf("%d members exist, maximum %d: %s", o.Total, s.ceiling, o))
	}
	if s.check != nil {
		if err := s.check(o); err != nil {
			s.violate(fmt.Sprintf("%v: %s", err, o))
		}
	}
}

// violate records a violation; the first few are enough to diagnose, and a broken rollout would otherwise
// flood the log.
func (s *rolloutSampler) violate(msg string) {
	const keep = 10
	switch {
	case len(s.violations) < keep:
		s.violations = append(s.violations, fmt.Sprintf("%s: %s", time.Now().Format("15:04:05.000"), msg))
	case len(s.violations) == keep:
		s.violations = append(s.violations, "… further violations not shown")
	}
}

// watchLoop lists the members, then watches from that list's resourceVersion, observing the state after
// every event. A closed or expired watch starts over with a new list.
func (s *rolloutSampler) watchLoop(ctx context.Context, wc client.WithWatch) {
	defer s.wg.Done()
	sel := client.MatchingLabels{vmv1alpha1.LabelSet: s.set.Name}
	for ctx.Err() == nil {
		var list vmv1alpha1.WukongList
		if err := wc.List(ctx, &list, client.InNamespace(s.set.Namespace), sel); err != nil {
			s.transient(ctx, "list for watch", err)
			continue
		}
		state := map[string]*vmv1alpha1.Wukong{}
		for i := range list.Items {
			state[list.Items[i].Name] = &list.Items[i]
		}
		s.observe("watch", values(state))
		w, err := wc.Watch(ctx, &vmv1alpha1.WukongList{},
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}},
			client.InNamespace(s.set.Namespace), sel)
		if err != nil {
			s.transient(ctx, "watch", err)
			continue
		}
		s.follow(ctx, w, state)
		w.Stop()
	}
}

// follow applies watch events to state until the watch ends.
func (s *rolloutSampler) follow(ctx context.Context, w watch.Interface, state map[string]*vmv1alpha1.Wukong) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			m, isWukong := ev.Object.(*vmv1alpha1.Wukong)
			switch {
			case ev.Type == watch.Error || !isWukong:
				return
			case ev.Type == watch.Deleted:
				delete(state, m.Name)
			case ev.Type == watch.Added || ev.Type == watch.Modified:
				state[m.Name] = m
			default:
				continue // bookmarks
			}
			s.observe("watch", values(state))
		}
	}
}

// pollLoop lists the members and reads the set every sampleInterval.
func (s *rolloutSampler) pollLoop(ctx context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(sampleInterval)
	defer tick.Stop()
	for {
		var list vmv1alpha1.WukongList
		err := h.Client.List(ctx, &list, client.InNamespace(s.set.Namespace), client.MatchingLabels{vmv1alpha1.LabelSet: s.set.Name})
		if err == nil {
			ws := make([]*vmv1alpha1.Wukong, len(list.Items))
			for i := range list.Items {
				ws[i] = &list.Items[i]
			}
			s.observe("list", ws)
		} else {
			s.transient(ctx, "list", err)
		}
		got := &vmv1alpha1.WukongSet{}
		if err := h.Client.Get(ctx, client.ObjectKeyFromObject(s.set), got); err == nil {
			s.status(got)
		} else {
			s.transient(ctx, "get set", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// status records the set's update revision and stops the rollout clock once the status reports every
// member updated and ready, at the current generation.
func (s *rolloutSampler) status(set *vmv1alpha1.WukongSet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updateRevision = set.Status.UpdateRevision
	if s.changedAt.IsZero() || s.took > 0 || set.Generation < s.minGeneration {
		return
	}
	st, want := set.Status, ptrOr(set.Spec.Replicas, 1)
	if st.ObservedGeneration == set.Generation && st.UpdatedReplicas == want && st.ReadyReplicas == want && st.Replicas == want {
		s.took = time.Since(s.changedAt)
	}
}

// transient tolerates a failed read (the machine is shared) but says so; after stop it is expected.
func (s *rolloutSampler) transient(ctx context.Context, what string, err error) {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return
	}
	s.t.Logf("sampler: %s: %v", what, err)
	select {
	case <-ctx.Done():
	case <-time.After(sampleInterval):
	}
}

func values(state map[string]*vmv1alpha1.Wukong) []*vmv1alpha1.Wukong {
	out := make([]*vmv1alpha1.Wukong, 0, len(state))
	for _, w := range state {
		out = append(out, w)
	}
	return out
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}
