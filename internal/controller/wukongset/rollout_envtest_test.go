package wukongset_test

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/test/sim"
)

// rolloutTimeout bounds each wait of a rollout scenario. A normal run takes seconds; the machine is shared.
const rolloutTimeout = 120 * time.Second

// TestRolloutDesignExample62 applies design example 6.2 as written (10 members, maxUnavailable 2, maxSurge 2)
// and rolls it to a new template with more memory: every member is updated in place, keeping itself, its VM,
// its DataVolumes and its firmware identity; no disk is imported again. KubeVirt v1.7 hot-plugs the memory
// (8Gi -> 16Gi is within the 4x maximum a VM starts with), so no VM instance is replaced either.
func TestRolloutDesignExample62(t *testing.T) {
	const replicas, maxUnavailable, maxSurge = 10, 2, 2
	set := sample(t, "vm_v1alpha1_wukongset_rolling.yaml", namespace(t, "rollout-62"))
	set, revA := createRolledOut(t, set)
	before := snapshot(t, set)

	s := startSampler(t, set, "DesignExample62", replicas, maxUnavailable, maxSurge)
	changed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) {
		ws.Spec.Template.Spec.Memory = resource.MustParse("16Gi")
	})
	s.markChange(changed.Generation)
	done := waitRolledOut(t, set)
	minReady, maxTotal := s.report()
	if minReady < replicas-maxUnavailable || maxTotal > replicas+maxSurge {
		t.Errorf("min Ready %d (want >= %d), max members %d (want <= %d)", minReady, replicas-maxUnavailable, maxTotal, replicas+maxSurge)
	}
	after := snapshot(t, set)
	for name, b := range before {
		a := after[name]
		if a.member != b.member || a.vm != b.vm || !maps.Equal(a.dataVolumes, b.dataVolumes) || a.firmware != b.firmware {
			t.Errorf("member %s lost identity or data:\n before %+v\n after  %+v", name, b, a)
		}
		if a.instance != b.instance {
			t.Errorf("member %s: its VM instance was replaced (%s -> %s) for a memory change KubeVirt applies live", name, b.instance, a.instance)
		}
	}

	revB := done.Status.UpdateRevision
	if revB == revA {
		t.Fatalf("update revision still %s after a template change", revA)
	}
	if done.Status.CurrentRevision != revB {
		t.Errorf("currentRevision %s, want the update revision %s", done.Status.CurrentRevision, revB)
	}
	ms := members(t.Context(), t, set)
	if len(ms) != replicas {
		t.Errorf("%d members left, want %d: %v", len(ms), replicas, names(ms))
	}
	for k := range replicas {
		name := naming.Member(set.Name, k)
		m := find(ms, name)
		switch {
		case m == nil:
			t.Errorf("member %s missing", name)
		case m.Labels[vmv1alpha1.LabelRevision] != revB || m.Spec.Memory.String() != "16Gi":
			t.Errorf("member %s at revision %s with memory %s, want %s with 16Gi", name, m.Labels[vmv1alpha1.LabelRevision], m.Spec.Memory.String(), revB)
		}
	}
	for _, m := range ms {
		if m.Labels[vmv1alpha1.LabelSurge] != "" {
			t.Errorf("surge member %s left", m.Name)
		}
	}
	for _, rev := range []string{revA, revB} {
		cr := &appsv1.ControllerRevision{}
		if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: set.Namespace, Name: set.Name + "-" + rev}, cr); err != nil {
			t.Errorf("ControllerRevision of revision %s: %v", rev, err)
			continue
		}
		if ref := metav1.GetControllerOf(cr); ref == nil || ref.UID != set.UID || cr.Labels[vmv1alpha1.LabelRevision] != rev {
			t.Errorf("ControllerRevision %s: controller %v, labels %v", cr.Name, ref, cr.Labels)
		}
	}
}

// TestRolloutZeroDowntime: with maxUnavailable 0 and maxSurge 1, every member stays Ready throughout.
func TestRolloutZeroDowntime(t *testing.T) {
	const replicas, maxUnavailable, maxSurge = 5, 0, 1
	set := basicSet(t, "rollout-zero", replicas)
	set.Spec.UpdateStrategy = rolling(maxUnavailable, maxSurge)
	set, _ = createRolledOut(t, set)

	s := startSampler(t, set, "ZeroDowntime", replicas, maxUnavailable, maxSurge)
	changed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Template.Spec.CPU = 4 })
	s.markChange(changed.Generation)
	waitRolledOut(t, set)
	minReady, _ := s.report()
	if minReady < replicas {
		t.Errorf("minReady %d during a zero-downtime rollout of %d members", minReady, replicas)
	}
}

// TestRolloutRecreate: every old member is gone before the first new one exists.
func TestRolloutRecreate(t *testing.T) {
	const replicas = 4
	set := basicSet(t, "rollout-recreate", replicas)
	set.Spec.UpdateStrategy = &vmv1alpha1.WukongSetUpdateStrategy{Type: vmv1alpha1.RecreateStrategy}
	set, revA := createRolledOut(t, set)

	// Recreate may take every member down and never surges.
	s := startSampler(t, set, "Recreate", replicas, replicas, 0)
	before := snapshot(t, set)
	s.setCheck(func(o observation) error {
		oldReady, newReady := 0, 0
		for _, m := range o.Members {
			switch {
			case !m.Ready:
			case m.Revision == revA:
				oldReady++
			default:
				newReady++
			}
		}
		if oldReady > 0 && newReady > 0 {
			return fmt.Errorf("a member runs at the new revision while %d old members (revision %s) still run", oldReady, revA)
		}
		return nil
	})
	changed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Template.Spec.CPU = 4 })
	s.markChange(changed.Generation)
	waitRolledOut(t, set)
	_, maxTotal := s.report()
	if maxTotal > replicas {
		t.Errorf("maxTotal %d under Recreate, want at most %d", maxTotal, replicas)
	}
	sameIdentity(t, before, snapshot(t, set))
}

// TestRolloutPartition: with partition 3 only indices 3 and 4 move to the new template; partition 0 then
// moves the rest.
func TestRolloutPartition(t *testing.T) {
	const replicas, maxUnavailable, maxSurge, part = 5, 1, 0, 3
	set := basicSet(t, "rollout-partition", replicas)
	set.Spec.UpdateStrategy = rolling(maxUnavailable, maxSurge)
	set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](part)
	set, revA := createRolledOut(t, set)
	before := uids(members(t.Context(), t, set))

	s := startSampler(t, set, "Partition", replicas, maxUnavailable, maxSurge)
	s.setCheck(belowPartitionUntouched(part, revA))
	changed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Template.Spec.CPU = 4 })
	revB := waitPartitioned(t, set, changed.Generation, part, revA)

	// Give a wrong implementation time to go on below the partition.
	time.Sleep(time.Second)
	got := getSet(t, set)
	if got.Status.UpdatedReplicas != replicas-part || got.Status.CurrentRevision != revA {
		t.Errorf("with partition %d: updatedReplicas %d, currentRevision %s; want %d and %s",
			part, got.Status.UpdatedReplicas, got.Status.CurrentRevision, replicas-part, revA)
	}
	after := uids(members(t.Context(), t, set))
	for k := range part {
		name := naming.Member(set.Name, k)
		if before[name] != after[name] {
			t.Errorf("member %s below the partition was replaced", name)
		}
	}

	s.setCheck(nil)
	changed = updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](0) })
	s.markChange(changed.Generation)
	done := waitRolledOut(t, set)
	s.report()
	if done.Status.UpdateRevision != revB {
		t.Errorf("update revision %s after partition 0, want %s", done.Status.UpdateRevision, revB)
	}
}

// TestRolloutPartitionHeldPastDeadline: a canary left at its partition for longer than
// progressDeadlineSeconds has done all it was asked to; it is not a stuck rollout.
func TestRolloutPartitionHeldPastDeadline(t *testing.T) {
	const replicas, part, deadline = 3, 2, 3
	set := basicSet(t, "rollout-canary", replicas)
	set.Spec.UpdateStrategy = rolling(1, 0)
	set.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](part)
	set.Spec.ProgressDeadlineSeconds = ptr.To[int32](deadline)
	set, revA := createRolledOut(t, set)
	changed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Template.Spec.CPU = 4 })
	waitPartitioned(t, set, changed.Generation, part, revA)
	time.Sleep((deadline + 3) * time.Second)
	got := getSet(t, set)
	if c := meta.FindStatusCondition(got.Status.Conditions, vmv1alpha1.SetProgressing); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("a rollout finished up to its partition, %ds later: Progressing %+v, want True", deadline+3, c)
	}
}

// belowPartitionUntouched fails an observation in which a member below the partition left revision revA or
// is being deleted.
func belowPartitionUntouched(part int, revA string) func(observation) error {
	return func(o observation) error {
		for _, m := range o.Members {
			if m.Index < part && (m.Revision != revA || m.Deleting) {
				return fmt.Errorf("member %s below partition %d touched", m, part)
			}
		}
		return nil
	}
}

// waitPartitioned waits until a rollout stopped by partition part is as far as it goes: members from part
// on at the update revision, those below at revA, all Ready, and the status of generation says so. It
// returns the update revision.
func waitPartitioned(t *testing.T, set *vmv1alpha1.WukongSet, generation int64, part int, revA string) string {
	t.Helper()
	var revB string
	eventually(t, rolloutTimeout, func() error {
		got := getSet(t, set)
		st, n := got.Status, ptrOr(got.Spec.Replicas, 1)
		if st.ObservedGeneration != generation || st.UpdatedReplicas != n-int32(part) || st.ReadyReplicas != n || st.Replicas != n {
			return fmt.Errorf("status %+v", st)
		}
		revB = st.UpdateRevision
		return checkRevisions(members(t.Context(), t, set), set.Name, int(n), func(k int) string {
			if k < part {
				return revA
			}
			return revB
		})
	})
	return revB
}

// TestRolloutPauseResume: a paused set holds its rollout but still scales (new members at the current
// revision); resuming completes the rollout.
func TestRolloutPauseResume(t *testing.T) {
	const replicas, maxUnavailable, maxSurge = 5, 1, 0
	set := basicSet(t, "rollout-pause", replicas)
	set, revA := createRolledOut(t, set)
	before := uids(members(t.Context(), t, set))

	s := startSampler(t, set, "PauseResume", replicas, maxUnavailable, maxSurge)
	s.setCheck(func(o observation) error {
		for _, m := range o.Members {
			if m.Revision != revA || m.Deleting {
				return fmt.Errorf("member %s touched while paused", m)
			}
		}
		return nil
	})
	updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Paused = true })
	changed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Template.Spec.CPU = 4 })
	time.Sleep(3 * time.Second)
	got := getSet(t, set)
	if got.Status.ObservedGeneration != changed.Generation || got.Status.UpdatedReplicas != 0 || got.Status.UpdateRevision == revA {
		t.Errorf("paused: status %+v, want the new revision observed and no member updated", got.Status)
	}
	if !meta.IsStatusConditionTrue(got.Status.Conditions, vmv1alpha1.SetPaused) {
		t.Errorf("paused: conditions %+v, want Paused True", got.Status.Conditions)
	}
	if after := uids(members(t.Context(), t, set)); !equality.Semantic.DeepEqual(before, after) {
		t.Errorf("paused: members changed from %v to %v", before, after)
	}

	// Scaling works while paused: the new member joins at the current revision.
	s.setBounds(replicas-maxUnavailable, replicas+1+maxSurge)
	updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Replicas = ptr.To[int32](replicas + 1) })
	waitReady(t, set, replicas+1)
	added := &vmv1alpha1.Wukong{}
	if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: set.Namespace, Name: naming.Member(set.Name, replicas)}, added); err != nil {
		t.Fatal(err)
	}
	if added.Labels[vmv1alpha1.LabelRevision] != revA {
		t.Errorf("member %s added while paused at revision %s, want the current revision %s", added.Name, added.Labels[vmv1alpha1.LabelRevision], revA)
	}

	s.setShape(replicas+1, maxUnavailable, maxSurge)
	s.setCheck(nil)
	changed = updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Paused = false })
	s.markChange(changed.Generation)
	done := waitRolledOut(t, set)
	s.report()
	if meta.IsStatusConditionTrue(done.Status.Conditions, vmv1alpha1.SetPaused) {
		t.Errorf("resumed: conditions %+v, want Paused False", done.Status.Conditions)
	}
}

// TestRolloutBrokenThenFixed: a template whose disk import fails stops the rollout within maxUnavailable and
// reports ProgressDeadlineExceeded naming a member; fixing the template completes it with no manual help.
func TestRolloutBrokenThenFixed(t *testing.T) {
	const replicas, maxUnavailable, maxSurge = 4, 1, 0
	set := basicSet(t, "rollout-broken", replicas)
	set.Spec.UpdateStrategy = rolling(maxUnavailable, maxSurge)
	set.Spec.ProgressDeadlineSeconds = ptr.To[int32](5)
	set, revA := createRolledOut(t, set)

	s := startSampler(t, set, "BrokenThenFixed", replicas, maxUnavailable, maxSurge)
	s.setCheck(func(o observation) error {
		if moved := o.Total - o.ByRevision[revA]; moved > maxUnavailable {
			return fmt.Errorf("%d members left revision %s while the new template cannot become ready", moved, revA)
		}
		return nil
	})
	updateSet(t, set, func(ws *vmv1alpha1.WukongSet) {
		ws.Spec.Template.Spec.CPU = 4
		if ws.Spec.Template.Metadata.Annotations == nil {
			ws.Spec.Template.Metadata.Annotations = map[string]vmv1alpha1.TemplateString{}
		}
		// The guest crashes at every boot from this template: an update in place restarts into it.
		ws.Spec.Template.Metadata.Annotations[sim.AnnotationCrash] = "guest kernel panic"
	})

	memberName := regexp.MustCompile(regexp.QuoteMeta(set.Name) + `-\d+`)
	var stuck *metav1.Condition
	eventually(t, rolloutTimeout, func() error {
		got := getSet(t, set)
		stuck = meta.FindStatusCondition(got.Status.Conditions, vmv1alpha1.SetProgressing)
		if stuck == nil || stuck.Status != metav1.ConditionFalse || stuck.Reason != vmv1alpha1.ReasonProgressDeadline {
			return fmt.Errorf("Progressing %+v", stuck)
		}
		return nil
	})
	if !memberName.MatchString(stuck.Message) {
		t.Errorf("ProgressDeadlineExceeded message names no member: %q", stuck.Message)
	}
	t.Logf("stuck: %s", stuck.Message)
	got := getSet(t, set)
	if got.Status.ReadyReplicas < replicas-maxUnavailable || got.Status.UpdatedReplicas > maxUnavailable {
		t.Errorf("stuck rollout: %d ready, %d updated; want at least %d ready, at most %d updated",
			got.Status.ReadyReplicas, got.Status.UpdatedReplicas, replicas-maxUnavailable, maxUnavailable)
	}

	s.setCheck(nil)
	fixed := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) {
		delete(ws.Spec.Template.Metadata.Annotations, sim.AnnotationCrash)
	})
	s.markChange(fixed.Generation)
	done := waitRolledOut(t, set)
	s.report()
	if c := meta.FindStatusCondition(done.Status.Conditions, vmv1alpha1.SetProgressing); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("after the fix: Progressing %+v, want True", c)
	}
	for _, m := range members(t.Context(), t, set) {
		if _, ok := m.Annotations[sim.AnnotationImportError]; ok || m.Spec.CPU != 4 {
			t.Errorf("member %s after the fix: cpu %d, annotations %v", m.Name, m.Spec.CPU, m.Annotations)
		}
	}
}

// TestRolloutRollback: after a rollout A→B, the rollback annotation puts A's template back and the members
// return to revision A.
func TestRolloutRollback(t *testing.T) {
	const replicas, maxUnavailable, maxSurge = 4, 1, 1
	set := basicSet(t, "rollout-rollback", replicas)
	set.Spec.UpdateStrategy = rolling(maxUnavailable, maxSurge)
	set, revA := createRolledOut(t, set)
	templateA := set.Spec.Template

	s := startSampler(t, set, "Rollback", replicas, maxUnavailable, maxSurge)
	updateSet(t, set, func(ws *vmv1alpha1.WukongSet) { ws.Spec.Template.Spec.CPU = 4 })
	if revB := waitRolledOut(t, set).Status.UpdateRevision; revB == revA {
		t.Fatalf("update revision still %s after a template change", revA)
	}

	annotated := updateSet(t, set, func(ws *vmv1alpha1.WukongSet) {
		if ws.Annotations == nil {
			ws.Annotations = map[string]string{}
		}
		ws.Annotations[vmv1alpha1.AnnotationRollbackTo] = revA
	})
	// The annotation does not change the generation; the template the controller puts back does.
	s.markChange(annotated.Generation + 1)
	done := waitRolledOut(t, set)
	s.report()
	if done.Status.UpdateRevision != revA {
		t.Errorf("update revision %s after rollback, want %s", done.Status.UpdateRevision, revA)
	}
	if !equality.Semantic.DeepEqual(done.Spec.Template, templateA) {
		t.Errorf("template after rollback %+v, want %+v", done.Spec.Template, templateA)
	}
	if v, ok := done.Annotations[vmv1alpha1.AnnotationRollbackTo]; ok {
		t.Errorf("rollback annotation left: %q", v)
	}
	for _, m := range members(t.Context(), t, set) {
		if m.Labels[vmv1alpha1.LabelRevision] != revA || m.Spec.CPU != templateA.Spec.CPU {
			t.Errorf("member %s at revision %s with cpu %d after rollback, want %s", m.Name, m.Labels[vmv1alpha1.LabelRevision], m.Spec.CPU, revA)
		}
	}
}

// basicSet is design example 6.1 (cpu 2) with the given number of members, in a namespace of its own.
func basicSet(t *testing.T, prefix string, replicas int32) *vmv1alpha1.WukongSet {
	t.Helper()
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", namespace(t, prefix))
	set.Spec.Replicas = ptr.To(replicas)
	return set
}

func rolling(maxUnavailable, maxSurge int32) *vmv1alpha1.WukongSetUpdateStrategy {
	return &vmv1alpha1.WukongSetUpdateStrategy{
		Type: vmv1alpha1.RollingUpdateStrategy,
		RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{
			MaxUnavailable: ptr.To(intstr.FromInt32(maxUnavailable)),
			MaxSurge:       ptr.To(intstr.FromInt32(maxSurge)),
		},
	}
}

// createRolledOut creates set, waits until every member is Ready at one revision, and returns the set as
// stored and that revision.
func createRolledOut(t *testing.T, set *vmv1alpha1.WukongSet) (*vmv1alpha1.WukongSet, string) {
	t.Helper()
	if err := h.Client.Create(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	got := waitRolledOut(t, set)
	return got, got.Status.UpdateRevision
}

func getSet(t *testing.T, set *vmv1alpha1.WukongSet) *vmv1alpha1.WukongSet {
	t.Helper()
	got := &vmv1alpha1.WukongSet{}
	if err := h.Client.Get(context.Background(), client.ObjectKeyFromObject(set), got); err != nil {
		t.Fatal(err)
	}
	return got
}

// updateSet applies mutate to the stored set, again on a conflict (the controller writes the status), and
// returns the stored result.
func updateSet(t *testing.T, set *vmv1alpha1.WukongSet, mutate func(*vmv1alpha1.WukongSet)) *vmv1alpha1.WukongSet {
	t.Helper()
	got := &vmv1alpha1.WukongSet{}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := h.Client.Get(context.Background(), client.ObjectKeyFromObject(set), got); err != nil {
			return err
		}
		mutate(got)
		return h.Client.Update(context.Background(), got)
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// waitRolledOut waits until the rollout is complete: the status, at the current generation, counts every
// member updated and ready with currentRevision == updateRevision, and exactly members <set>-0 … <set>-(n-1)
// exist, all Ready at the update revision, none surge or being deleted.
func waitRolledOut(t *testing.T, set *vmv1alpha1.WukongSet) *vmv1alpha1.WukongSet {
	t.Helper()
	var got *vmv1alpha1.WukongSet
	eventually(t, rolloutTimeout, func() error {
		got = getSet(t, set)
		st, want := got.Status, ptrOr(got.Spec.Replicas, 1)
		if _, pending := got.Annotations[vmv1alpha1.AnnotationRollbackTo]; pending {
			return fmt.Errorf("rollback annotation not handled yet")
		}
		if st.ObservedGeneration != got.Generation || st.Replicas != want || st.ReadyReplicas != want ||
			st.UpdatedReplicas != want || st.UpdateRevision == "" || st.CurrentRevision != st.UpdateRevision {
			return fmt.Errorf("generation %d, status %+v", got.Generation, st)
		}
		return checkRevisions(members(t.Context(), t, set), set.Name, int(want), func(int) string { return st.UpdateRevision })
	})
	return got
}

// checkRevisions checks that exactly members <set>-0 … <set>-(n-1) exist, Ready, not surge or being
// deleted, each at revision(index).
func checkRevisions(ms []vmv1alpha1.Wukong, set string, n int, revision func(int) string) error {
	if len(ms) != n {
		return fmt.Errorf("%d members %v, want %d", len(ms), names(ms), n)
	}
	for k := range n {
		name := naming.Member(set, k)
		m := find(ms, name)
		switch {
		case m == nil:
			return fmt.Errorf("member %s missing: %v", name, names(ms))
		case !m.DeletionTimestamp.IsZero() || m.Labels[vmv1alpha1.LabelSurge] != "":
			return fmt.Errorf("member %s deleting or surge", name)
		case m.Labels[vmv1alpha1.LabelRevision] != revision(k):
			return fmt.Errorf("member %s at revision %s, want %s", name, m.Labels[vmv1alpha1.LabelRevision], revision(k))
		case !meta.IsStatusConditionTrue(m.Status.Conditions, vmv1alpha1.WukongReady):
			return fmt.Errorf("member %s not Ready", name)
		case m.Status.ObservedGeneration != m.Generation || !meta.IsStatusConditionTrue(m.Status.Conditions, vmv1alpha1.WukongUpToDate):
			return fmt.Errorf("member %s: its VM does not run its spec yet", name)
		}
	}
	return nil
}

func find(ms []vmv1alpha1.Wukong, name string) *vmv1alpha1.Wukong {
	for i := range ms {
		if ms[i].Name == name {
			return &ms[i]
		}
	}
	return nil
}

func uids(ms []vmv1alpha1.Wukong) map[string]types.UID {
	out := map[string]types.UID{}
	for _, m := range ms {
		out[m.Name] = m.UID
	}
	return out
}
