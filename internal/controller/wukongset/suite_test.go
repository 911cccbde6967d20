package wukongset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/harness"
	"github.com/novasphere/wukong/test/logcapture"
	"github.com/novasphere/wukong/test/testenv"
)

var h *harness.Harness

// logs records what the manager (and the simulator) logs, debug lines (V(1) to V(4)) included, for tests
// that search the logs. Higher verbosities dump whole request and response bodies, the user's spec with
// its images included, and are not meant for a production log.
var logs = logcapture.New(4)

func TestMain(m *testing.M) {
	// Before the harness, which discards logs: controller-runtime keeps the first logger set.
	ctrl.SetLogger(logr.New(logs))
	var err error
	h, err = harness.Start(harness.DefaultOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Members are deleted in the foreground, which needs the garbage collector, as on a real cluster.
	// The resource quota controller fills in quotas' status, which the quota pre-check reads.
	stopGC, err := h.StartControllers("garbagecollector", "resourcequota")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = h.Stop()
		os.Exit(1)
	}
	code := m.Run()
	stopGC()
	_ = h.Stop()
	os.Exit(code)
}

// eventually is testenv.Eventually, named for brevity in this package's many waits.
func eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	testenv.Eventually(t, timeout, check)
}

// sample reads a WukongSet from config/samples, so the tests apply the examples users read.
func sample(t *testing.T, file, namespace string) *vmv1alpha1.WukongSet {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	set := &vmv1alpha1.WukongSet{}
	if err := yaml.UnmarshalStrict(raw, set); err != nil {
		t.Fatal(err)
	}
	set.Namespace = namespace
	return set
}

func namespace(t *testing.T, prefix string) string {
	t.Helper()
	ns, err := h.Namespace(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}
