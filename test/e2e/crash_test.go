package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/testenv"
)

// The crash test's set: four members, one may be unavailable, no surge, so restarts go strictly one at a
// time and any double restart or extra unavailable member shows.
const (
	crashNamespace   = "crash"
	crashReplicas    = 4
	crashUnavailable = 1
	// crashToleration is the toleration the live change adds (placement: KubeVirt applies it live).
	crashToleration = "crash.novasphere.dev/dedicated"
	// managerLease is the manager's leader-election lease (internal/manager).
	managerLease = "wukong-manager.vm.novasphere.dev"

	crashRolloutTimeout = 90 * time.Second
	crashKillTimeout    = 60 * time.Second
)

// Kinds the tracker watches.
const (
	kindWukong = "Wukong"
	kindVM     = "VirtualMachine"
	kindVMI    = "VirtualMachineInstance"
)

// TestCrashDuringInPlaceUpdate kills the built manager with SIGKILL at several moments of an in-place
// rollout, each detected on the apiserver's watch streams, and starts it again each time. A restart change
// (cpu) is killed (a) after a member's spec was written but before its VM was restarted, (b) after the
// restart was requested but before the new instance exists, (c) while another member's old instance is gone
// and the new one does not run, (d) while a third member's new instance boots; a live change (tolerations) is
// killed after the first member was written and while a VM has the new placement and its instance not yet.
// Throughout, at most maxUnavailable members are not Ready and at most maxUnavailable instances do not run;
// at the end every member keeps its Wukong, VM, DataVolumes and firmware identity, runs, runs the new spec,
// was restarted exactly once for the cpu change and not at all for the live one.
func TestCrashDuringInPlaceUpdate(t *testing.T) {
	began := time.Now()
	ctrllog.SetLogger(logr.Discard())
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: the processes are killed before the control plane stops, which
	// otherwise waits for their watches to end.
	t.Cleanup(func() { _ = env.Stop() })
	dir := t.TempDir()
	wukongBin := build(t, dir, "./cmd/wukong")
	simBin := build(t, dir, "./test/sim/cmd/kubevirt-sim")
	t.Logf("control plane up and binaries built in %s", time.Since(began).Round(100*time.Millisecond))
	ctx := t.Context()
	c := env.Client

	// A one-second boot keeps a restarting instance visibly down long enough to kill the manager meanwhile.
	start(t, filepath.Join(dir, "sim.log"), simBin, "--kubeconfig", env.Kubeconfig,
		"--import-duration", "300ms", "--boot-duration", "1s")
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: crashNamespace}}); err != nil {
		t.Fatal(err)
	}
	mgrs := &managers{t: t, env: env, id: cluster(t, env), bin: wukongBin, dir: dir}
	t.Cleanup(func() {
		if t.Failed() {
			mgrs.dumpLogs()
		}
	})
	mgrs.start(nil)

	set := crashSet(t)
	if err := c.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	created := time.Now()
	waitCrashRolledOut(ctx, t, c, set)
	before := identities(ctx, t, c)
	t.Logf("created %d members in %s", crashReplicas, time.Since(created).Round(100*time.Millisecond))

	tr := newTracker(t)
	mgrs.tr = tr
	tr.follow(ctx, env)

	// 1. A restart change. Members are restarted highest index first, one at a time.
	phase := time.Now()
	tr.newChange(true)
	mgrs.arm(specWritten)
	oldCPU := updateCrashSet(ctx, t, c, func(s *vmv1alpha1.WukongSet) { s.Spec.Template.Spec.CPU++ }).Spec.Template.Spec.CPU - 1
	mgrs.crash(restartRequested)
	mgrs.crash(instanceGone)
	mgrs.crash(instanceBooting)
	mgrs.crash(nil)
	waitCrashRolledOut(ctx, t, c, set)
	t.Logf("cpu %d -> %d rolled out in %s through %d manager kills", oldCPU, oldCPU+1,
		time.Since(phase).Round(100*time.Millisecond), len(tr.killed()))
	sameIdentities(t, before, identities(ctx, t, c))
	checkRunning(ctx, t, c, func(name string, vmi *kubevirtv1.VirtualMachineInstance) error {
		if cpu := vmi.Spec.Domain.CPU; cpu == nil || int32(cpu.Cores) != oldCPU+1 {
			return fmt.Errorf("instance of %s runs cpu %+v, want %d cores", name, cpu, oldCPU+1)
		}
		return nil
	})
	tr.checkRestarts(1)

	// 2. A live change: nothing restarts, and nothing counts against the budget.
	phase = time.Now()
	tr.newChange(false)
	mgrs.arm(liveMemberWritten)
	updateCrashSet(ctx, t, c, func(s *vmv1alpha1.WukongSet) {
		s.Spec.Template.Spec.Placement = &vmv1alpha1.Placement{Tolerations: []vmv1alpha1.Toleration{{
			Key: crashToleration, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule,
		}}}
	})
	mgrs.crash(liveVMWritten)
	mgrs.crash(nil)
	waitCrashRolledOut(ctx, t, c, set)
	t.Logf("tolerations rolled out live in %s", time.Since(phase).Round(100*time.Millisecond))
	sameIdentities(t, before, identities(ctx, t, c))
	checkRunning(ctx, t, c, func(name string, vmi *kubevirtv1.VirtualMachineInstance) error {
		if !tolerated(vmi.Spec.Tolerations) {
			return fmt.Errorf("instance of %s lacks the toleration: %+v", name, vmi.Spec.Tolerations)
		}
		return nil
	})
	tr.checkRestarts(1)

	// 3. More memory, within what the instances may grow to: it counts against the budget (members go one at
	// a time) but KubeVirt hotplugs it, so nothing restarts.
	phase = time.Now()
	tr.newChange(true)
	mgrs.arm(memoryVMWritten)
	memory := updateCrashSet(ctx, t, c, func(s *vmv1alpha1.WukongSet) {
		s.Spec.Template.Spec.Memory = resource.MustParse("6Gi")
	}).Spec.Template.Spec.Memory
	mgrs.crash(memoryMemberWritten)
	mgrs.crash(nil)
	waitCrashRolledOut(ctx, t, c, set)
	t.Logf("memory %s rolled out live in %s", memory.String(), time.Since(phase).Round(100*time.Millisecond))
	sameIdentities(t, before, identities(ctx, t, c))
	checkRunning(ctx, t, c, func(name string, vmi *kubevirtv1.VirtualMachineInstance) error {
		if m := vmi.Spec.Domain.Memory; m == nil || m.Guest == nil || !m.Guest.Equal(memory) {
			return fmt.Errorf("instance of %s has memory %+v, want %s", name, m, memory.String())
		}
		return nil
	})
	tr.checkRestarts(1)

	tr.stop()
	kills := tr.killed()
	want := []string{specWritten.Name, restartRequested.Name, instanceGone.Name, instanceBooting.Name,
		liveMemberWritten.Name, liveVMWritten.Name, memoryVMWritten.Name, memoryMemberWritten.Name}
	var got []string
	for _, k := range kills {
		got = append(got, k.Point)
	}
	if !slices.Equal(got, want) {
		t.Errorf("kill points hit %q, want %q", got, want)
	}
	minReady, minRunning, minSettled, n := tr.summary()
	t.Logf("%d watch events checked: min Ready members %d, min running instances %d, min settled members in budgeted changes %d (floor %d); %d manager processes; %s in all",
		n, minReady, minRunning, minSettled, crashReplicas-crashUnavailable, mgrs.n, time.Since(began).Round(100*time.Millisecond))
}

// The kill points. Each fires on one watch event, edge-triggered, so a point armed for a new manager is not
// hit again by state its predecessor left behind. Points marked "another member" skip members already hit in
// the same change.
var (
	specWritten = &killPoint{Name: "member spec written, restart not requested", Hit: func(tr *tracker, c change) bool {
		return c.Kind == kindWukong && c.Before.Generation != 0 && c.After.Generation > c.Before.Generation &&
			c.After.Requests == 0 && c.After.VMI == tr.base[c.Member]
	}}
	restartRequested = &killPoint{Name: "restart requested, new instance not created", Hit: func(tr *tracker, c change) bool {
		return c.Kind == kindVM && c.Before.Requests == 0 && c.After.Requests > 0 && c.After.VMI == tr.base[c.Member]
	}}
	instanceGone = &killPoint{Name: "old instance deleted, new one not running (another member)", Hit: func(tr *tracker, c change) bool {
		return c.Kind == kindVMI && !tr.hit[c.Member] && c.Before.VMI == tr.base[c.Member] && !c.Before.VMIDeleting &&
			(c.After.VMI == "" || c.After.VMIDeleting)
	}}
	instanceBooting = &killPoint{Name: "new instance created, not running yet (another member)", Hit: func(tr *tracker, c change) bool {
		return c.Kind == kindVMI && !tr.hit[c.Member] && c.Type == watch.Added && c.After.VMI != tr.base[c.Member] &&
			c.After.VMIPhase != kubevirtv1.Running
	}}
	liveMemberWritten = &killPoint{Name: "live change: first member written", Hit: func(_ *tracker, c change) bool {
		return c.Kind == kindWukong && c.After.Generation > c.Before.Generation
	}}
	liveVMWritten = &killPoint{Name: "live change: VM has the new placement, its instance not yet (another member)", Hit: func(tr *tracker, c change) bool {
		return c.Kind == kindVM && !tr.hit[c.Member] && !c.Before.VMTolerated && c.After.VMTolerated && !c.After.VMITolerated
	}}
	memoryVMWritten = &killPoint{Name: "memory: VM has the new memory, its instance not hotplugged yet", Hit: func(_ *tracker, c change) bool {
		return c.Kind == kindVM && c.Before.VMMemory != c.After.VMMemory && c.After.VMIMemory != c.After.VMMemory
	}}
	memoryMemberWritten = &killPoint{Name: "memory: next member written (another member)", Hit: func(tr *tracker, c change) bool {
		return c.Kind == kindWukong && !tr.hit[c.Member] && c.After.Generation > c.Before.Generation
	}}
)

// crashSet is the basic sample with four members, maxUnavailable 1 and maxSurge 0.
func crashSet(t *testing.T) *vmv1alpha1.WukongSet {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "vm_v1alpha1_wukongset_basic.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set := &vmv1alpha1.WukongSet{}
	if err := yaml.UnmarshalStrict(raw, set); err != nil {
		t.Fatal(err)
	}
	set.Name, set.Namespace = "crash", crashNamespace
	set.Spec.Replicas = ptr.To[int32](crashReplicas)
	set.Spec.UpdateStrategy = &vmv1alpha1.WukongSetUpdateStrategy{
		Type: vmv1alpha1.RollingUpdateStrategy,
		RollingUpdate: &vmv1alpha1.RollingUpdateWukongSet{
			MaxUnavailable: ptr.To(intstr.FromInt32(crashUnavailable)),
			MaxSurge:       ptr.To(intstr.FromInt32(0)),
		},
	}
	return set
}

// updateCrashSet applies mutate to the stored set, again on a conflict, and returns the stored result.
func updateCrashSet(ctx context.Context, t *testing.T, c client.Client, mutate func(*vmv1alpha1.WukongSet)) *vmv1alpha1.WukongSet {
	t.Helper()
	got := &vmv1alpha1.WukongSet{}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKey{Namespace: crashNamespace, Name: "crash"}, got); err != nil {
			return err
		}
		mutate(got)
		return c.Update(ctx, got)
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// waitCrashRolledOut waits until the set reports its rollout complete and every member is Ready and up to
// date at the update revision.
func waitCrashRolledOut(ctx context.Context, t *testing.T, c client.Client, set *vmv1alpha1.WukongSet) {
	t.Helper()
	eventually(t, crashRolloutTimeout, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
			return err
		}
		st := got.Status
		if st.ObservedGeneration != got.Generation || st.Replicas != crashReplicas || st.ReadyReplicas != crashReplicas ||
			st.UpdatedReplicas != crashReplicas || st.UpdateRevision == "" || st.CurrentRevision != st.UpdateRevision {
			return fmt.Errorf("set generation %d, status %+v", got.Generation, st)
		}
		var ms vmv1alpha1.WukongList
		if err := c.List(ctx, &ms, client.InNamespace(crashNamespace)); err != nil {
			return err
		}
		if len(ms.Items) != crashReplicas {
			return fmt.Errorf("%d members, want %d", len(ms.Items), crashReplicas)
		}
		for _, m := range ms.Items {
			switch {
			case m.Labels[vmv1alpha1.LabelRevision] != st.UpdateRevision:
				return fmt.Errorf("member %s at revision %q, want %q", m.Name, m.Labels[vmv1alpha1.LabelRevision], st.UpdateRevision)
			case m.Status.ObservedGeneration != m.Generation:
				return fmt.Errorf("member %s: generation %d observed %d", m.Name, m.Generation, m.Status.ObservedGeneration)
			case !meta.IsStatusConditionTrue(m.Status.Conditions, vmv1alpha1.WukongUpToDate):
				return fmt.Errorf("member %s not up to date: %+v", m.Name, meta.FindStatusCondition(m.Status.Conditions, vmv1alpha1.WukongUpToDate))
			case !meta.IsStatusConditionTrue(m.Status.Conditions, vmv1alpha1.WukongReady):
				return fmt.Errorf("member %s not Ready", m.Name)
			}
		}
		return nil
	})
}

// identity is what an in-place update must keep of a member: the Wukong, its VM, its DataVolumes (by name)
// and the firmware UUID and serial KubeVirt's webhook set (cloud-init's instance id).
type identity struct {
	member, vm  types.UID
	dataVolumes map[string]types.UID
	firmware    string
}

func identities(ctx context.Context, t *testing.T, c client.Client) map[string]identity {
	t.Helper()
	out := map[string]identity{}
	var ms vmv1alpha1.WukongList
	if err := c.List(ctx, &ms, client.InNamespace(crashNamespace)); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms.Items {
		id := identity{member: m.UID, dataVolumes: map[string]types.UID{}}
		vm := &kubevirtv1.VirtualMachine{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(&m), vm); err != nil {
			t.Fatalf("get VM %s: %v", m.Name, err)
		}
		id.vm = vm.UID
		if fw := vm.Spec.Template.Spec.Domain.Firmware; fw != nil {
			id.firmware = string(fw.UUID) + "/" + fw.Serial
		}
		var dvs cdiv1.DataVolumeList
		if err := c.List(ctx, &dvs, client.InNamespace(crashNamespace), client.MatchingLabels{vmv1alpha1.LabelWukong: m.Name}); err != nil {
			t.Fatal(err)
		}
		for _, dv := range dvs.Items {
			id.dataVolumes[dv.Name] = dv.UID
		}
		out[m.Name] = id
	}
	return out
}

func sameIdentities(t *testing.T, before, after map[string]identity) {
	t.Helper()
	if len(before) != crashReplicas || len(after) != len(before) {
		t.Errorf("%d members before, %d after, want %d", len(before), len(after), crashReplicas)
	}
	for name, b := range before {
		a, ok := after[name]
		switch {
		case !ok:
			t.Errorf("member %s is gone", name)
		case b.firmware == "" || len(b.dataVolumes) == 0:
			t.Errorf("member %s had no firmware UUID or DataVolume to compare: %+v", name, b)
		case a.member != b.member || a.vm != b.vm || !maps.Equal(a.dataVolumes, b.dataVolumes) || a.firmware != b.firmware:
			t.Errorf("member %s lost its identity or data:\n before %+v\n after  %+v", name, b, a)
		}
	}
}

// checkRunning checks that every member's VM is meant to run and its instance runs, and check on each
// instance.
func checkRunning(ctx context.Context, t *testing.T, c client.Client, check func(string, *kubevirtv1.VirtualMachineInstance) error) {
	t.Helper()
	var vms kubevirtv1.VirtualMachineList
	if err := c.List(ctx, &vms, client.InNamespace(crashNamespace)); err != nil {
		t.Fatal(err)
	}
	if len(vms.Items) != crashReplicas {
		t.Errorf("%d VMs, want %d", len(vms.Items), crashReplicas)
	}
	for _, vm := range vms.Items {
		if rs, err := vm.RunStrategy(); err != nil || rs == kubevirtv1.RunStrategyHalted {
			t.Errorf("VM %s: run strategy %q (%v)", vm.Name, rs, err)
		}
		if len(vm.Status.StateChangeRequests) > 0 {
			t.Errorf("VM %s: state change requests left: %+v", vm.Name, vm.Status.StateChangeRequests)
		}
		vmi := &kubevirtv1.VirtualMachineInstance{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(&vm), vmi); err != nil {
			t.Errorf("instance of %s: %v", vm.Name, err)
			continue
		}
		if vmi.Status.Phase != kubevirtv1.Running || vmi.DeletionTimestamp != nil {
			t.Errorf("instance of %s: phase %s, deleting %t", vm.Name, vmi.Status.Phase, vmi.DeletionTimestamp != nil)
		}
		if err := check(vm.Name, vmi); err != nil {
			t.Error(err)
		}
	}
}

func tolerated(ts []corev1.Toleration) bool {
	return slices.ContainsFunc(ts, func(t corev1.Toleration) bool { return t.Key == crashToleration })
}

// managers runs the manager process, one at a time.
type managers struct {
	t   *testing.T
	env *testenv.Env
	// id is the identity the manager runs as.
	id  *testenv.ManagerIdentity
	bin string
	dir string
	tr  *tracker
	// n counts the processes started; cmd is the current one, armed the name of its kill point.
	n     int
	cmd   *exec.Cmd
	armed string
}

// start starts a manager with leader election, as deployed, armed to be killed at point (nil: not killed).
func (m *managers) start(point *killPoint) {
	m.n++
	m.cmd = start(m.t, m.log(m.n), m.bin, managerArgs(m.id,
		"--metrics-bind-address", "0", "--health-probe-bind-address", testenv.FreeAddr(m.t))...)
	if m.tr != nil {
		m.arm(point)
	}
}

// arm arms the current manager to be killed at point (nil: not killed).
func (m *managers) arm(point *killPoint) {
	m.armed = ""
	if point != nil {
		m.armed = point.Name
	}
	m.tr.arm(m.cmd.Process, point)
}

func (m *managers) log(n int) string { return filepath.Join(m.dir, fmt.Sprintf("manager-%d.log", n)) }

// crash waits until the tracker has killed the current manager at its kill point, checks that SIGKILL ended
// it, and starts the next one armed with next. The dead manager's lease is removed first: a real successor
// waits out the 15 s lease, by when the simulated KubeVirt has finished whatever the dead manager began; taking
// over at once puts the new manager in the middle of it, which is what this test is for. The old process is
// known to be gone, so two managers never run at once.
func (m *managers) crash(next *killPoint) {
	m.t.Helper()
	var k kill
	select {
	case k = <-m.tr.fired:
	case <-time.After(crashKillTimeout):
		m.t.Fatalf("manager %d: kill point %q not reached within %s", m.n, m.armed, crashKillTimeout)
	}
	err := m.cmd.Wait()
	ws, ok := m.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		m.t.Fatalf("manager %d ended with %v, not by the test's SIGKILL", m.n, err)
	}
	ctx := m.t.Context()
	after := viewOf(ctx, m.t, m.env.Client, k.Member)
	m.t.Logf("manager %d killed at %q on %s, %s into the change\n  at the event: %s\n  after exit:   %s",
		m.n, k.Point, k.Member, k.When.Sub(m.tr.changedAt()).Round(time.Millisecond), k.At, after)
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: m.id.Namespace, Name: managerLease}}
	if err := m.env.Client.Delete(ctx, lease); err != nil && !apierrors.IsNotFound(err) {
		m.t.Fatalf("delete the dead manager's lease: %v", err)
	}
	m.start(next)
}

// dumpLogs prints the end of every manager's log and the simulator's, for a failed run.
func (m *managers) dumpLogs() {
	paths := []string{filepath.Join(m.dir, "sim.log")}
	for i := 1; i <= m.n; i++ {
		paths = append(paths, m.log(i))
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		m.t.Logf("--- %s (last %d of %d lines)\n%s", filepath.Base(p), min(len(lines), 20), len(lines),
			strings.Join(lines[max(0, len(lines)-20):], "\n"))
	}
}

// memberView is one member as last seen: its Wukong, its VM and its VM instance.
type memberView struct {
	Generation, ObservedGeneration int64
	// Ready is the Ready condition; UpToDate the UpToDate condition of the current generation.
	Ready, UpToDate bool
	VMGeneration    int64
	Requests        int
	VMTolerated     bool
	VMMemory        string
	VMI             types.UID
	VMIPhase        kubevirtv1.VirtualMachineInstancePhase
	VMIDeleting     bool
	VMITolerated    bool
	VMIMemory       string
}

func (v memberView) String() string {
	return fmt.Sprintf("member generation %d observed %d Ready=%t UpToDate=%t | VM generation %d requests=%d tolerated=%t memory=%s | instance %q %s deleting=%t tolerated=%t memory=%s",
		v.Generation, v.ObservedGeneration, v.Ready, v.UpToDate, v.VMGeneration, v.Requests, v.VMTolerated, v.VMMemory,
		v.VMI, v.VMIPhase, v.VMIDeleting, v.VMITolerated, v.VMIMemory)
}

func (v memberView) running() bool {
	return v.VMI != "" && !v.VMIDeleting && v.VMIPhase == kubevirtv1.Running
}

func (v *memberView) setWukong(w *vmv1alpha1.Wukong) {
	v.Generation, v.ObservedGeneration = w.Generation, w.Status.ObservedGeneration
	v.Ready = w.DeletionTimestamp.IsZero() && meta.IsStatusConditionTrue(w.Status.Conditions, vmv1alpha1.WukongReady)
	v.UpToDate = w.Status.ObservedGeneration == w.Generation && meta.IsStatusConditionTrue(w.Status.Conditions, vmv1alpha1.WukongUpToDate)
}

func (v *memberView) setVM(vm *kubevirtv1.VirtualMachine) {
	v.VMGeneration, v.Requests = vm.Generation, len(vm.Status.StateChangeRequests)
	v.VMTolerated, v.VMMemory = false, ""
	if vm.Spec.Template != nil {
		v.VMTolerated, v.VMMemory = tolerated(vm.Spec.Template.Spec.Tolerations), guestMemory(vm.Spec.Template.Spec.Domain.Memory)
	}
}

func (v *memberView) setVMI(vmi *kubevirtv1.VirtualMachineInstance) {
	v.VMI, v.VMIPhase, v.VMIDeleting = vmi.UID, vmi.Status.Phase, vmi.DeletionTimestamp != nil
	v.VMITolerated, v.VMIMemory = tolerated(vmi.Spec.Tolerations), guestMemory(vmi.Spec.Domain.Memory)
}

func guestMemory(m *kubevirtv1.Memory) string {
	if m == nil || m.Guest == nil {
		return ""
	}
	return m.Guest.String()
}

// viewOf reads one member's view from the apiserver now.
func viewOf(ctx context.Context, t *testing.T, c client.Client, name string) memberView {
	t.Helper()
	var v memberView
	key := client.ObjectKey{Namespace: crashNamespace, Name: name}
	w, vm, vmi := &vmv1alpha1.Wukong{}, &kubevirtv1.VirtualMachine{}, &kubevirtv1.VirtualMachineInstance{}
	if err := c.Get(ctx, key, w); err == nil {
		v.setWukong(w)
	}
	if err := c.Get(ctx, key, vm); err == nil {
		v.setVM(vm)
	}
	if err := c.Get(ctx, key, vmi); err == nil {
		v.setVMI(vmi)
	}
	return v
}

// change is one watch event, as the member it concerns moved.
type change struct {
	Kind          string
	Type          watch.EventType
	Member        string
	Before, After memberView
}

// killPoint is a moment of a rollout: Hit reports whether a change reaches it. It runs with the tracker
// locked.
type killPoint struct {
	Name string
	Hit  func(*tracker, change) bool
}

// kill is a kill point the tracker hit: the member it hit on, the member's view at the event, and when.
type kill struct {
	Point, Member string
	At            memberView
	When          time.Time
}

// tracker follows the members' Wukongs, VMs and VM instances on three ordered watch streams. On every event
// it checks the budget (Ready members from the Wukong stream, running instances from the instance stream:
// each is a state that really existed), counts the instances and restart requests of each member, and kills
// the manager when the armed kill point is hit: in the watch goroutine, at once, so the kill lands as close
// to the point as the manager's own reaction to the same event allows.
type tracker struct {
	t      *testing.T
	fired  chan kill
	cancel context.CancelFunc
	done   chan struct{}

	mu sync.Mutex
	// checking is false while the streams are seeded.
	checking bool
	views    map[string]*memberView
	// base is each member's instance when the tracker started; instances every distinct instance seen since,
	// in order; restarts the number of times a VM's state change requests went from none to some.
	base      map[string]types.UID
	instances map[string][]types.UID
	restarts  map[string]int
	// proc is the current manager, point its armed kill point, hit the members hit in the current change,
	// changed when that change started.
	proc     *os.Process
	point    *killPoint
	hit      map[string]bool
	changed  time.Time
	budgeted bool
	kills    []kill
	// minReady, minRunning and minSettled are the lowest counts seen (settled: during budgeted changes);
	// overReady, overRunning and overSettled whether the last state broke the budget (a violation is
	// reported once per excursion).
	minReady, minRunning, minSettled    int
	overReady, overRunning, overSettled bool
	events                              int
	violations                          []string
}

// newTracker returns a tracker that reports its violations when the test ends, however it ends.
func newTracker(t *testing.T) *tracker {
	tr := &tracker{t: t, fired: make(chan kill, 1), done: make(chan struct{}), views: map[string]*memberView{},
		base: map[string]types.UID{}, instances: map[string][]types.UID{}, restarts: map[string]int{},
		hit: map[string]bool{}, minReady: crashReplicas, minRunning: crashReplicas, minSettled: crashReplicas}
	t.Cleanup(func() {
		for _, v := range tr.violationList() {
			t.Error(v)
		}
	})
	return tr
}

// watchList adapts a controller-runtime client to client-go's RetryWatcher, which resumes a watch from the
// last resourceVersion it delivered if the apiserver closes it.
type watchList struct {
	c    client.WithWatch
	ns   string
	list func() client.ObjectList
}

func (w watchList) WatchWithContext(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return w.c.Watch(ctx, w.list(), client.InNamespace(w.ns), &client.ListOptions{Raw: &o})
}

// follow lists the members' objects, seeds the views and the baseline, and starts the watches from the
// lists' resourceVersions.
func (tr *tracker) follow(ctx context.Context, env *testenv.Env) {
	t := tr.t
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	streams := []struct {
		kind string
		list func() client.ObjectList
	}{
		{kindWukong, func() client.ObjectList { return &vmv1alpha1.WukongList{} }},
		{kindVM, func() client.ObjectList { return &kubevirtv1.VirtualMachineList{} }},
		{kindVMI, func() client.ObjectList { return &kubevirtv1.VirtualMachineInstanceList{} }},
	}
	ctx, tr.cancel = context.WithCancel(ctx)
	watchers := make([]*watchtools.RetryWatcher, len(streams))
	for i, s := range streams {
		l := s.list()
		if err := wc.List(ctx, l, client.InNamespace(crashNamespace)); err != nil {
			t.Fatal(err)
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range items {
			tr.observe(s.kind, watch.Event{Type: watch.Added, Object: o})
		}
		rw, err := watchtools.NewRetryWatcherWithContext(ctx, l.GetResourceVersion(), watchList{c: wc, ns: crashNamespace, list: s.list})
		if err != nil {
			t.Fatal(err)
		}
		watchers[i] = rw
	}
	tr.mu.Lock()
	var problems []string
	for name, v := range tr.views {
		if !v.running() || !v.Ready {
			problems = append(problems, fmt.Sprintf("member %s not running at the start: %s", name, v))
		}
		tr.base[name] = v.VMI
	}
	if len(tr.views) != crashReplicas {
		problems = append(problems, fmt.Sprintf("%d members at the start, want %d", len(tr.views), crashReplicas))
	}
	tr.checking = true
	tr.mu.Unlock()
	if len(problems) > 0 {
		tr.cancel()
		t.Fatal(strings.Join(problems, "\n"))
	}

	go func() {
		defer close(tr.done)
		defer func() {
			for _, rw := range watchers {
				rw.Stop()
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-watchers[0].ResultChan():
				tr.receive(ctx, streams[0].kind, ev, ok)
			case ev, ok := <-watchers[1].ResultChan():
				tr.receive(ctx, streams[1].kind, ev, ok)
			case ev, ok := <-watchers[2].ResultChan():
				tr.receive(ctx, streams[2].kind, ev, ok)
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
}

func (tr *tracker) receive(ctx context.Context, kind string, ev watch.Event, ok bool) {
	if !ok {
		if ctx.Err() == nil {
			tr.violation("the %s watch ended", kind)
			tr.cancel()
		}
		return
	}
	tr.observe(kind, ev)
}

func (tr *tracker) stop() {
	tr.cancel()
	<-tr.done
}

// observe applies one event to the member's view, then checks the budget and the armed kill point.
func (tr *tracker) observe(kind string, ev watch.Event) {
	switch ev.Type {
	case watch.Bookmark:
		return
	case watch.Error:
		tr.violation("the %s watch failed: %v", kind, apierrors.FromObject(ev.Object))
		return
	}
	obj, ok := ev.Object.(client.Object)
	if !ok {
		tr.violation("the %s watch sent %T", kind, ev.Object)
		return
	}
	name := obj.GetName()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	v := tr.views[name]
	if v == nil {
		if tr.checking {
			tr.violationLocked("%s %s appeared during the rollout (%s)", kind, name, ev.Type)
		}
		v = &memberView{}
		tr.views[name] = v
	}
	before := *v
	switch o := obj.(type) {
	case *vmv1alpha1.Wukong:
		if ev.Type == watch.Deleted {
			tr.violationLocked("member %s (uid %s) was deleted", name, o.UID)
			v.Generation, v.Ready = 0, false
			break
		}
		v.setWukong(o)
	case *kubevirtv1.VirtualMachine:
		if ev.Type == watch.Deleted {
			tr.violationLocked("VM %s (uid %s) was deleted", name, o.UID)
			v.Requests = 0
			break
		}
		v.setVM(o)
		if before.Requests == 0 && v.Requests > 0 && tr.checking {
			tr.restarts[name]++
		}
	case *kubevirtv1.VirtualMachineInstance:
		if ev.Type == watch.Deleted {
			if v.VMI == o.UID {
				v.VMI, v.VMIPhase, v.VMIDeleting, v.VMITolerated, v.VMIMemory = "", "", false, false, ""
			}
			break
		}
		v.setVMI(o)
		if !slices.Contains(tr.instances[name], o.UID) {
			tr.instances[name] = append(tr.instances[name], o.UID)
		}
	}
	if !tr.checking {
		return
	}
	tr.events++
	c := change{Kind: kind, Type: ev.Type, Member: name, Before: before, After: *v}
	tr.checkBudget(c)
	if tr.point != nil && tr.proc != nil && tr.point.Hit(tr, c) {
		// Kill first: every microsecond spent here lets the manager act past the point.
		if err := tr.proc.Signal(syscall.SIGKILL); err != nil {
			tr.violationLocked("kill manager at %q: %v", tr.point.Name, err)
		}
		k := kill{Point: tr.point.Name, Member: name, At: c.After, When: time.Now()}
		tr.kills = append(tr.kills, k)
		tr.hit[name] = true
		tr.point = nil
		tr.fired <- k
	}
}

// checkBudget checks, in the state after c, that at most maxUnavailable members are not Ready and at most
// maxUnavailable instances do not run.
func (tr *tracker) checkBudget(c change) {
	ready, running, settled := 0, 0, 0
	for _, v := range tr.views {
		if v.Ready {
			ready++
		}
		if v.running() {
			running++
		}
		if v.Ready && v.UpToDate {
			settled++
		}
	}
	tr.minReady, tr.minRunning = min(tr.minReady, ready), min(tr.minRunning, running)
	floor := crashReplicas - crashUnavailable
	if tr.budgeted {
		tr.minSettled = min(tr.minSettled, settled)
		if over := settled < floor; over != tr.overSettled {
			tr.overSettled = over
			if over {
				tr.violationLocked("only %d of %d members Ready and up to date during a change that counts against maxUnavailable %d, after %s %s %s:\n%s",
					settled, crashReplicas, crashUnavailable, c.Type, c.Kind, c.Member, tr.describe())
			}
		}
	}
	if over := ready < floor; over != tr.overReady {
		tr.overReady = over
		if over {
			tr.violationLocked("only %d of %d members Ready (maxUnavailable %d) after %s %s %s:\n%s",
				ready, crashReplicas, crashUnavailable, c.Type, c.Kind, c.Member, tr.describe())
		}
	}
	if over := running < floor; over != tr.overRunning {
		tr.overRunning = over
		if over {
			tr.violationLocked("only %d of %d instances running (maxUnavailable %d) after %s %s %s:\n%s",
				running, crashReplicas, crashUnavailable, c.Type, c.Kind, c.Member, tr.describe())
		}
	}
}

// describe lists every member's view, with the lock held.
func (tr *tracker) describe() string {
	names := slices.Sorted(maps.Keys(tr.views))
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %s: %s\n", n, tr.views[n])
	}
	return b.String()
}

// arm makes proc the current manager, to be killed at point (nil: never).
func (tr *tracker) arm(proc *os.Process, point *killPoint) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.proc, tr.point = proc, point
}

// newChange starts a new template change: "another member" points may hit any member again. budgeted says
// whether the change counts against maxUnavailable (a restart or a hotplug), so that settled members must
// stay at or above the floor.
func (tr *tracker) newChange(budgeted bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.hit, tr.changed, tr.budgeted = map[string]bool{}, time.Now(), budgeted
}

// changedAt is when the current change started.
func (tr *tracker) changedAt() time.Time {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.changed
}

// checkRestarts checks that every member was restarted exactly want times since the tracker started: want
// restart requests, and want instances after the first one.
func (tr *tracker) checkRestarts(want int) {
	tr.t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	names := slices.Sorted(maps.Keys(tr.base))
	for _, n := range names {
		uids := tr.instances[n]
		if len(uids) != want+1 || uids[0] != tr.base[n] {
			tr.t.Errorf("member %s: instances %v (first %s), want the first and %d more: a restart beyond the change", n, uids, tr.base[n], want)
		}
		if tr.restarts[n] != want {
			tr.t.Errorf("member %s: restart requested %d times, want %d", n, tr.restarts[n], want)
		}
	}
}

func (tr *tracker) killed() []kill {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.kills)
}

func (tr *tracker) summary() (minReady, minRunning, minSettled, events int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.minReady, tr.minRunning, tr.minSettled, tr.events
}

func (tr *tracker) violation(format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.violationLocked(format, args...)
}

func (tr *tracker) violationLocked(format string, args ...any) {
	tr.violations = append(tr.violations, fmt.Sprintf(format, args...))
}

func (tr *tracker) violationList() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.violations)
}
