package bench

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	simulator "github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

var (
	managerEnv   = flag.String("manager-env", "", "extra environment for `wukong manager`, space-separated NAME=value (e.g. GOMEMLIMIT=270MiB, the soft memory limit --memory-limit-ratio derives from a container's limit)")
	managerFlags = flag.String("manager-flags", "", "extra flags for `wukong manager`, space-separated (e.g. --kube-api-qps=-1)")
	logDir       = flag.String("log-dir", "", "keep the manager's and simulator's logs in this folder (default: a temporary one, removed)")
)

const (
	// floorWorkers is the parallelism of the floor: what a well-written client can get from this apiserver.
	floorWorkers = 16
	// readyTimePerMember bounds the wait for a set to become Ready (10 minutes for 1,000 members, at least
	// minReadyTimeout). It is generous because the machine is shared: on two cores with other test runs
	// beside it, 1,000 members have taken 4 3/4 minutes.
	readyTimePerMember = 600 * time.Millisecond
	minReadyTimeout    = 2 * time.Minute
	// settleTimeout bounds the wait for writes to stop after the set is Ready.
	settleTimeout = 15 * time.Second
)

// BenchmarkWukongSetCreate scales a new WukongSet from 0 to N members with the built manager and simulator
// running as processes, and compares the times with the two floors measured on the same apiserver. ns/op
// is the time from the set's creation until it reports every member Ready. The sizes are $BENCH_N
// (comma-separated; default 100,1000).
func BenchmarkWukongSetCreate(b *testing.B) {
	// controller-runtime's client logs through a global logger; the benchmark has nothing to say through it.
	ctrllog.SetLogger(logr.Discard())
	sizes, err := benchSizes(os.Getenv("BENCH_N"))
	if err != nil {
		b.Fatal(err)
	}
	var summaries []string
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			for range b.N {
				r := runCreate(b, n)
				r.print(os.Stdout)
				summaries = append(summaries, r.summary())
				b.ReportMetric(ratio(r.created, r.floor.create), "created_x_bare")
				b.ReportMetric(ratio(r.ready, r.fair.ready), "ready_x_fair")
				b.ReportMetric(r.perMember(r.operatorWrites()), "operator_writes/member")
				b.ReportMetric(r.perMember(r.operatorDryRuns()), "dryruns/member")
				b.ReportMetric(float64(r.peakRSS>>20), "manager_peak_MiB")
			}
		})
	}
	// Last, together, so a log of the whole run ends with one machine-readable line per size.
	fmt.Println()
	for _, s := range summaries {
		fmt.Println(s)
	}
}

// defaultSizes are the set sizes `make bench` measures unless BENCH_N says otherwise: together under 15
// minutes on a 2-core machine. 10,000 takes longer; ask for it with BENCH_N=100,1000,10000.
const defaultSizes = "100,1000"

// benchSizes parses a comma-separated list of set sizes; empty means defaultSizes.
func benchSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(cmp.Or(strings.TrimSpace(s), defaultSizes), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("BENCH_N=%q: %q is not a positive number of members", s, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// runCreate is one measurement on a fresh control plane, so runs do not inherit each other's objects and
// caches. Only the span from the set's creation to Ready is timed by the benchmark's clock.
func runCreate(b *testing.B, n int) *result {
	b.StopTimer()
	bins := binaries(b)
	env := controlPlane(b)
	ctx := context.Background()
	var err error
	r := &result{n: n, cpu: map[string]time.Duration{}, managerFlags: strings.Fields(*managerFlags), managerEnv: strings.Fields(*managerEnv),
		existProgress: newProgress(n), memberReadyProgress: newProgress(n), readyProgress: newProgress(n),
		runningProgress: newProgress(n)}

	// The bare floor first, while nothing else runs: the manager would otherwise reconcile the floor's
	// objects and both would slow each other down.
	if r.floor, err = measureFloor(ctx, env, n); err != nil {
		b.Fatal(err)
	}

	dir := b.TempDir()
	if *logDir != "" {
		dir = filepath.Join(*logDir, fmt.Sprintf("N=%d", n))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	sim, err := startProcess(dir, "simulator", bins.sim, "--kubeconfig="+env.Kubeconfig,
		"--import-duration=0", "--boot-duration=0")
	if err != nil {
		b.Fatal(err)
	}
	defer sim.stop()
	if err := waitSimulator(ctx, env, sim); err != nil {
		b.Fatal(err)
	}
	// The fair floor next, with the simulator and without the manager, which would otherwise reconcile the
	// floor's members. It deletes what it made before the manager starts.
	if r.fair, err = measureFairFloor(ctx, env, n, sim); err != nil {
		b.Fatalf("%v\nsimulator log:\n%s", err, sim.tail())
	}

	// The manager serves its own metrics over plain HTTP on loopback, for its reconcile and work-queue
	// counters. A --metrics-bind-address in -manager-flags comes later and wins; the counters are then
	// reported unavailable.
	metricsAddr := testenv.FreeAddr(b)
	mgrArgs := append([]string{"manager", "--kubeconfig=" + env.Kubeconfig, "--metrics-bind-address=" + metricsAddr,
		"--metrics-secure=false", "--health-probe-bind-address=0", "--leader-elect=false"}, r.managerFlags...)
	mgr, err := startProcessEnv(dir, "manager", bins.wukong, r.managerEnv, mgrArgs...)
	if err != nil {
		b.Fatal(err)
	}
	defer mgr.stop()
	procs := []*process{mgr, sim}

	// Any process that dies ends the waits at once, with its log as the reason.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	for _, p := range procs {
		go func() {
			select {
			case <-p.done:
				cancel(fmt.Errorf("%s exited; end of its log:\n%s", p.name, p.tail()))
			case <-ctx.Done():
			}
		}()
	}

	if err := waitUp(ctx, env); err != nil {
		b.Fatalf("manager and simulator did not become ready: %v\nmanager log:\n%s\nsimulator log:\n%s", err, mgr.tail(), sim.tail())
	}

	ns, err := env.Namespace(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	set := webSet(ns, "web", n)
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	// Whole members, not metadata: their own Ready conditions tell how far the set's status lags behind.
	members, err := newFollower(ctx, func(ctx context.Context) (watch.Interface, error) {
		return wc.Watch(ctx, &vmv1alpha1.WukongList{}, client.InNamespace(ns), client.MatchingLabels{vmv1alpha1.LabelSet: set.Name})
	})
	if err != nil {
		b.Fatal(err)
	}
	setStatus, err := newFollower(ctx, func(ctx context.Context) (watch.Interface, error) {
		return wc.Watch(ctx, &vmv1alpha1.WukongSetList{}, client.InNamespace(ns), client.MatchingFields{"metadata.name": set.Name})
	})
	if err != nil {
		b.Fatal(err)
	}
	// The VM instances, as in the fair floor: whether members wait for their instances or their instances
	// wait for the operator.
	instances, err := newFollower(ctx, func(ctx context.Context) (watch.Interface, error) {
		return wc.Watch(ctx, &kubevirtv1.VirtualMachineInstanceList{}, client.InNamespace(ns))
	})
	if err != nil {
		b.Fatal(err)
	}

	before, _, err := settle(ctx, env)
	if err != nil {
		b.Fatal(err)
	}
	mgrBefore, mgrErr := scrapeManager(ctx, metricsAddr)
	cpuProcs := map[string]int{"manager": mgr.pid(), "simulator": sim.pid()}
	cpuBefore := cpuTimes(cpuProcs)

	b.StartTimer()
	start := time.Now()
	if err := env.Client.Create(ctx, set); err != nil {
		b.Fatal(err)
	}
	waitCtx, waitCancel := context.WithTimeout(ctx, max(minReadyTimeout, time.Duration(n)*readyTimePerMember))
	defer waitCancel()
	var (
		wg                    sync.WaitGroup
		createdErr, readyErr  error
		existing, memberReady = map[string]bool{}, map[string]bool{}
		lastReady, lastExists int32
	)
	wg.Go(func() {
		createdErr = members.until(waitCtx, func(obj runtime.Object) bool {
			m := obj.(*vmv1alpha1.Wukong)
			elapsed := time.Since(start)
			existing[m.Name] = true
			r.existProgress.observe(len(existing), elapsed)
			if len(existing) == n && r.created == 0 {
				r.created = elapsed
			}
			if !memberReady[m.Name] && meta.IsStatusConditionTrue(m.Status.Conditions, vmv1alpha1.WukongReady) {
				memberReady[m.Name] = true
				r.memberReadyProgress.observe(len(memberReady), elapsed)
				if len(memberReady) == n {
					r.membersReady = elapsed
				}
			}
			return r.created > 0 && r.membersReady > 0
		})
	})
	wg.Go(func() {
		readyErr = setStatus.until(waitCtx, func(obj runtime.Object) bool {
			s := obj.(*vmv1alpha1.WukongSet).Status
			lastReady, lastExists = s.ReadyReplicas, s.Replicas
			r.readyProgress.observe(int(s.ReadyReplicas), time.Since(start))
			if int(s.ReadyReplicas) < n {
				return false
			}
			r.ready = time.Since(start)
			return true
		})
	})
	// Not part of the wait: the set's status decides when the run is over.
	instancesCtx, instancesStop := context.WithCancel(waitCtx)
	instancesDone := make(chan struct{})
	go func() {
		defer close(instancesDone)
		running := map[string]bool{}
		_ = instances.until(instancesCtx, func(obj runtime.Object) bool {
			vmi := obj.(*kubevirtv1.VirtualMachineInstance)
			if !running[vmi.Name] && vmiRunning(vmi) {
				running[vmi.Name] = true
				r.runningProgress.observe(len(running), time.Since(start))
			}
			return len(running) == n
		})
	}()
	wg.Wait()
	b.StopTimer()
	instancesStop()
	<-instancesDone
	if err := errors.Join(createdErr, readyErr); err != nil {
		b.Fatalf("WukongSet of %d: %d members seen, %d of them Ready, status %d/%d Ready after %s: %v\nmanager log:\n%s",
			n, len(existing), len(memberReady), lastReady, lastExists, time.Since(start).Round(time.Second), err, mgr.tail())
	}

	after, settled, err := settle(ctx, env)
	if err != nil {
		b.Fatal(err)
	}
	if mgrErr == nil {
		var mgrAfter managerCounts
		if mgrAfter, mgrErr = scrapeManager(ctx, metricsAddr); mgrErr == nil {
			r.manager = mgrAfter.since(mgrBefore)
		}
	}
	r.managerErr = mgrErr
	r.window = time.Since(start)
	r.settled = settled
	r.requests = after.since(before)
	for name, d := range cpuTimes(cpuProcs) {
		r.cpu[name] = d - cpuBefore[name]
	}
	// Read while the manager still runs: /proc/<pid> is gone once it exits.
	if r.peakRSS, err = mgr.peakRSS(); err != nil {
		b.Fatal(err)
	}
	return r
}

type binaryPaths struct{ wukong, sim string }

// binaries finds the built binaries; the benchmark measures what `make build` produced and builds nothing
// itself, so a run never silently measures a stale or differently built binary it made on the side.
func binaries(b *testing.B) binaryPaths {
	dir := filepath.Join(testenv.RepoRoot(), "bin")
	p := binaryPaths{wukong: filepath.Join(dir, "wukong"), sim: filepath.Join(dir, "kubevirt-sim")}
	for _, path := range []string{p.wukong, p.sim} {
		if _, err := os.Stat(path); err != nil {
			b.Fatalf("%s is missing: run `make build` first (`make bench` does): %v", path, err)
		}
	}
	return p
}

// webSet is the design's example 6.1 with n replicas.
func webSet(namespace, name string, n int) *vmv1alpha1.WukongSet {
	return &vmv1alpha1.WukongSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: vmv1alpha1.WukongSetSpec{
			Replicas: ptr.To(int32(n)),
			Template: vmv1alpha1.WukongTemplateSpec{
				Metadata: vmv1alpha1.WukongTemplateMetadata{Labels: map[string]vmv1alpha1.TemplateString{"app": "web"}},
				Spec: vmv1alpha1.WukongSpec{
					CPU:    2,
					Memory: resource.MustParse("4Gi"),
					Disks: []vmv1alpha1.Disk{{
						Name:  "system",
						Size:  resource.MustParse("20Gi"),
						Image: "docker://quay.io/kubevirt/ubuntu:22.04",
					}},
				},
			},
		},
	}
}

func memberMetadataList() *metav1.PartialObjectMetadataList {
	l := &metav1.PartialObjectMetadataList{}
	l.SetGroupVersionKind(vmv1alpha1.GroupVersion.WithKind("WukongList"))
	return l
}

// waitUp waits until a one-member set is Ready: proof that the manager's caches have synced, both of its
// controllers run and the simulator answers, so the measured run does not include start-up. The probe set
// stays; one extra member in another namespace changes nothing measurable.
func waitUp(ctx context.Context, env *testenv.Env) error {
	ns, err := env.Namespace(ctx, "probe")
	if err != nil {
		return err
	}
	probe := webSet(ns, "probe", 1)
	if err := env.Client.Create(ctx, probe); err != nil {
		return fmt.Errorf("create probe WukongSet: %w", err)
	}
	return poll(ctx, 2*time.Minute, func() (bool, error) {
		got := &vmv1alpha1.WukongSet{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(probe), got); err != nil {
			return false, err
		}
		return got.Status.ReadyReplicas == 1 && meta.IsStatusConditionTrue(got.Status.Conditions, vmv1alpha1.SetAvailable), nil
	})
}

// waitSimulator waits until the simulator has registered its virt-api webhooks, the last step of its start:
// a VM created before would miss KubeVirt's defaults.
func waitSimulator(ctx context.Context, env *testenv.Env, sim *process) error {
	err := poll(ctx, 2*time.Minute, func() (bool, error) {
		if sim.exited() {
			return false, fmt.Errorf("simulator exited")
		}
		var m admissionregistrationv1.MutatingWebhookConfigurationList
		var v admissionregistrationv1.ValidatingWebhookConfigurationList
		if err := env.Client.List(ctx, &m, client.HasLabels{simulator.LabelVirtAPIWebhook}); err != nil {
			return false, err
		}
		if err := env.Client.List(ctx, &v, client.HasLabels{simulator.LabelVirtAPIWebhook}); err != nil {
			return false, err
		}
		return len(m.Items) > 0 && len(v.Items) > 0, nil
	})
	if err != nil {
		return fmt.Errorf("simulator did not register its webhooks: %w\nsimulator log:\n%s", err, sim.tail())
	}
	return nil
}

// settle waits until the apiserver has seen no write for a second, and returns its request counters then.
// Writes still in flight when the set turns Ready (the last members' events, status catching up) belong to
// the cost of creating it; writes that never stop would be a bug, and settled false reports them.
func settle(ctx context.Context, env *testenv.Env) (requests, bool, error) {
	deadline := time.Now().Add(settleTimeout)
	last, err := scrapeRequests(ctx, env)
	if err != nil {
		return last, false, err
	}
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return last, false, context.Cause(ctx)
		case <-time.After(time.Second):
		}
		now, err := scrapeRequests(ctx, env)
		if err != nil {
			return last, false, err
		}
		if now.since(last).writes() == 0 {
			return now, true, nil
		}
		last = now
	}
	return last, false, nil
}

// controlPlane starts a fresh kube-apiserver and etcd for b, stopped when b ends.
func controlPlane(b *testing.B) *testenv.Env {
	env, err := testenv.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := env.Stop(); err != nil {
			b.Error(err)
		}
	})
	return env
}

// cpuTimes is the CPU time used so far by the control plane, by procs (pids by name) and by the whole
// machine.
func cpuTimes(procs map[string]int) map[string]time.Duration {
	out := map[string]time.Duration{"machine": machineBusy()}
	for name, pid := range procs {
		if d, err := procCPU(pid); err == nil {
			out[name] = d
		}
	}
	for _, comm := range []string{"kube-apiserver", "etcd"} {
		if pid, ok := childPID(comm); ok {
			if d, err := procCPU(pid); err == nil {
				out[comm] = d
			}
		}
	}
	return out
}

// poll calls cond every 100 ms until it returns true, fails, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
