package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/testenv"
)

// apiServerOutage is the outage the default leader-election timings must survive (issue 11, item 7).
const apiServerOutage = 30 * time.Second

// TestAPIServerOutage stops the kube-apiserver for 30s (etcd keeps running) under two built managers, each
// leader of a Lease of its own: one with the default leader-election timings, one with controller-runtime's
// (15s/10s/2s). The default one keeps running, keeps its Lease without a transition and reconciles a Wukong
// created after the outage; the other exits with "leader election lost" while the apiserver is down.
func TestAPIServerOutage(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	// Registered first, so it runs after the managers are killed.
	t.Cleanup(func() { _ = env.Stop() })
	dir := t.TempDir()
	wukong := build(t, dir, "./cmd/wukong")
	ctx := t.Context()
	c := env.Client

	for _, ns := range []string{"outage", "lease-default", "lease-old"} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	args := func(leaseNamespace string, extra ...string) []string {
		return append([]string{"manager", "--kubeconfig", env.Kubeconfig, "--metrics-bind-address=0",
			"--health-probe-bind-address=0", "--leader-elect", "--leader-election-namespace=" + leaseNamespace}, extra...)
	}
	current := runManager(t, filepath.Join(dir, "manager-default.log"), wukong, args("lease-default")...)
	old := runManager(t, filepath.Join(dir, "manager-old.log"), wukong, args("lease-old",
		"--leader-elect-lease-duration=15s", "--leader-elect-renew-deadline=10s", "--leader-elect-retry-period=2s")...)

	// Both lead, and reconcile.
	var before coordinationv1.Lease
	eventually(t, 60*time.Second, func() error {
		if err := held(ctx, c, "lease-old", nil); err != nil {
			return err
		}
		return held(ctx, c, "lease-default", &before)
	})
	waitForVM(ctx, t, c, createWukong(ctx, t, c, "before"), 60*time.Second)
	current.checkRunning(t)
	old.checkRunning(t)

	// The outage: from the moment the apiserver refuses connections until it answers healthy again. It begins
	// just after a renewal of the default manager, whose next try is then one retry period (5s) later: the
	// leader gives up 5s+45s after the stop, and the restart's own seconds on a busy machine do not eat the
	// margin. Had the outage begun right before a try, the leader would give up 5s earlier; the arithmetic in
	// internal/manager covers that phase (40s of outage at least).
	last := before.Spec.RenewTime.Time
	eventually(t, 15*time.Second, func() error {
		if err := held(ctx, c, "lease-default", &before); err != nil {
			return err
		}
		if !before.Spec.RenewTime.After(last) {
			return fmt.Errorf("no renewal since %s", last.Format(time.RFC3339Nano))
		}
		return nil
	})
	outage, err := env.StopAPIServer()
	if err != nil {
		t.Fatal(err)
	}
	down := outage.Began
	t.Logf("apiserver down %s after the default manager's last renewal seen", down.Sub(before.Spec.RenewTime.Time).Round(10*time.Millisecond))
	select {
	case <-current.done:
		t.Fatalf("the manager with the default timings exited during the outage: %v\n%s", current.err, current.logs(t))
	case <-time.After(time.Until(down.Add(apiServerOutage))):
	}
	if err := outage.End(); err != nil {
		t.Fatal(err)
	}
	up := outage.Ended
	t.Logf("apiserver unreachable for %s (of which restarting %s)", up.Sub(down).Round(10*time.Millisecond),
		up.Sub(down.Add(apiServerOutage)).Round(10*time.Millisecond))

	// controller-runtime's timings: gone, within the outage.
	select {
	case <-old.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("the manager with 15s/10s/2s survived a %s outage\n%s", up.Sub(down), old.logs(t))
	}
	if code := old.cmd.ProcessState.ExitCode(); code == 0 || !strings.Contains(old.logs(t), "leader election lost") {
		t.Fatalf("the manager with 15s/10s/2s exited with %d, want an error and \"leader election lost\"\n%s", code, old.logs(t))
	}
	if !old.exited.Before(up) {
		t.Errorf("the manager with 15s/10s/2s exited %s after the apiserver was back, want during the outage", old.exited.Sub(up))
	}
	t.Logf("with 15s/10s/2s: exited %s into the outage with \"leader election lost\"", old.exited.Sub(down).Round(100*time.Millisecond))

	// The default timings: still running, still the same leader, renewing, reconciling.
	current.checkRunning(t)
	var after coordinationv1.Lease
	eventually(t, 30*time.Second, func() error {
		if err := held(ctx, c, "lease-default", &after); err != nil {
			return err
		}
		if !after.Spec.RenewTime.After(up.Add(-time.Second)) {
			return fmt.Errorf("lease last renewed %s, before the apiserver was back", after.Spec.RenewTime.Format(time.RFC3339Nano))
		}
		return nil
	})
	renewed := time.Now()
	if *after.Spec.HolderIdentity != *before.Spec.HolderIdentity || ptrInt(after.Spec.LeaseTransitions) != ptrInt(before.Spec.LeaseTransitions) {
		t.Errorf("leadership changed: holder %s -> %s, transitions %d -> %d", *before.Spec.HolderIdentity,
			*after.Spec.HolderIdentity, ptrInt(before.Spec.LeaseTransitions), ptrInt(after.Spec.LeaseTransitions))
	}
	w := createWukong(ctx, t, c, "after")
	created := time.Now()
	waitForVM(ctx, t, c, w, 90*time.Second)
	current.checkRunning(t)
	t.Logf("with the defaults: still running and leading (transitions %d); Lease renewed %s after the apiserver was back; "+
		"a Wukong created then got its VM in %s", ptrInt(after.Spec.LeaseTransitions),
		renewed.Sub(up).Round(100*time.Millisecond), time.Since(created).Round(100*time.Millisecond))
}

// held checks that the manager's Lease in ns has a holder, and stores it in into when not nil.
func held(ctx context.Context, c client.Client, ns string, into *coordinationv1.Lease) error {
	lease := &coordinationv1.Lease{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: managerLease}, lease); err != nil {
		return err
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" || lease.Spec.RenewTime == nil {
		return fmt.Errorf("lease %s/%s has no holder", ns, managerLease)
	}
	if into != nil {
		*into = *lease
	}
	return nil
}

func ptrInt(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func createWukong(ctx context.Context, t *testing.T, c client.Client, name string) *vmv1alpha1.Wukong {
	t.Helper()
	w := &vmv1alpha1.Wukong{
		ObjectMeta: metav1.ObjectMeta{Namespace: "outage", Name: name},
		Spec: vmv1alpha1.WukongSpec{
			CPU: 1, Memory: resource.MustParse("1Gi"),
			Disks: []vmv1alpha1.Disk{{Name: "root", Size: resource.MustParse("10Gi"), Image: "docker://quay.io/containerdisks/fedora:41"}},
		},
	}
	if err := c.Create(ctx, w); err != nil {
		t.Fatal(err)
	}
	return w
}

// waitForVM waits until the manager has created the Wukong's VM and reported on it.
func waitForVM(ctx context.Context, t *testing.T, c client.Client, w *vmv1alpha1.Wukong, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(w), &kubevirtv1.VirtualMachine{}); err != nil {
			return fmt.Errorf("VM of %s: %w", w.Name, err)
		}
		got := &vmv1alpha1.Wukong{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(w), got); err != nil {
			return err
		}
		if got.Status.ObservedGeneration != got.Generation {
			return fmt.Errorf("Wukong %s: status observed generation %d of %d", w.Name, got.Status.ObservedGeneration, got.Generation)
		}
		return nil
	})
}

// managerProcess is a running `wukong manager` whose end the test watches.
type managerProcess struct {
	cmd    *exec.Cmd
	log    string
	done   chan struct{}
	err    error
	exited time.Time
}

func runManager(t *testing.T, log, bin string, args ...string) *managerProcess {
	t.Helper()
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	p := &managerProcess{cmd: exec.Command(bin, args...), log: log, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		p.exited = time.Now()
		_ = f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s:\n%s", filepath.Base(log), p.logs(t))
		}
	})
	return p
}

func (p *managerProcess) checkRunning(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("%s exited: %v\n%s", strings.Join(p.cmd.Args, " "), p.err, p.logs(t))
	default:
	}
}

func (p *managerProcess) logs(t *testing.T) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Log(err)
	}
	return string(b)
}
