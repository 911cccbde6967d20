package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cdi"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/kubevirt"
	"github.com/novasphere/wukong/test/testenv"
)

// fairResult is what an ideal operator would achieve on this apiserver with this simulator: per member the
// member itself, its cloud-init Secret, its DataVolumes and its VirtualMachine created, and one status write
// once its VM instance runs, all by floorWorkers parallel workers that wait for nothing but the simulator.
type fairResult struct {
	// ready is from the first create until the n-th member's status write, made after its VM instance ran:
	// the fair floor for the set's "all Ready".
	ready time.Duration
	// created is until every member and its children existed.
	created time.Duration
	// running is when 10%, 50% and 90% of the VM instances ran.
	running *progress
	// requests are the apiserver's requests over ready (the floor's writes and the simulator's).
	requests requests
	// cpu is the CPU time over ready of the control plane, the simulator, this process (the floor's writers
	// and watchers, "writers") and the whole machine, to set against the set run's.
	cpu map[string]time.Duration
}

// fairWriterResources are what the fair floor writes: the member, its children and the member's status.
var fairWriterResources = []string{"wukongs", "wukongs/status", "secrets", "datavolumes", "virtualmachines"}

// measureFairFloor runs the fair floor for n members in a namespace of its own, with the simulator running
// and the manager not yet started, then deletes everything it made so the set's run starts from a clean
// apiserver (the manager never sees these objects). The children are built by the operator's own pure
// builders from the member the set's renderer makes, so the floor writes the very objects the operator
// writes.
func measureFairFloor(ctx context.Context, env *testenv.Env, n int, sim *process) (fairResult, error) {
	f := fairResult{running: newProgress(n)}
	ns, err := env.Namespace(ctx, "fair")
	if err != nil {
		return f, err
	}
	objs, err := renderMembers(ns, n+1)
	if err != nil {
		return f, err
	}
	c := env.Client
	// One member first, untimed and waited for: the simulator's webhooks and caches are up, and the client's
	// discovery done, before the clock starts.
	warm := objs[n]
	if err := createMemberAndChildren(ctx, c, warm); err != nil {
		return f, fmt.Errorf("warm-up member: %w", err)
	}
	err = poll(ctx, 2*time.Minute, func() (bool, error) {
		vmi := &kubevirtv1.VirtualMachineInstance{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: warm.Name}, vmi); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return vmiRunning(vmi), nil
	})
	if err != nil {
		return f, fmt.Errorf("the simulator did not run the warm-up member's VM: %w", err)
	}

	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		return f, err
	}
	vmis, err := newFollower(ctx, func(ctx context.Context) (watch.Interface, error) {
		return wc.Watch(ctx, &kubevirtv1.VirtualMachineInstanceList{}, client.InNamespace(ns))
	})
	if err != nil {
		return f, err
	}
	if _, _, err := settle(ctx, env); err != nil {
		return f, err
	}
	before, err := scrapeRequests(ctx, env)
	if err != nil {
		return f, err
	}
	procs := map[string]int{"writers": os.Getpid(), "simulator": sim.pid()}
	cpuBefore := cpuTimes(procs)

	ctx, cancel := context.WithTimeoutCause(ctx, max(minReadyTimeout, time.Duration(n)*readyTimePerMember),
		fmt.Errorf("fair floor of %d members did not finish", n))
	defer cancel()
	var (
		errOnce  sync.Once
		firstErr error
		stopOnce sync.Once
		stop     = make(chan struct{})
		created  atomic.Int64
		written  atomic.Int64
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		stopOnce.Do(func() { close(stop) })
		cancel()
	}
	createQ := make(chan *vmv1alpha1.Wukong)
	// Buffered for every member, so the watch never waits for a worker.
	statusQ := make(chan *kubevirtv1.VirtualMachineInstance, n)

	start := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(createQ)
		for _, w := range objs[:n] {
			select {
			case createQ <- w:
			case <-stop:
				return
			}
		}
	})
	wg.Go(func() {
		seen := map[string]bool{warm.Name: true}
		err := vmis.until(ctx, func(obj runtime.Object) bool {
			vmi := obj.(*kubevirtv1.VirtualMachineInstance)
			if seen[vmi.Name] || !vmiRunning(vmi) {
				return false
			}
			seen[vmi.Name] = true
			f.running.observe(len(seen)-1, time.Since(start))
			statusQ <- vmi
			return len(seen)-1 == n
		})
		if err != nil {
			fail(fmt.Errorf("watch VM instances: %w", err))
		}
	})
	// writeStatus writes one running member's status and reports whether the worker should go on.
	writeStatus := func(vmi *kubevirtv1.VirtualMachineInstance) bool {
		if err := writeReadyStatus(ctx, c, vmi); err != nil {
			fail(err)
			return false
		}
		if written.Add(1) == int64(n) {
			f.ready = time.Since(start)
			stopOnce.Do(func() { close(stop) })
		}
		return true
	}
	for range floorWorkers {
		wg.Go(func() {
			cq := createQ
			for {
				// A running member's status first: an ideal operator finishes members as they come.
				select {
				case vmi := <-statusQ:
					if !writeStatus(vmi) {
						return
					}
					continue
				default:
				}
				select {
				case vmi := <-statusQ:
					if !writeStatus(vmi) {
						return
					}
				case w, ok := <-cq:
					if !ok {
						cq = nil
						continue
					}
					if err := createMemberAndChildren(ctx, c, w); err != nil {
						fail(err)
						return
					}
					if created.Add(1) == int64(n) {
						f.created = time.Since(start)
					}
				case <-stop:
					return
				case <-ctx.Done():
					fail(context.Cause(ctx))
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return f, fmt.Errorf("fair floor: %d members created, %d statuses written: %w", created.Load(), written.Load(), firstErr)
	}
	after, err := scrapeRequests(ctx, env)
	if err != nil {
		return f, err
	}
	f.requests = after.since(before)
	f.cpu = map[string]time.Duration{}
	for name, d := range cpuTimes(procs) {
		f.cpu[name] = d - cpuBefore[name]
	}
	return f, deleteFairFloor(ctx, c, ns)
}

// createMemberAndChildren creates w, then its children as the Wukong controller builds them (from the
// created member, whose UID their owner references need) in the controller's order (writeChildren):
// VirtualMachine, Secret, DataVolumes. The VM goes first so that a VM KubeVirt's admission refuses leaves no
// import behind; the simulator then reports the VM Provisioning while its disks are missing or importing,
// and those status writes are part of what any operator keeping that rule costs. The set in webSet
// has no networks, so there are no attachments.
func createMemberAndChildren(ctx context.Context, c client.Client, w *vmv1alpha1.Wukong) error {
	m := w.DeepCopy()
	if err := c.Create(ctx, m); err != nil {
		return fmt.Errorf("create Wukong %s: %w", m.Name, err)
	}
	secret, err := cloudinit.Secret(m, cloudinit.Credentials{})
	if err != nil {
		return fmt.Errorf("build Secret of %s: %w", m.Name, err)
	}
	dvs, err := cdi.DataVolumes(m)
	if err != nil {
		return fmt.Errorf("build DataVolumes of %s: %w", m.Name, err)
	}
	vm, err := kubevirt.VirtualMachine(m)
	if err != nil {
		return fmt.Errorf("build VirtualMachine of %s: %w", m.Name, err)
	}
	objs := []client.Object{vm, secret}
	for _, dv := range dvs {
		objs = append(objs, dv)
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("create %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// writeReadyStatus is the one status write of the fair floor's member: Running and Ready, with the node and
// address of its instance, as the operator reports a running member.
func writeReadyStatus(ctx context.Context, c client.Client, vmi *kubevirtv1.VirtualMachineInstance) error {
	ip := ""
	if len(vmi.Status.Interfaces) > 0 {
		ip = vmi.Status.Interfaces[0].IP
	}
	now := metav1.Now()
	cond := func(t, reason string) metav1.Condition {
		return metav1.Condition{Type: t, Status: metav1.ConditionTrue, Reason: reason, ObservedGeneration: 1, LastTransitionTime: now}
	}
	st := vmv1alpha1.WukongStatus{
		ObservedGeneration: 1,
		Phase:              vmv1alpha1.WukongRunning,
		VMName:             vmi.Name,
		NodeName:           vmi.Status.NodeName,
		IP:                 ip,
		Conditions: []metav1.Condition{
			cond(vmv1alpha1.WukongReady, vmv1alpha1.ReasonRunning),
			cond(vmv1alpha1.WukongDisksReady, vmv1alpha1.ReasonDisksReady),
			cond(vmv1alpha1.WukongUpToDate, vmv1alpha1.ReasonUpToDate),
		},
	}
	patch, err := json.Marshal(map[string]any{"status": st})
	if err != nil {
		return err
	}
	w := &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Namespace: vmi.Namespace, Name: vmi.Name}}
	if err := c.Status().Patch(ctx, w, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("write status of Wukong %s: %w", vmi.Name, err)
	}
	return nil
}

// vmiRunning is what the operator waits for before it reports a member Ready: the instance runs and
// KubeVirt reports it ready.
func vmiRunning(vmi *kubevirtv1.VirtualMachineInstance) bool {
	if vmi.Status.Phase != kubevirtv1.Running {
		return false
	}
	for _, c := range vmi.Status.Conditions {
		if c.Type == kubevirtv1.VirtualMachineInstanceReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// deleteFairFloor removes every object of the fair floor's namespace, VMs before their instances (the
// simulator would start a VM's instance again), and waits until they are gone. No garbage collector runs in
// the benchmark, so owner references delete nothing by themselves.
func deleteFairFloor(ctx context.Context, c client.Client, ns string) error {
	kinds := []struct {
		obj  client.Object
		list client.ObjectList
	}{
		{&kubevirtv1.VirtualMachine{}, &kubevirtv1.VirtualMachineList{}},
		{&kubevirtv1.VirtualMachineInstance{}, &kubevirtv1.VirtualMachineInstanceList{}},
		{&cdiv1.DataVolume{}, &cdiv1.DataVolumeList{}},
		{&corev1.Secret{}, &corev1.SecretList{}},
		{&vmv1alpha1.Wukong{}, &vmv1alpha1.WukongList{}},
	}
	for _, k := range kinds {
		if err := deleteAll(ctx, c, ns, k.obj, k.list); err != nil {
			return fmt.Errorf("delete the fair floor's %T: %w", k.obj, err)
		}
	}
	return nil
}

// deleteAll deletes every obj of namespace ns and waits until a list of them is empty. A delete-collection
// of thousands of objects can outlast the apiserver's request timeout on a busy machine while it goes on in
// the background, so a timeout is not an error, and the delete is repeated every few seconds while objects
// remain.
func deleteAll(ctx context.Context, c client.Client, ns string, obj client.Object, list client.ObjectList) error {
	return poll(ctx, 10*time.Minute, func() (bool, error) {
		if err := c.List(ctx, list, client.InNamespace(ns), client.Limit(1)); err != nil {
			return false, err
		}
		if meta.LenList(list) == 0 {
			return true, nil
		}
		if err := c.DeleteAllOf(ctx, obj, client.InNamespace(ns)); err != nil && !retryableDelete(err) {
			return false, err
		}
		// Let the apiserver work before asking again.
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
		return false, nil
	})
}

// retryableDelete reports whether a delete-collection's error only means it was cut short: a timeout
// status, or no status at all — with 10,000 objects the apiserver's 60 s request timeout ends the HTTP/2
// stream itself ("stream error: ... INTERNAL_ERROR; received from peer") while the deletion goes on. A
// status the apiserver chose to send (forbidden, not found, invalid) is an error.
func retryableDelete(err error) bool {
	if apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) {
		return true
	}
	var status apierrors.APIStatus
	return !errors.As(err, &status)
}
