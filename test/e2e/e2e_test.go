// Package e2e runs the built binaries as processes — the operator's `wukong manager` and the KubeVirt
// simulator — against a real apiserver, applies the design's examples and scrapes the manager's metrics.
package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/testenv"
)

func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out, err := testenv.Build(dir, filepath.Base(pkg), pkg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func start(t *testing.T, logs string, bin string, args ...string) *exec.Cmd {
	t.Helper()
	f, err := os.Create(logs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		_ = f.Close()
	})
	return cmd
}

// cluster starts around the apiserver what a cluster runs around the operator: kube-controller-manager's
// node-free controllers (testenv.ClusterControllers) and the manager's ServiceAccount with the RBAC of
// config/rbac. A manager process runs as that account with managerArgs.
func cluster(t *testing.T, env *testenv.Env) *testenv.ManagerIdentity {
	t.Helper()
	if _, err := env.StartClusterControllers(); err != nil {
		t.Fatal(err)
	}
	id, err := env.ManagerIdentity(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// managerArgs are the flags that make a manager process run as id, not as an administrator, with leader
// election in its own namespace as deployed and the admission webhook: `wukong manager` followed by extra.
func managerArgs(id *testenv.ManagerIdentity, extra ...string) []string {
	return append([]string{"manager", "--kubeconfig", id.Kubeconfig,
		"--leader-elect", "--leader-election-namespace", id.Namespace,
		// The admission webhook on a free loopback port, registered by the manager with a URL.
		"--webhook-host=127.0.0.1", "--webhook-port=0", "--webhook-self-register", "--webhook-namespace=" + id.Namespace}, extra...)
}

// eventually is testenv.Eventually.
func eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	testenv.Eventually(t, timeout, check)
}

// get returns the body of an HTTP GET of url, and an error unless it answered 200.
func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return string(b), err
}

// waitReady waits until the manager's health endpoint at probeAddr says it is ready.
func waitReady(t *testing.T, probeAddr string) {
	t.Helper()
	eventually(t, 60*time.Second, func() error {
		if _, err := get("http://" + probeAddr + "/readyz"); err != nil {
			return fmt.Errorf("readyz: %w", err)
		}
		return nil
	})
}

// TestManagerBinary runs the operator and the simulator as processes, the operator as its ServiceAccount
// with config/rbac's permissions and OwnerReferencesPermissionEnforcement on, creates the design's examples
// 6.1 and 6.3 and checks the members, the health endpoints, the metrics series and a clean shutdown.
func TestManagerBinary(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			t.Logf("stop the control plane: %v", err)
		}
	}()
	id := cluster(t, env)
	dir := t.TempDir()
	wukong := build(t, dir, "./cmd/wukong")
	simBin := build(t, dir, "./test/sim/cmd/kubevirt-sim")
	metricsAddr, probeAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)

	start(t, filepath.Join(dir, "sim.log"), simBin, "--kubeconfig", env.Kubeconfig, "--import-duration", "300ms", "--boot-duration", "200ms")
	mgr := start(t, filepath.Join(dir, "manager.log"), wukong, managerArgs(id,
		"--metrics-bind-address", metricsAddr, "--metrics-secure=false", "--health-probe-bind-address", probeAddr)...)
	waitReady(t, probeAddr)

	ctx := context.Background()
	// Example 6.1 (five plain members) and example 6.3 (three members named by template variables).
	for _, ex := range []struct {
		file     string
		replicas int32
	}{{"vm_v1alpha1_wukongset_basic.yaml", 5}, {"vm_v1alpha1_wukongset_variables.yaml", 3}} {
		raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", ex.file))
		if err != nil {
			t.Fatal(err)
		}
		set := &vmv1alpha1.WukongSet{}
		if err := yaml.UnmarshalStrict(raw, set); err != nil {
			t.Fatal(err)
		}
		set.Namespace = "default"
		if err := env.Client.Create(ctx, set); err != nil {
			t.Fatal(err)
		}
		eventually(t, 120*time.Second, func() error {
			got := &vmv1alpha1.WukongSet{}
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
				return err
			}
			if got.Status.ReadyReplicas != ex.replicas {
				return fmt.Errorf("%s: %d of %d ready", ex.file, got.Status.ReadyReplicas, ex.replicas)
			}
			return nil
		})
	}

	// The metrics endpoint serves the operator's series next to controller-runtime's.
	var families map[string]*dto.MetricFamily
	eventually(t, 30*time.Second, func() error {
		body, err := get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err = parser.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			return err
		}
		if v := value(families, "wukongset_replicas_ready", map[string]string{"wukongset": "cluster-nodes"}); v != 3 {
			return fmt.Errorf("wukongset_replicas_ready %v", v)
		}
		return nil
	})
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"wukongset_replicas_desired", map[string]string{"namespace": "default", "wukongset": "cluster-nodes"}, 3},
		{"wukongset_replicas_available", map[string]string{"wukongset": "cluster-nodes"}, 3},
		{"wukongset_replicas_updated", map[string]string{"wukongset": "cluster-nodes"}, 3},
		{"wukongset_members_by_phase", map[string]string{"wukongset": "cluster-nodes", "phase": "Running"}, 3},
		{"wukongset_members_by_phase", map[string]string{"wukongset": "cluster-nodes", "phase": "Failed"}, 0},
		{"wukongset_quota_blocked_members", map[string]string{"wukongset": "cluster-nodes"}, 0},
		{"wukongset_members_created_total", map[string]string{"wukongset": "cluster-nodes"}, 3},
		{"wukong_creation_to_ready_seconds", map[string]string{"wukongset": "cluster-nodes"}, 3}, // histogram count
	}
	for _, c := range checks {
		if got := value(families, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := families["controller_runtime_reconcile_total"]; !ok {
		t.Error("controller-runtime's own metrics are missing")
	}

	// SIGTERM: the manager stops cleanly and releases its lease.
	if err := mgr.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("manager exited with %v", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("manager did not stop within 45s of SIGTERM")
	}
}

// value returns a sample's value (a histogram's count) for the first series carrying all labels, or -1.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	fam, ok := families[name]
	if !ok {
		return -1
	}
next:
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}
