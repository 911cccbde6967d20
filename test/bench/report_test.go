package bench

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/novasphere/wukong/test/testenv"
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
	// floor is what the apiserver achieves alone with the same member objects.
	floor floorResult
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
	// requests is the apiserver's request count by "VERB resource[/sub]" from the set's creation until the
	// writes stopped (settled false: until the settle timeout).
	requests map[string]float64
	settled  bool
	// window is the time requests and cpu were measured over.
	window time.Duration
	// cpu is the CPU time over window of each process ("kube-apiserver", "etcd", "manager", "simulator") and
	// of the whole machine ("machine").
	cpu map[string]time.Duration
	// peakRSS is the manager's peak resident memory over its whole life.
	peakRSS      int64
	managerFlags []string
}

// writes is the number of mutating requests to the given resources; with none given, to every resource.
func (r *result) writes(resources ...string) float64 {
	if len(resources) == 0 {
		resources = resourcesOf(r.requests)
	}
	return testenv.Writes(nil, r.requests, resources...)
}

// resourcesOf lists the resources (with subresource) that requests name, each once.
func resourcesOf(requests map[string]float64) []string {
	var out []string
	for key := range requests {
		_, res, _ := strings.Cut(key, " ")
		out = append(out, res)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// perMember divides a count by the set's size.
func (r *result) perMember(v float64) float64 { return v / float64(r.n) }

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

// print writes the summary line, the breakdown of writes and CPU, and the request table.
func (r *result) print(w io.Writer) {
	total := r.writes()
	operator := r.operatorWrites()
	fmt.Fprintf(w, "\nN=%d  floor(%d workers): %s  all created: %s (%.2fx)  all Ready: %s (%.2fx)  "+
		"writes/member: total %.1f, operator %.1f, wukong+set %.1f  manager peak RSS: %d MiB\n",
		r.n, floorWorkers, seconds(r.floor.create), seconds(r.created), ratio(r.created, r.floor.create), seconds(r.ready), ratio(r.ready, r.floor.create),
		r.perMember(total), r.perMember(operator), r.perMember(r.writes(setResources...)), r.peakRSS>>20)
	other := total - operator - r.writes(simResources...)
	fmt.Fprintf(w, "  writes/member by writer: wukong+set %.2f, revisions %.2f, children %.2f, events %.2f, simulator %.2f, other %.2f\n",
		r.perMember(r.writes(setResources...)), r.perMember(r.writes(revisionResources...)), r.perMember(r.writes(childResources...)),
		r.perMember(r.writes(eventResources...)), r.perMember(r.writes(simResources...)), r.perMember(other))
	fmt.Fprintf(w, "  floor: %d creates %s, apiserver CPU %.1f ms each; %d dry-run creates %s\n", r.n, seconds(r.floor.create),
		1000*r.floor.apiserverCPU.Seconds()/float64(r.n), r.n, seconds(r.floor.dryRun))
	fmt.Fprintf(w, "  progress: exist %s; member Ready %s (all %s); set status Ready %s\n",
		r.existProgress, r.memberReadyProgress, seconds(r.membersReady), r.readyProgress)
	var cpu []string
	for _, name := range []string{"kube-apiserver", "etcd", "manager", "simulator"} {
		if d, ok := r.cpu[name]; ok {
			cpu = append(cpu, fmt.Sprintf("%s %s", name, seconds(d)))
		}
	}
	// The apiserver's CPU per write also pays for the reads, watches and dry runs around the writes: it is
	// what one write costs in this workload, to set against the floor's cost of a bare create.
	fmt.Fprintf(w, "  CPU over %s: %s; whole machine %s of %d cores (%.0f%% busy); apiserver CPU %.1f ms per write\n",
		seconds(r.window), strings.Join(cpu, ", "), seconds(r.cpu["machine"]), runtime.NumCPU(),
		100*r.cpu["machine"].Seconds()/(r.window.Seconds()*float64(runtime.NumCPU())), 1000*r.cpu["kube-apiserver"].Seconds()/total)
	flags := "(defaults)"
	if len(r.managerFlags) > 0 {
		flags = strings.Join(r.managerFlags, " ")
	}
	settled := ""
	if !r.settled {
		settled = "  (writes had not stopped when counted)"
	}
	fmt.Fprintf(w, "  manager flags: %s%s\n", flags, settled)

	keys := make([]string, 0, len(r.requests))
	for k, v := range r.requests {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	// Sorted by resource, then verb, so one object's reads and writes stand together.
	slices.SortFunc(keys, func(a, b string) int {
		va, ra, _ := strings.Cut(a, " ")
		vb, rb, _ := strings.Cut(b, " ")
		if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
		return strings.Compare(va, vb)
	})
	fmt.Fprintf(w, "  %-48s %8s %8s\n", "request", "count", "/member")
	for _, k := range keys {
		fmt.Fprintf(w, "  %-48s %8.0f %8.2f\n", k, r.requests[k], r.perMember(r.requests[k]))
	}
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
