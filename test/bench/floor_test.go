package bench

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/setmember"
	"github.com/novasphere/wukong/internal/template"
	"github.com/novasphere/wukong/test/testenv"
)

// floorResult is the bare floor: what the apiserver alone achieves with the set's own member objects.
type floorResult struct {
	// create is how long floorWorkers parallel workers took to create the n members.
	create time.Duration
	// dryRun is the same for server-side dry-run creates, the validation pass the set controller makes
	// before creating members.
	dryRun time.Duration
	// apiserverCPU is the apiserver's CPU time during create: its cost of one member create, for comparison
	// with its cost per write during the run.
	apiserverCPU time.Duration
}

// renderMembers renders the first count members of webSet in namespace with the set controller's own
// renderer, so they are the very objects the manager creates (same labels, owner reference and spec size).
// No set exists and no garbage collector runs, so the owner reference only has to be well-formed.
func renderMembers(namespace string, count int) ([]*vmv1alpha1.Wukong, error) {
	set := webSet(namespace, "web", count)
	set.UID = types.UID("00000000-0000-0000-0000-000000000001")
	engine, err := template.NewEngine()
	if err != nil {
		return nil, err
	}
	renderer := &setmember.Renderer{Engine: engine}
	revision := setmember.Revision(set)
	objs := make([]*vmv1alpha1.Wukong, count)
	for i := range objs {
		if objs[i], err = renderer.Member(set, set.Spec.Template, i, revision, false); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// measureFloor creates n Wukongs in a namespace of their own with floorWorkers parallel workers and no
// client-side throttling, before the simulator and the manager start. They are deleted again before the
// manager starts, so it never reconciles them.
func measureFloor(ctx context.Context, env *testenv.Env, n int) (floorResult, error) {
	var f floorResult
	ns, err := env.Namespace(ctx, "floor")
	if err != nil {
		return f, err
	}
	objs, err := renderMembers(ns, n+1)
	if err != nil {
		return f, err
	}
	// One untimed create first, so the client's discovery and connection setup are not part of the floor.
	if err := env.Client.Create(ctx, objs[n]); err != nil {
		return f, fmt.Errorf("create warm-up Wukong: %w", err)
	}
	if f.dryRun, err = createAll(ctx, env.Client, objs[:n], client.DryRunAll); err != nil {
		return f, err
	}
	apiserver, _ := childPID("kube-apiserver")
	cpuBefore, _ := procCPU(apiserver)
	if f.create, err = createAll(ctx, env.Client, objs[:n]); err != nil {
		return f, err
	}
	cpuAfter, _ := procCPU(apiserver)
	f.apiserverCPU = cpuAfter - cpuBefore

	if err := deleteAll(ctx, env.Client, ns, &vmv1alpha1.Wukong{}, memberMetadataList()); err != nil {
		return f, fmt.Errorf("delete the floor's Wukongs: %w", err)
	}
	return f, nil
}

// createAll creates objs with floorWorkers parallel workers (each a copy, so a dry run leaves objs
// reusable) and returns how long that took.
func createAll(ctx context.Context, c client.Client, objs []*vmv1alpha1.Wukong, opts ...client.CreateOption) (time.Duration, error) {
	start := time.Now()
	err := inParallel(ctx, objs, func(ctx context.Context, w *vmv1alpha1.Wukong) error {
		if err := c.Create(ctx, w.DeepCopy(), opts...); err != nil {
			return fmt.Errorf("create Wukong %s: %w", w.Name, err)
		}
		return nil
	})
	return time.Since(start), err
}
