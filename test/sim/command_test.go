package sim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	"github.com/novasphere/wukong/test/testenv"
)

// The kubevirt-sim command, built and run as a process with a kubeconfig, announces itself as a simulator,
// imports a DataVolume, defaults VMs through its webhook and unregisters the webhook when interrupted.
func TestCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	bin, err := testenv.Build(t.TempDir(), "kubevirt-sim", "./test/sim/cmd/kubevirt-sim")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := env.Namespace(context.Background(), "sim-cmd")
	if err != nil {
		t.Fatal(err)
	}
	var logs testenv.SyncBuffer
	cmd := exec.Command(bin, "--kubeconfig", env.Kubeconfig, "--import-duration", "200ms", "--boot-duration", "0",
		"--nodes", "n1,n2", "--workers", "16")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if n := len(virtAPIConfigurations(t)); n != 0 {
			t.Errorf("%d webhooks registered after kubevirt-sim stopped, want 0", n)
		}
		if t.Failed() {
			t.Logf("kubevirt-sim output:\n%s", logs.String())
		}
	})

	create(t, newDataVolume(ns, "disk", "http"))
	eventually(t, 20*time.Second, func() string {
		if dv := get(t, ns, "disk", &cdiv1.DataVolume{}); dv.Status.Phase != cdiv1.Succeeded {
			return "DataVolume is " + string(dv.Status.Phase)
		}
		return ""
	})
	// The process may still be registering its webhook when the DataVolume succeeds: wait for it.
	eventually(t, 10*time.Second, func() string {
		if n := len(virtAPIConfigurations(t)); n != 1 {
			return fmt.Sprintf("%d webhooks registered", n)
		}
		return ""
	})
	vm := newVM(ns, "cmd", kubevirtv1.RunStrategyHalted, nil, nil)
	create(t, vm)
	if fw := vm.Spec.Template.Spec.Domain.Firmware; fw == nil || fw.UUID == "" || fw.Serial == "" {
		t.Errorf("VM firmware %+v, want the webhook's UUID and serial", fw)
	}
	if !strings.Contains(logs.String(), "SIMULATOR") {
		t.Errorf("kubevirt-sim did not say it is a simulator:\n%s", logs.String())
	}
}
