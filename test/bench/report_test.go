package bench

import (
	"fmt"
	"io"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Resources by who writes them. The apiserver's metrics name resources, not clients, so writes are told
// apart by what is written: each resource below has one writer in this benchmark.
var (
	// setResources are the set and its members: what the WukongSet controller writes (and the Wukong
	// controller's status of each member).
	setResources = []string{"wukongsets", "wukongsets/status", "wukongs", "wukongs/status"}
	// revisionResources are the set's template revisions, written by the WukongSet controller.
	revisionResources = []string{"controllerrevisions"}
	// childResources are each member's children, written by the Wukong controller.
	childResources = []string{"secrets", "datavolumes", "virtualmachines", "network-attachment-definitions"}
	// eventResources are the events both controllers record.
	eventResources = []string{"events"}
	// simResources are written only by the simulator, standing in for KubeVirt and CDI.
	simResources = []string{"virtualmachineinstances", "virtualmachineinstances/status", "virtualmachines/status", "datavolumes/status"}
)

// result is one run's measurements.
type result struct {
	n int
	// floor is the bare floor: what the apiserver achieves alone with the same member objects.
	floor floorResult
	// fair is the fair floor: what an ideal operator writes per member, written directly, with the simulator.
	fair fairResult
	// created and ready are from the set's creation until n members exist, and until the set's status
	// reports n Ready.
	created, ready time.Duration
	// membersReady is when every member's own Ready condition was True, which the set's status reports
	// only at its next reconcile.
	membersReady time.Duration
	// existProgress, memberReadyProgress and readyProgress are when 10%, 50% and 90% of the members existed,
	// were Ready by their own condition, and were Ready in the set's status: a straight line means a steady
	// rate, a long last stretch means stragglers (backoff, requeues).
	existProgress, memberReadyProgress, readyProgress *progress
	// runningProgress is when 10%, 50% and 90% of the members' VM instances ran and were ready.
	runningProgress *progress
	// requests is the apiserver's request count by "VERB resource[/sub]" from the set's creation until the
	// writes stopped (settled false: until the settle timeout).
	requests requests
	settled  bool
	// window is the time requests and cpu were measured over.
	window time.Duration
	// cpu is the CPU time over window of each process ("kube-apiserver", "etcd", "manager", "simulator") and
	// of the whole machine ("machine").
	cpu map[string]time.Duration
	// peakRSS is the manager's peak resident memory over its whole life.
	peakRSS      int64
	managerFlags []string
	// managerEnv is the environment added to the manager's (-manager-env).
	managerEnv []string
	// manager is the manager's reconciles and work-queue adds by controller, from its own metrics, from
	// just before the set's creation until the writes stopped; managerErr, when set, is why they could not
	// be read (a --metrics-bind-address among the manager flags, for one), and manager is then empty.
	manager    managerCounts
	managerErr error
}

// writes is the number of mutating requests to the given resources; with none given, to every resource.
func (r *result) writes(resources ...string) float64 { return r.requests.writes(resources...) }

// perMember divides a count by the set's size.
func (r *result) perMember(v float64) float64 { return v / float64(r.n) }

// operatorDryRuns are the dry runs of the resources the operator writes.
func (r *result) operatorDryRuns() float64 {
	return r.requests.dryRuns(slices.Concat(setResources, revisionResources, childResources, eventResources)...)
}

func (r *result) operatorWrites() float64 {
	return r.writes(setResources...) + r.writes(revisionResources...) + r.writes(childResources...) + r.writes(eventResources...)
}

func ratio(d, floor time.Duration) float64 {
	if floor <= 0 {
		return 0
	}
	return float64(d) / float64(floor)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// print writes the times against both floors, the breakdown of writes, dry runs and CPU, and the request
// table.
func (r *result) print(w io.Writer) {
	total := r.writes()
	operator := r.operatorWrites()
	fmt.Fprintf(w, "\nN=%d\n", r.n)
	fmt.Fprintf(w, "  bare floor (%d workers, %d member creates): %s   fair floor (%d workers, member+children+status, simulator): %s\n",
		floorWorkers, r.n, seconds(r.floor.create), floorWorkers, seconds(r.fair.ready))
	fmt.Fprintf(w, "  set: all created %s = %.2fx bare floor;  all Ready %s = %.2fx fair floor (%.1fx bare);  first 10%% Ready %s = %.2f of all-Ready\n",
		seconds(r.created), ratio(r.created, r.floor.create), seconds(r.ready), ratio(r.ready, r.fair.ready), ratio(r.ready, r.floor.create),
		seconds(r.firstTenthReady()), ratio(r.firstTenthReady(), r.ready))
	fmt.Fprintf(w, "  progress: exist %s; VM instances running %s; member Ready %s (all %s); set status Ready %s\n",
		r.existProgress, r.runningProgress, r.memberReadyProgress, seconds(r.membersReady), r.readyProgress)
	fmt.Fprintf(w, "  fair floor: all created %s, VM instances running %s; writes/member: floor %.2f, simulator %.2f; dry runs/member %.2f\n",
		seconds(r.fair.created), r.fair.running, r.perMember(r.fair.requests.writes(fairWriterResources...)),
		r.perMember(r.fair.requests.writes(simResources...)), r.perMember(r.fair.requests.dryRuns()))
	fmt.Fprintf(w, "  bare floor: %d creates %s, apiserver CPU %.1f ms each; %d dry-run creates %s\n", r.n, seconds(r.floor.create),
		1000*r.floor.apiserverCPU.Seconds()/float64(r.n), r.n, seconds(r.floor.dryRun))
	other := total - operator - r.writes(simResources...)
	fmt.Fprintf(w, "  set run writes/member: total %.2f = operator %.2f (wukong+set %.2f, revisions %.2f, children %.2f, events %.2f) + simulator %.2f + other %.2f\n",
		r.perMember(total), r.perMember(operator), r.perMember(r.writes(setResources...)), r.perMember(r.writes(revisionResources...)),
		r.perMember(r.writes(childResources...)), r.perMember(r.writes(eventResources...)), r.perMember(r.writes(simResources...)), r.perMember(other))
	fmt.Fprintf(w, "  set run dry runs/member: operator %.3f, simulator %.3f\n", r.perMember(r.operatorDryRuns()), r.perMember(r.requests.dryRuns(simResources...)))
	// The apiserver's CPU per write also pays for the reads, watches and dry runs around the writes: it is
	// what one write costs in this workload, to set against the floor's cost of a bare create.
	fmt.Fprintf(w, "  set run CPU over %s: %s; apiserver CPU %.1f ms per write\n", seconds(r.window), cpuLine(r.cpu, r.window),
		1000*r.cpu["kube-apiserver"].Seconds()/total)
	fairTotal := r.fair.requests.writes()
	fmt.Fprintf(w, "  fair floor CPU over %s: %s; apiserver CPU %.1f ms per write\n", seconds(r.fair.ready), cpuLine(r.fair.cpu, r.fair.ready),
		1000*r.fair.cpu["kube-apiserver"].Seconds()/fairTotal)
	fmt.Fprintf(w, "  manager peak RSS %d MiB, CPU %s\n", r.peakRSS>>20, seconds(r.cpu["manager"]))
	if r.managerErr != nil {
		fmt.Fprintf(w, "  manager metrics: unavailable (%v)\n", r.managerErr)
	} else {
		fmt.Fprintf(w, "  manager reconciles: %s; queue adds: %s\n", r.byController(r.manager.reconciles), r.byController(r.manager.queueAdds))
	}
	flags := "(defaults)"
	if extra := append(slices.Clone(r.managerEnv), r.managerFlags...); len(extra) > 0 {
		flags = strings.Join(extra, " ")
	}
	settled := ""
	if !r.settled {
		settled = "  (writes had not stopped when counted)"
	}
	fmt.Fprintf(w, "  manager environment and flags: %s%s\n", flags, settled)

	// Sorted by resource, then verb, so one object's reads and writes stand together; the fair floor's
	// requests beside the set run's.
	seen := map[string]bool{}
	for _, reqs := range []requests{r.requests, r.fair.requests} {
		for k := range reqs.real {
			seen[k] = true
		}
		for k := range reqs.dryRun {
			seen[k+" (dry run)"] = true
		}
	}
	keys := slices.Collect(maps.Keys(seen))
	slices.SortFunc(keys, func(a, b string) int {
		va, ra, _ := strings.Cut(a, " ")
		vb, rb, _ := strings.Cut(b, " ")
		if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
		return strings.Compare(va, vb)
	})
	count := func(reqs requests, k string) float64 {
		if base, ok := strings.CutSuffix(k, " (dry run)"); ok {
			return reqs.dryRun[base]
		}
		return reqs.real[k]
	}
	fmt.Fprintf(w, "  apiserver requests (apiserver_request_total)\n  %-58s %8s %8s %12s\n", "request", "set run", "/member", "fair /member")
	for _, k := range keys {
		v := count(r.requests, k)
		fmt.Fprintf(w, "  %-58s %8.0f %8.2f %12.2f\n", k, v, r.perMember(v), r.perMember(count(r.fair.requests, k)))
	}
}

// cpuLine formats CPU times by process (the control plane, then the operator or the floor's writers, then the
// simulator) and the whole machine's, with how busy it was over window.
func cpuLine(cpu map[string]time.Duration, window time.Duration) string {
	var parts []string
	for _, name := range []string{"kube-apiserver", "etcd", "manager", "writers", "simulator"} {
		if d, ok := cpu[name]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", name, seconds(d)))
		}
	}
	return fmt.Sprintf("%s; whole machine %s of %d cores (%.0f%% busy)", strings.Join(parts, ", "), seconds(cpu["machine"]),
		runtime.NumCPU(), 100*cpu["machine"].Seconds()/(window.Seconds()*float64(runtime.NumCPU())))
}

// byController formats a count of each of benchControllers, with its share per member.
func (r *result) byController(counts map[string]float64) string {
	parts := make([]string, len(benchControllers))
	for i, c := range benchControllers {
		parts[i] = fmt.Sprintf("%s %.0f (%.2f/member)", c, counts[c], r.perMember(counts[c]))
	}
	return strings.Join(parts, ", ")
}

// managerSummary is the set controller's reconciles and the member controller's reconciles per member,
// both -1 when the manager's metrics were unavailable.
func (r *result) managerSummary() (setReconciles int, wukongPerMember float64) {
	if r.managerErr != nil {
		return -1, -1
	}
	return int(r.manager.reconciles["wukongset"]), r.perMember(r.manager.reconciles["wukong"])
}

// firstTenthReady is when the first 10% of the members were Ready by their own condition.
func (r *result) firstTenthReady() time.Duration { return r.memberReadyProgress.at[0] }

// summary is one machine-readable line of the run's key figures: times in seconds, ratios, writes and dry
// runs per member by the operator, the manager's peak RSS and CPU, and its reconciles. New fields go at the
// end: scripts parse the line.
func (r *result) summary() string {
	setReconciles, wukongPerMember := r.managerSummary()
	return fmt.Sprintf("BENCH_SUMMARY n=%d bare_s=%.2f fair_s=%.2f created_s=%.2f ready_s=%.2f created_x_bare=%.2f ready_x_fair=%.2f "+
		"first10_ready_s=%.2f first10_ready_frac=%.3f writes_per_member=%.2f dryruns_per_member=%.3f sim_writes_per_member=%.2f "+
		"fair_writes_per_member=%.2f rss_mib=%d cpu_s=%.1f apiserver_cpu_s=%.1f machine_busy_pct=%.0f "+
		"set_reconciles=%d wukong_reconciles_per_member=%.2f",
		r.n, r.floor.create.Seconds(), r.fair.ready.Seconds(), r.created.Seconds(), r.ready.Seconds(),
		ratio(r.created, r.floor.create), ratio(r.ready, r.fair.ready),
		r.firstTenthReady().Seconds(), ratio(r.firstTenthReady(), r.ready),
		r.perMember(r.operatorWrites()), r.perMember(r.operatorDryRuns()), r.perMember(r.writes(simResources...)),
		r.perMember(r.fair.requests.writes(fairWriterResources...)), r.peakRSS>>20, r.cpu["manager"].Seconds(),
		r.cpu["kube-apiserver"].Seconds(), 100*r.cpu["machine"].Seconds()/(r.window.Seconds()*float64(runtime.NumCPU())),
		setReconciles, wukongPerMember)
}

// progressMarks are the fractions of members progress reports.
var progressMarks = []float64{0.1, 0.5, 0.9}

// progress records when a count first reached each of progressMarks of n.
type progress struct {
	n  int
	at []time.Duration
}

func newProgress(n int) *progress {
	return &progress{n: n, at: make([]time.Duration, len(progressMarks))}
}

func (p *progress) observe(count int, elapsed time.Duration) {
	for i, f := range progressMarks {
		if p.at[i] == 0 && float64(count) >= math.Ceil(f*float64(p.n)) {
			p.at[i] = elapsed
		}
	}
}

func (p *progress) String() string {
	parts := make([]string, len(progressMarks))
	for i, f := range progressMarks {
		parts[i] = fmt.Sprintf("%.0f%% %s", f*100, seconds(p.at[i]))
	}
	return strings.Join(parts, ", ")
}
