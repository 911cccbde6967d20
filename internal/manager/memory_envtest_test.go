package manager_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// TestManagerMemory is a measurement, not run by default: WUKONG_MEMORY_BIN=path/to/wukong runs that
// binary's manager as a process against a control plane of its own with the simulator, creates a set of
// WUKONG_TEST_MEMBERS members (default 200), waits until all run and logs the manager's resident memory
// (VmRSS) and peak (VmHWM). Building the binary of an older commit gives the figure before a change.
func TestManagerMemory(t *testing.T) {
	bin := os.Getenv("WUKONG_MEMORY_BIN")
	if bin == "" {
		t.Skip("set WUKONG_MEMORY_BIN to a wukong binary to measure its manager's memory")
	}
	n := members(t, 200)
	e, err := testenv.StartWith(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Stop() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id, err := e.ManagerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wait, err := sim.Start(ctx, e.Config, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = wait() }()
	cmd := exec.Command(bin, "manager", "--kubeconfig", id.Kubeconfig, "--metrics-bind-address=0",
		"--health-probe-bind-address=0", "--webhook-port=-1")
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(3 * time.Second)
	idle := procStatus(t, cmd.Process.Pid)
	ns, err := e.Namespace(ctx, "memory")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := e.Client.Create(ctx, newSet(ns, "m", int32(n))); err != nil {
		t.Fatal(err)
	}
	readyTimes(t, e.Client, ns, "m", n, start)
	time.Sleep(5 * time.Second)
	t.Logf("%s, %d members: idle %s; all Running after %s: %s", filepath.Base(bin), n, idle, time.Since(start).Round(time.Second), procStatus(t, cmd.Process.Pid))
}

// procStatus reads a process's VmRSS and VmHWM.
func procStatus(t *testing.T, pid int) string {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "VmHWM") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(out, ", ")
}
