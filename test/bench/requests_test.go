package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	wukongctrl "github.com/novasphere/wukong/internal/controller/wukong"
	simulator "github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// The operator's request budget (issue 13). Per member of a new set, what the manager writes for that member
// — the member, its status and its children — at most what the fair floor's ideal operator writes (the
// member, its VM, DataVolume and cloud-init Secret, one status write: 5), plus, for a member that took longer
// than ProgressInterval to be Ready (a loaded machine), one write per interval for a step of its start; for
// the set as a whole, its
// revision, its events and its status — written when something significant changes and otherwise at most
// every two seconds while counts move (internal/controller/wukongset statusInterval) — at most
// baseSetWrites plus one per setStatusInterval the creation took; and server-side dry runs per member. Once
// the set is Ready, nothing at all, a resync included.
const (
	budgetMembers          = 100
	maxWritesPerMember     = 5.0
	baseSetWrites          = 10
	setStatusInterval      = 2 * time.Second
	maxDryRunsPerMember    = 0.01
	requestsTestTimeout    = 100 * time.Second
	requestsQuietPeriod    = 2 * time.Second
	requestsSettleDeadline = 20 * time.Second
)

// TestOperatorRequests holds the operator to its request budget, counted by the apiserver: the manager runs
// as its ServiceAccount (config/rbac's permissions) and the apiserver's audit log records that user's
// requests, so the simulator's and the test's own requests are not counted, whatever resource they touch.
//
//   - creation: a new set of budgetMembers members until it is Ready and the manager's writes stop;
//     writes and dry runs per member must stay within maxWritesPerMember and maxDryRunsPerMember.
//   - steady state: once the set is Ready, a quiet period and then a resync — the manager restarted, so every
//     set and member is listed again and reconciled from a fresh cache, which is what a resync does with
//     less state — must make no write at all.
//
// The manager is the built binary (a go build of ./cmd/wukong, cached), so it is restarted as a process; the
// simulator runs in the test. Imports and boots are instant: the budget is about the operator, not timing.
func TestOperatorRequests(t *testing.T) {
	ctrllog.SetLogger(logr.Discard())
	ctx, cancel := context.WithTimeout(t.Context(), requestsTestTimeout)
	defer cancel()
	user, err := testenv.ManagerUser()
	if err != nil {
		t.Fatal(err)
	}
	env, err := testenv.StartWith(testenv.Options{AuditUsers: []string{user}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	id, err := env.ManagerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wukong, err := testenv.Build(dir, "wukong", "./cmd/wukong")
	if err != nil {
		t.Fatal(err)
	}
	simCtx, simStop := context.WithCancel(context.Background())
	simWait, err := simulator.Start(simCtx, env.Config, simulator.Options{})
	if err != nil {
		simStop()
		t.Fatal(err)
	}
	t.Cleanup(func() { simStop(); _ = simWait() })

	metricsAddr := testenv.FreeAddr(t)
	startManager := func(name string) *process {
		t.Helper()
		p, err := startProcess(dir, name, wukong, "manager", "--kubeconfig="+id.Kubeconfig, "--leader-elect=false",
			"--health-probe-bind-address=0", "--metrics-bind-address="+metricsAddr, "--metrics-secure=false")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.stop)
		return p
	}
	mgr := startManager("manager")

	ns, err := env.Namespace(ctx, "budget")
	if err != nil {
		t.Fatal(err)
	}
	audit := &auditReader{path: env.AuditLog, user: id.User}
	set := webSet(ns, "web", budgetMembers)
	// The manager's start-up requests (lists, watches, its first reconciles of nothing) are not the set's.
	waitReconciled(ctx, t, mgr, metricsAddr, "wukongset", 0)
	startCount := audit.count(t)
	start := time.Now()
	if err := env.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	err = poll(ctx, requestsTestTimeout, func() (bool, error) {
		if mgr.exited() {
			return false, fmt.Errorf("manager exited:\n%s", mgr.tail())
		}
		got := &vmv1alpha1.WukongSet{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
			return false, err
		}
		return got.Status.ReadyReplicas == budgetMembers, nil
	})
	if err != nil {
		t.Fatalf("set of %d did not become Ready: %v\nmanager log:\n%s", budgetMembers, err, mgr.tail())
	}
	ready := time.Since(start)
	audit.settle(ctx, t)
	steadyCount := audit.count(t)

	t.Run("creation", func(t *testing.T) {
		creation := audit.since(t, startCount)
		writes, dryRuns := creation.total()
		setWrites := creation.setWrites()
		memberWrites := writes - setWrites
		t.Logf("creation of %d members (Ready after %s), the manager's requests by the apiserver's audit log:\n%s", budgetMembers,
			ready.Round(100*time.Millisecond), creation)
		maxSetWrites := baseSetWrites + int(ready/setStatusInterval)
		t.Logf("per member: %.2f writes for the member (budget %.0f), %.2f all told with the set's %.0f (budget %d); %.3f dry runs (budget %.2f)",
			memberWrites/budgetMembers, maxWritesPerMember, writes/budgetMembers, setWrites, maxSetWrites, dryRuns/budgetMembers, maxDryRunsPerMember)
		// A member that runs within wukongctrl.ProgressInterval of its creation costs the ideal 5 writes; one
		// that takes longer (a loaded machine) may show one step of its start per interval on top.
		allowed := stepAllowance(ctx, t, env.Client, ns)
		t.Logf("members slower than %s to be Ready: %.0f step writes allowed on top of the ideal", wukongctrl.ProgressInterval, allowed)
		if memberWrites > maxWritesPerMember*budgetMembers+allowed {
			t.Errorf("creating %d members took %.2f manager writes per member for the members, budget %.0f plus %.0f steps in all",
				budgetMembers, memberWrites/budgetMembers, maxWritesPerMember, allowed)
		}
		if setWrites > float64(maxSetWrites) {
			t.Errorf("creating %d members took %.0f writes of the set's status, revisions and events, budget %d", budgetMembers, setWrites, maxSetWrites)
		}
		if dryRuns/budgetMembers > maxDryRunsPerMember {
			t.Errorf("creating %d members took %.3f dry runs per member, budget %.2f", budgetMembers, dryRuns/budgetMembers, maxDryRunsPerMember)
		}
	})

	t.Run("steady state and resync", func(t *testing.T) {
		// A quiet period, then a resync by restart: the new process lists every set and member and
		// reconciles each from a fresh cache.
		time.Sleep(requestsQuietPeriod)
		mgr.stop()
		mgr = startManager("manager-resync")
		waitReconciled(ctx, t, mgr, metricsAddr, "wukong", budgetMembers)
		waitReconciled(ctx, t, mgr, metricsAddr, "wukongset", 1)
		time.Sleep(requestsQuietPeriod)
		steady := audit.since(t, steadyCount)
		w, d := steady.total()
		t.Logf("steady state, %s quiet and a restart that reconciled every member again: %.0f writes, %.0f dry runs by the manager", requestsQuietPeriod, w, d)
		if w+d > 0 {
			t.Errorf("steady state with a resync: the manager made %.0f writes and %.0f dry runs, want none:\n%s", w, d, steady)
		}
	})
}

// stepAllowance is how many status writes of a start's steps the members of namespace ns may have made on
// top of their one write of Running: one per wukongctrl.ProgressInterval between a member's creation and its
// Ready condition turning True (creationTimestamp has whole seconds: one second more is allowed).
func stepAllowance(ctx context.Context, t *testing.T, c client.Client, ns string) float64 {
	t.Helper()
	var list vmv1alpha1.WukongList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, m := range list.Items {
		ready := meta.FindStatusCondition(m.Status.Conditions, vmv1alpha1.WukongReady)
		if ready == nil || ready.Status != metav1.ConditionTrue {
			continue
		}
		took := ready.LastTransitionTime.Sub(m.CreationTimestamp.Time) + time.Second
		n += float64(took / wukongctrl.ProgressInterval)
	}
	return n
}

// waitReconciled waits until the manager's controller has finished at least atLeast reconciles since the
// process started and its work queue is empty, from the manager's own metrics.
func waitReconciled(ctx context.Context, t *testing.T, mgr *process, addr, controller string, atLeast float64) {
	t.Helper()
	err := poll(ctx, time.Minute, func() (bool, error) {
		if mgr.exited() {
			return false, fmt.Errorf("manager exited:\n%s", mgr.tail())
		}
		reconciles, depth, ok := controllerMetrics(ctx, addr, controller)
		return ok && reconciles >= atLeast && depth == 0, nil
	})
	if err != nil {
		t.Fatalf("controller %s did not reconcile %.0f objects: %v", controller, atLeast, err)
	}
}

// controllerMetrics reads a controller's finished reconciles and its work queue's depth from the manager's
// metrics endpoint; ok is false until the endpoint answers with the controller's series.
func controllerMetrics(ctx context.Context, addr, controller string) (reconciles, depth float64, ok bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, 0, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, 0, false
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(raw)))
	if err != nil {
		return 0, 0, false
	}
	for _, m := range families["controller_runtime_reconcile_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "controller" && l.GetValue() == controller {
				reconciles += m.GetCounter().GetValue()
				ok = true
			}
		}
	}
	for _, m := range families["workqueue_depth"].GetMetric() {
		for _, l := range m.GetLabel() {
			if (l.GetName() == "name" || l.GetName() == "controller") && l.GetValue() == controller {
				depth += m.GetGauge().GetValue()
			}
		}
	}
	return reconciles, depth, ok
}

// auditReader counts one user's requests in the apiserver's audit log (JSON lines, one per request).
type auditReader struct {
	path, user string
}

// auditCounts are a user's requests by "verb resource[/subresource]", dry runs apart.
type auditCounts struct {
	writes, dryRuns map[string]float64
}

var auditWriteVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// events reads every audit event of the user.
func (a *auditReader) events(t *testing.T) []auditv1.Event {
	t.Helper()
	f, err := os.Open(a.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditv1.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev auditv1.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			// The apiserver may be writing this very line.
			continue
		}
		if ev.User.Username == a.user {
			out = append(out, ev)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// count is the number of the user's requests so far.
func (a *auditReader) count(t *testing.T) int { return len(a.events(t)) }

// since counts the user's writes and dry runs after the first skip requests.
func (a *auditReader) since(t *testing.T, skip int) auditCounts {
	c := auditCounts{writes: map[string]float64{}, dryRuns: map[string]float64{}}
	evs := a.events(t)
	for _, ev := range evs[min(skip, len(evs)):] {
		if !auditWriteVerbs[ev.Verb] || ev.ObjectRef == nil {
			continue
		}
		key := ev.Verb + " " + ev.ObjectRef.Resource
		if ev.ObjectRef.Subresource != "" {
			key += "/" + ev.ObjectRef.Subresource
		}
		if strings.Contains(ev.RequestURI, "dryRun=") {
			c.dryRuns[key]++
		} else {
			c.writes[key]++
		}
	}
	return c
}

// settle waits until the user has made no write for requestsQuietPeriod (at most requestsSettleDeadline):
// the last members' status and events belong to the creation.
func (a *auditReader) settle(ctx context.Context, t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(requestsSettleDeadline)
	lastW, lastD := a.since(t, 0).total()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(requestsQuietPeriod)
		w, d := a.since(t, 0).total()
		if w == lastW && d == lastD {
			return
		}
		lastW, lastD = w, d
	}
}

// setWideResources are the resources written for a set as a whole, not per member: its status, its revisions and
// events (the manager's events are on the set, per batch; a member's only when it fails).
var setWideResources = []string{"wukongsets/status", "controllerrevisions", "events"}

// setWrites is the writes (not dry runs) of setWideResources.
func (c auditCounts) setWrites() (n float64) {
	for k, v := range c.writes {
		if _, resource, _ := strings.Cut(k, " "); slices.Contains(setWideResources, resource) {
			n += v
		}
	}
	return n
}

func (c auditCounts) total() (writes, dryRuns float64) {
	for _, v := range c.writes {
		writes += v
	}
	for _, v := range c.dryRuns {
		dryRuns += v
	}
	return writes, dryRuns
}

func (c auditCounts) String() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(c.writes)) {
		fmt.Fprintf(&b, "  %-48s %6.0f %6.2f/member\n", k, c.writes[k], c.writes[k]/budgetMembers)
	}
	for _, k := range slices.Sorted(maps.Keys(c.dryRuns)) {
		fmt.Fprintf(&b, "  %-48s %6.0f %6.2f/member\n", k+" (dry run)", c.dryRuns[k], c.dryRuns[k]/budgetMembers)
	}
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}
