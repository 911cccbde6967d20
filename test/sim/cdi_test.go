package sim

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/novasphere/wukong/internal/naming"
)

func dvCondition(dv *cdiv1.DataVolume, t cdiv1.DataVolumeConditionType) *cdiv1.DataVolumeCondition {
	for i := range dv.Status.Conditions {
		if dv.Status.Conditions[i].Type == t {
			return &dv.Status.Conditions[i]
		}
	}
	return nil
}

// An import is watched from the apiserver, so every status the simulator writes is seen, in order.
func TestDataVolumeImportProgress(t *testing.T) {
	const importDuration = 1500 * time.Millisecond
	ns := startSim(t, Options{ImportDuration: importDuration})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(ctx, &cdiv1.DataVolumeList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	start := time.Now()
	create(t, newDataVolume(ns, naming.DataVolume("web", "root"), "registry"))
	var seen []string
	var last *cdiv1.DataVolume
	var pendingAt time.Time
	for last == nil || last.Status.Phase != cdiv1.Succeeded {
		select {
		case ev := <-w.ResultChan():
			dv, ok := ev.Object.(*cdiv1.DataVolume)
			if !ok {
				t.Fatalf("unexpected watch event %s %T", ev.Type, ev.Object)
			}
			last = dv
			if s := string(dv.Status.Phase) + " " + string(dv.Status.Progress); dv.Status.Phase != "" && (len(seen) == 0 || seen[len(seen)-1] != s) {
				seen = append(seen, s)
				if len(seen) == 1 {
					pendingAt = time.Now()
				}
			}
		case <-ctx.Done():
			t.Fatalf("no Succeeded DataVolume; saw %q", seen)
		}
	}
	// Measured from the first status the simulator wrote: the manager's start-up is not the import's.
	elapsed := time.Since(pendingAt)
	t.Logf("DataVolume seen after %v, imported in %v: %q", pendingAt.Sub(start), elapsed, seen)

	want := []string{"Pending N/A", "ImportInProgress 0.00%", "ImportInProgress 25.00%", "ImportInProgress 50.00%",
		"ImportInProgress 75.00%", "Succeeded 100.0%"}
	if !slices.Equal(seen, want) {
		t.Errorf("phases and progress = %q, want %q", seen, want)
	}
	if elapsed < importDuration*9/10 {
		t.Errorf("import took %v, want about %v", elapsed, importDuration)
	}
	for _, c := range []struct {
		t      cdiv1.DataVolumeConditionType
		status corev1.ConditionStatus
		reason string
	}{
		{cdiv1.DataVolumeBound, corev1.ConditionTrue, "Bound"},
		{cdiv1.DataVolumeReady, corev1.ConditionTrue, ""},
		{cdiv1.DataVolumeRunning, corev1.ConditionFalse, "Completed"},
	} {
		got := dvCondition(last, c.t)
		if got == nil || got.Status != c.status || got.Reason != c.reason {
			t.Errorf("condition %s = %+v, want status %s reason %q", c.t, got, c.status, c.reason)
		}
	}
	if last.Status.ClaimName != last.Name {
		t.Errorf("claimName = %q, want %q", last.Status.ClaimName, last.Name)
	}
}

// Run is what the kubevirt-sim command calls; a blank disk finishes long before an image import would.
func TestRunBlankDataVolume(t *testing.T) {
	ns, err := env.Namespace(context.Background(), "sim-run")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, env.Config, Options{ImportDuration: 5 * time.Second}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	start := time.Now()
	create(t, newDataVolume(ns, "scratch", "blank"))
	eventually(t, 4*time.Second, func() string {
		dv := get(t, ns, "scratch", &cdiv1.DataVolume{})
		if dv.Status.Phase != cdiv1.Succeeded || dv.Status.Progress != "100.0%" {
			return "blank DataVolume is " + string(dv.Status.Phase) + " " + string(dv.Status.Progress)
		}
		return ""
	})
	t.Logf("blank DataVolume succeeded after %v", time.Since(start))
}

// An import error injected on the owning Wukong fails the import with CDI's fields, holds the VM in
// DataVolumeError, and once removed the import starts over and the VM boots. Injected on the DataVolume
// itself it does the same.
func TestImportErrorAndRecovery(t *testing.T) {
	ns := startSim(t, Options{ImportDuration: 400 * time.Millisecond})
	const msg = "Unable to process data: HTTP 404 from https://example.com/disk.qcow2"

	wk := newWukong(ns, "db")
	create(t, wk)
	annotate(t, wk, AnnotationImportError, new(msg))
	dv := newDataVolume(ns, naming.DataVolume("db", "root"), "http")
	ownedBy(dv, wk)
	create(t, dv)
	vm := newVM(ns, "db", kubevirtv1.RunStrategyAlways, []string{dv.Name}, nil)
	ownedBy(vm, wk)
	create(t, vm)
	create(t, newCloudInitSecret(ns, "db", nil))

	eventually(t, 10*time.Second, func() string {
		dv := get(t, ns, dv.Name, &cdiv1.DataVolume{})
		running := dvCondition(dv, cdiv1.DataVolumeRunning)
		if dv.Status.Phase != cdiv1.Failed || running == nil || running.Status != corev1.ConditionFalse ||
			running.Reason != "Error" || running.Message != msg {
			return "DataVolume not failed with the message: " + string(dv.Status.Phase)
		}
		vm := get(t, ns, vm.Name, &kubevirtv1.VirtualMachine{})
		if vm.Status.PrintableStatus != kubevirtv1.VirtualMachineStatusDataVolumeError {
			return "VM printableStatus " + string(vm.Status.PrintableStatus) + ", want DataVolumeError"
		}
		return ""
	})

	annotate(t, wk, AnnotationImportError, nil)
	eventually(t, 10*time.Second, func() string {
		dv := get(t, ns, dv.Name, &cdiv1.DataVolume{})
		if dv.Status.Phase != cdiv1.Succeeded || dv.Status.RestartCount != 1 {
			return "DataVolume " + string(dv.Status.Phase) + " after the error was removed"
		}
		if vm := get(t, ns, vm.Name, &kubevirtv1.VirtualMachine{}); !vm.Status.Ready {
			return "VM " + string(vm.Status.PrintableStatus) + ", want ready"
		}
		return ""
	})

	t.Run("on the DataVolume", func(t *testing.T) {
		dv := newDataVolume(ns, "plain", "registry")
		create(t, dv)
		annotate(t, dv, AnnotationImportError, new("no space left on device"))
		eventually(t, 10*time.Second, func() string {
			got := get(t, ns, dv.Name, &cdiv1.DataVolume{})
			if c := dvCondition(got, cdiv1.DataVolumeRunning); got.Status.Phase != cdiv1.Failed || c == nil || c.Message != "no space left on device" {
				return "DataVolume " + string(got.Status.Phase)
			}
			return ""
		})
		annotate(t, dv, AnnotationImportError, nil)
		eventually(t, 10*time.Second, func() string {
			if got := get(t, ns, dv.Name, &cdiv1.DataVolume{}); got.Status.Phase != cdiv1.Succeeded {
				return "DataVolume " + string(got.Status.Phase)
			}
			return ""
		})
	})
}
