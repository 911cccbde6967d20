package wukongset_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/sim"
)

// TestAutohealing makes two members crash-loop in the simulator: with maxConcurrent 1, one is restarted, then
// its VM re-created (same DataVolumes), and only then is the other one healed. The set's Healing condition
// names the members and why; once the crash is gone, the members recover.
func TestAutohealing(t *testing.T) {
	ns := namespace(t, "heal")
	set := basicSet(t, "heal", 3)
	set.Namespace = ns
	set.Spec.Autohealing = &vmv1alpha1.Autohealing{FailedFor: &metav1.Duration{Duration: 2 * time.Second}, MaxConcurrent: ptr.To[int32](1)}
	set, _ = createRolledOut(t, set)
	before := snapshot(t, set)

	crashing := []string{set.Name + "-1", set.Name + "-2"}
	for _, name := range crashing {
		m := &vmv1alpha1.Wukong{}
		if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, m); err != nil {
			t.Fatal(err)
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"guest kernel panic"}}}`, sim.AnnotationCrash)
		if err := h.Client.Patch(t.Context(), m, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			t.Fatal(err)
		}
	}

	// Wait until both crashing members had their VM re-created (the VM carries the member's heal value).
	vmUID := map[string]types.UID{}
	eventually(t, rolloutTimeout, func() error {
		for _, name := range crashing {
			m := &vmv1alpha1.Wukong{}
			if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, m); err != nil {
				return err
			}
			heal := m.Annotations[vmv1alpha1.AnnotationHeal]
			vm := &kubevirtv1.VirtualMachine{}
			if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, vm); err != nil {
				return err
			}
			if !strings.HasPrefix(heal, "recreate/") || vm.Annotations[vmv1alpha1.AnnotationHeal] != heal {
				return fmt.Errorf("%s: heal %q, VM heal %q: want its VM re-created", name, heal, vm.Annotations[vmv1alpha1.AnnotationHeal])
			}
			vmUID[name] = vm.UID
		}
		return nil
	})
	// With maxConcurrent 1 the members are healed one after the other: restart, re-create, then the next.
	var evs eventsv1.EventList
	if err := h.Client.List(t.Context(), &evs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var seq []string
	sort.SliceStable(evs.Items, func(i, j int) bool { return evs.Items[i].EventTime.Before(&evs.Items[j].EventTime) })
	for _, e := range evs.Items {
		if e.Reason == vmv1alpha1.ReasonMemberHealed && e.Regarding.Name == set.Name {
			f := strings.Fields(e.Note)
			seq = append(seq, f[2]+" "+f[3])
		}
	}
	want := []string{crashing[0] + ", restarting", crashing[0] + ", re-creating", crashing[1] + ", restarting", crashing[1] + ", re-creating"}
	if len(seq) < 4 || seq[0][:len(set.Name)+2] == seq[2][:len(set.Name)+2] || seq[0][:len(set.Name)+2] != seq[1][:len(set.Name)+2] ||
		seq[2][:len(set.Name)+2] != seq[3][:len(set.Name)+2] || !strings.HasSuffix(seq[0], "restarting") || !strings.HasSuffix(seq[1], "re-creating") {
		t.Errorf("autohealing events %q, want one member at a time: %q (either member first)", seq, want)
	}
	got := getSet(t, set)
	c := meta.FindStatusCondition(got.Status.Conditions, vmv1alpha1.SetHealing)
	if c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, crashing[0]) || !strings.Contains(c.Message, "guest kernel panic") {
		t.Errorf("Healing condition %+v, want True naming %s and why", c, crashing[0])
	}
	for _, name := range crashing {
		if vmUID[name] == "" || vmUID[name] == before[name].vm {
			t.Errorf("%s: VM %s, want a re-created VM (was %s)", name, vmUID[name], before[name].vm)
		}
	}
	// The healthy member was left alone.
	if m := snapshot(t, set)[set.Name+"-0"]; m.instance != before[set.Name+"-0"].instance {
		t.Errorf("the healthy member's VM was restarted")
	}

	// Remove the crash: the members recover with the disks they had.
	for _, name := range crashing {
		m := &vmv1alpha1.Wukong{}
		if err := h.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, m); err != nil {
			t.Fatal(err)
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, sim.AnnotationCrash)
		if err := h.Client.Patch(t.Context(), m, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			t.Fatal(err)
		}
	}
	waitRolledOut(t, set)
	after := snapshot(t, set)
	for name, b := range before {
		a := after[name]
		if a.member != b.member || len(a.dataVolumes) == 0 || fmt.Sprint(a.dataVolumes) != fmt.Sprint(b.dataVolumes) {
			t.Errorf("%s: member or disks replaced by autohealing:\n before %+v\n after  %+v", name, b, a)
		}
	}
	eventually(t, rolloutTimeout, func() error {
		c := meta.FindStatusCondition(getSet(t, set).Status.Conditions, vmv1alpha1.SetHealing)
		if c == nil || c.Status != metav1.ConditionFalse {
			return fmt.Errorf("Healing %+v, want False once every member runs", c)
		}
		return nil
	})
}
