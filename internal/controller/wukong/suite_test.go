package wukong_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/harness"
	"github.com/novasphere/wukong/test/logcapture"
	"github.com/novasphere/wukong/test/testenv"
)

// h is the control plane, operator and simulator every test shares. Starting a kube-apiserver costs seconds,
// so it is started once; each test isolates itself in a namespace of its own instead.
var h *harness.Harness

// logs records what the manager (and the simulator) logs, debug lines (V(1) to V(4)) included, for tests
// that search the logs. Higher verbosities dump whole request and response bodies, the user's spec with
// its images included, and are not meant for a production log.
var logs = logcapture.New(4)

func TestMain(m *testing.M) {
	// Before the harness, which discards logs: controller-runtime keeps the first logger set.
	ctrl.SetLogger(logr.New(logs))
	var err error
	h, err = harness.Start(harness.DefaultOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, "start harness:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := h.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop harness:", err)
	}
	os.Exit(code)
}

// Timeouts are generous because the machine is small and shared; a passing test normally needs a fraction.
// timeout bounds waiting for the operator and the simulator to reach a state.
const timeout = 60 * time.Second

// eventually is testenv.Eventually, named for brevity in this package's many waits.
func eventually(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	testenv.Eventually(t, timeout, cond)
}

// namespace creates a fresh namespace for one test, so tests may run in parallel without seeing each
// other's objects. envtest has no namespace controller, so namespaces are left behind rather than deleted.
func namespace(t *testing.T) string {
	t.Helper()
	ns, err := h.Namespace(context.Background(), "wukong")
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := h.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
	}
}

// get reads obj from the apiserver, not from a cache, so a test asserts what a user would see.
func get[T client.Object](t *testing.T, ns, name string, obj T) T {
	t.Helper()
	if err := h.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
		t.Fatalf("get %T %s: %v", obj, name, err)
	}
	return obj
}

// mergePatch applies a JSON merge patch, as `kubectl patch --type merge` would: only the fields named change,
// so a test never races the operator's or the simulator's writes with a stale full object.
func mergePatch(t *testing.T, obj client.Object, patch string) {
	t.Helper()
	if err := h.Client.Patch(context.Background(), obj, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatalf("patch %T %s with %s: %v", obj, obj.GetName(), patch, err)
	}
}

// annotate sets (value non-nil) or removes (nil) one annotation with a merge patch.
func annotate(t *testing.T, obj client.Object, key string, value *string) {
	t.Helper()
	v, _ := json.Marshal(value) // null removes the key
	mergePatch(t, obj, fmt.Sprintf(`{"metadata":{"annotations":{%q:%s}}}`, key, v))
}

// condition returns the condition of type typ, or nil.
func condition(w *vmv1alpha1.Wukong, typ string) *metav1.Condition {
	return meta.FindStatusCondition(w.Status.Conditions, typ)
}

// conditionIs reports as an error, for eventually, how condition typ differs from the wanted status and
// reason (reason "" matches any). The condition must also be computed from the current generation, or the
// test could pass on a status written before its last spec change.
func conditionIs(w *vmv1alpha1.Wukong, typ string, status metav1.ConditionStatus, reason string) error {
	c := condition(w, typ)
	switch {
	case c == nil:
		return fmt.Errorf("Wukong %s has no %s condition (phase %q)", w.Name, typ, w.Status.Phase)
	case c.Status != status || (reason != "" && c.Reason != reason):
		return fmt.Errorf("Wukong %s condition %s is %s/%s (%q), want %s/%s", w.Name, typ, c.Status, c.Reason, c.Message, status, reason)
	case c.ObservedGeneration != w.Generation:
		return fmt.Errorf("Wukong %s condition %s is for generation %d, want %d", w.Name, typ, c.ObservedGeneration, w.Generation)
	}
	return nil
}

// waitFor polls the Wukong until check accepts it and returns the accepted object.
func waitFor(t *testing.T, ns, name string, check func(w *vmv1alpha1.Wukong) error) *vmv1alpha1.Wukong {
	t.Helper()
	var w *vmv1alpha1.Wukong
	eventually(t, timeout, func() error {
		w = &vmv1alpha1.Wukong{}
		if err := h.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, w); err != nil {
			return err
		}
		return check(w)
	})
	return w
}

// phaseIs accepts a Wukong in phase p whose status was computed from its current generation.
func phaseIs(p vmv1alpha1.WukongPhase) func(w *vmv1alpha1.Wukong) error {
	return func(w *vmv1alpha1.Wukong) error {
		if w.Status.Phase != p || w.Status.ObservedGeneration != w.Generation {
			return fmt.Errorf("Wukong %s is %q at generation %d/%d, want %q; conditions %s",
				w.Name, w.Status.Phase, w.Status.ObservedGeneration, w.Generation, p, conditionsString(w))
		}
		return nil
	}
}

// waitPhase waits until the Wukong reaches phase p.
func waitPhase(t *testing.T, ns, name string, p vmv1alpha1.WukongPhase) *vmv1alpha1.Wukong {
	t.Helper()
	return waitFor(t, ns, name, phaseIs(p))
}

// conditionsString is a compact rendering of the conditions for failure messages.
func conditionsString(w *vmv1alpha1.Wukong) string {
	var parts []string
	for _, c := range w.Status.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s/%s(%q)", c.Type, c.Status, c.Reason, c.Message))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// events lists the events.k8s.io/v1 Events regarding the Wukong name, the API the operator's recorder writes.
func events(t *testing.T, ns, name string) []eventsv1.Event {
	t.Helper()
	var list eventsv1.EventList
	if err := h.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatalf("list events: %v", err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == "Wukong" && e.Regarding.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// waitEvent waits for an event of type typ and reason regarding the Wukong whose note contains note, and
// returns it. Events are written asynchronously by the recorder's broadcaster, hence the wait.
func waitEvent(t *testing.T, ns, name, typ, reason, note string) eventsv1.Event {
	t.Helper()
	var found eventsv1.Event
	eventually(t, timeout, func() error {
		evs := events(t, ns, name)
		for _, e := range evs {
			if e.Type == typ && e.Reason == reason && strings.Contains(e.Note, note) {
				found = e
				return nil
			}
		}
		var seen []string
		for _, e := range evs {
			seen = append(seen, e.Type+"/"+e.Reason+": "+e.Note)
		}
		return fmt.Errorf("no %s event %s with note containing %q for Wukong %s; have %q", typ, reason, note, name, seen)
	})
	return found
}

// newWukong is a small valid Wukong: one image disk, no networks, no user. Tests add what they exercise.
func newWukong(ns, name string) *vmv1alpha1.Wukong {
	return &vmv1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: vmv1alpha1.WukongSpec{
			CPU:    2,
			Memory: resource.MustParse("1Gi"),
			Disks: []vmv1alpha1.Disk{{
				Name: "root", Size: resource.MustParse("10Gi"), Image: "docker://quay.io/containerdisks/fedora:41",
			}},
		},
	}
}

// vmi returns the VM instance named name, nil when there is none.
func vmi(t *testing.T, ns, name string) *kubevirtv1.VirtualMachineInstance {
	t.Helper()
	i := &kubevirtv1.VirtualMachineInstance{}
	if !testenv.Exists(t, h.Client, ns, name, i) {
		return nil
	}
	return i
}

// secret is a user's Secret, such as the ones a cloud-init user refers to.
func secret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}
