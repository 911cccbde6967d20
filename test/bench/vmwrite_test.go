package bench

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/apply"
	"github.com/novasphere/wukong/internal/kubevirt"
)

// vmWriteCount is how many VirtualMachines BenchmarkVMWrite writes each way.
const vmWriteCount = 1000

// BenchmarkVMWrite measures what the apiserver pays to create the set's VirtualMachines by a plain create
// (POST) and by the server-side apply the Wukong controller sends (an APPLY patch of its labels,
// annotations, owner reference and spec, field manager wukong-operator, forced): the same VMs, built by the
// operator's own builder, by floorWorkers parallel workers, on one apiserver without webhooks. The
// difference is part of what the set run pays beyond the fair floor, which creates its VMs.
func BenchmarkVMWrite(b *testing.B) {
	env := controlPlane(b)
	ctx := context.Background()
	apiserver, ok := childPID("kube-apiserver")
	if !ok {
		b.Fatal("no kube-apiserver child process")
	}
	measure := func(name string, write func(context.Context, *kubevirtv1.VirtualMachine) error) (time.Duration, time.Duration) {
		ns, err := env.Namespace(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		vms, err := benchVMs(ns, vmWriteCount+1)
		if err != nil {
			b.Fatal(err)
		}
		// One untimed write first: discovery, connections and the apiserver's schema caches.
		if err := write(ctx, vms[vmWriteCount]); err != nil {
			b.Fatal(err)
		}
		cpuBefore, _ := procCPU(apiserver)
		start := time.Now()
		if err := inParallel(ctx, vms[:vmWriteCount], write); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		cpuAfter, _ := procCPU(apiserver)
		return took, cpuAfter - cpuBefore
	}
	for range b.N {
		createTook, createCPU := measure("vm-create", func(ctx context.Context, vm *kubevirtv1.VirtualMachine) error {
			return env.Client.Create(ctx, vm)
		})
		applyTook, applyCPU := measure("vm-apply", func(ctx context.Context, vm *kubevirtv1.VirtualMachine) error {
			return applyVM(ctx, env.Client, vm)
		})
		perVM := func(d time.Duration) float64 { return 1000 * d.Seconds() / vmWriteCount }
		fmt.Fprintf(os.Stdout, "\nVirtualMachine writes, %d each way by %d workers: create %s (apiserver CPU %.2f ms per VM), "+
			"server-side apply %s (apiserver CPU %.2f ms per VM): apply costs %.2fx the apiserver CPU of a create\n",
			vmWriteCount, floorWorkers, seconds(createTook), perVM(createCPU), seconds(applyTook), perVM(applyCPU),
			applyCPU.Seconds()/createCPU.Seconds())
		b.ReportMetric(perVM(createCPU), "create_apiserver_ms/vm")
		b.ReportMetric(perVM(applyCPU), "apply_apiserver_ms/vm")
	}
}

// benchVMs builds the VirtualMachines of the set's first count members, as the Wukong controller does.
func benchVMs(namespace string, count int) ([]*kubevirtv1.VirtualMachine, error) {
	members, err := renderMembers(namespace, count)
	if err != nil {
		return nil, err
	}
	vms := make([]*kubevirtv1.VirtualMachine, count)
	for i, m := range members {
		m.UID = types.UID(fmt.Sprintf("00000000-0000-0000-0001-%012d", i))
		if vms[i], err = kubevirt.VirtualMachine(m); err != nil {
			return nil, err
		}
	}
	return vms, nil
}

// applyVM sends what apply.Apply sends for a VM that does not exist yet (apply.Intent), without the read of
// the cache before it.
func applyVM(ctx context.Context, c client.Client, vm *kubevirtv1.VirtualMachine) error {
	u, err := apply.Intent(vm, vmv1alpha1.AnnotationAppliedSpec, "spec")
	if err != nil {
		return err
	}
	return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(apply.FieldOwner), client.ForceOwnership)
}

// inParallel calls write for every object with floorWorkers workers and returns the first error.
func inParallel[T any](ctx context.Context, objs []T, write func(context.Context, T) error) error {
	work := make(chan T)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range floorWorkers {
		wg.Go(func() {
			for o := range work {
				if err := write(ctx, o); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	return firstErr
}
