package manager_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/testenv"
)

// members is the size of the sets these tests create; WUKONG_TEST_MEMBERS overrides it for a measurement.
func members(t *testing.T, def int) int {
	if s := os.Getenv("WUKONG_TEST_MEMBERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("WUKONG_TEST_MEMBERS=%q: %v", s, err)
		}
		return n
	}
	return def
}

// readyTimes polls the set's members until all n are Ready and returns, by index, when each was first
// seen Ready, as a duration since start.
func readyTimes(t *testing.T, c client.Client, ns, set string, n int, start time.Time) []time.Duration {
	t.Helper()
	seen := make([]time.Duration, n)
	ready := 0
	deadline := start.Add(time.Duration(n)*time.Second + 2*time.Minute)
	for ready < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d members Ready after %s", ready, n, time.Since(start))
		}
		var list vmv1alpha1.WukongList
		if err := c.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels{vmv1alpha1.LabelSet: set}); err != nil {
			t.Fatalf("list members: %v", err)
		}
		now := time.Since(start)
		for _, w := range list.Items {
			i, err := strconv.Atoi(w.Labels[vmv1alpha1.LabelIndex])
			if err != nil || i >= n || seen[i] != 0 || w.Status.Phase != vmv1alpha1.WukongRunning {
				continue
			}
			seen[i] = now
			ready++
		}
		time.Sleep(100 * time.Millisecond)
	}
	return seen
}

// quiet waits until the manager has written nothing in ns for the given period, so deferred writes (import
// progress, at most every 10 s) have landed.
func quiet(t *testing.T, ns string, period time.Duration) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		m := requests.mark()
		time.Sleep(period)
		if sumWrites(requests.writesSince(m, ns)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the manager still writes in %s after 2 minutes", ns)
		}
	}
}

// reconciles is controller-runtime's count of the Wukong controller's finished reconciles.
func reconciles(t *testing.T) float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if label(m, "controller") == "wukong" {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestMemberWritesAndSteadyState creates a set, counts what the manager writes per member until every
// member runs (imports take 3 s as in the demo, so progress is reported), then touches every member and
// every VM instance, which makes the Wukong controller reconcile each again, and checks the manager writes
// nothing: a reconcile that finds the world as it wants it costs reads from the cache only.
func TestMemberWritesAndSteadyState(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	n := members(t, 20)
	ns, err := e.Namespace(ctx, "writes")
	if err != nil {
		t.Fatal(err)
	}
	mark := requests.mark()
	start := time.Now()
	if err := e.Client.Create(ctx, newSet(ns, "w", int32(n))); err != nil {
		t.Fatalf("create set: %v", err)
	}
	times := readyTimes(t, e.Client, ns, "w", n, start)
	quiet(t, ns, 12*time.Second)
	writes := requests.writesSince(mark, ns)
	t.Logf("%d members all Running after %s; manager writes %s", n, maxOf(times), formatWrites(writes, n))
	statusWrites := float64(writes["PATCH wukongs/status"]) / float64(n)
	// Pending/Provisioning, Starting, Running, and at most one deferred progress write.
	if statusWrites > 4 {
		t.Errorf("%.2f status writes per member, want at most 4 (one per phase change)", statusWrites)
	}

	// Steady state: touch every member and every VM instance.
	mark = requests.mark()
	before := reconciles(t)
	for i := range n {
		name := fmt.Sprintf("w-%d", i)
		patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"test.novasphere.dev/touched":"`+time.Now().Format(time.RFC3339Nano)+`"}}}`))
		if err := e.Client.Patch(ctx, &vmv1alpha1.Wukong{ObjectMeta: objectMeta(ns, name)}, patch); err != nil {
			t.Fatalf("touch Wukong %s: %v", name, err)
		}
		if err := e.Client.Patch(ctx, &kubevirtv1.VirtualMachineInstance{ObjectMeta: objectMeta(ns, name)}, patch); err != nil {
			t.Fatalf("touch VirtualMachineInstance %s: %v", name, err)
		}
	}
	testenv.Eventually(t, time.Minute, func() error {
		if got := reconciles(t) - before; got < float64(n) {
			return fmt.Errorf("%.0f reconciles of %d touched members", got, n)
		}
		return nil
	})
	time.Sleep(3 * time.Second)
	if w := requests.writesSince(mark, ns); len(w) > 0 {
		t.Errorf("the manager wrote in steady state: %v", w)
	}
}

func maxOf(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)-1]
}
