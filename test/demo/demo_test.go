package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/testenv"
)

// TestDemoAsProcess builds the demo, runs it as `make demo ARGS="--keep --no-samples --kubeconfig-out …"`
// would, drives the control plane it started through the kubeconfig it wrote, and stops it with SIGINT.
func TestDemoAsProcess(t *testing.T) {
	tmp := t.TempDir()
	bin, err := testenv.Build(tmp, "demo", "./test/demo")
	if err != nil {
		t.Fatal(err)
	}

	kubeconfig := filepath.Join(tmp, "kc")
	var stdout, stderr testenv.SyncBuffer
	cmd := exec.Command(bin, "--keep", "--no-samples", "--kubeconfig-out", kubeconfig)
	cmd.Env = os.Environ() // KUBEBUILDER_ASSETS, as make test sets it
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		if t.Failed() {
			t.Logf("demo stdout:\n%s\ndemo stderr:\n%s", stdout.String(), stderr.String())
		}
	})

	// The kubeconfig appears once the manager is ready; a cold control-plane start takes seconds.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(kubeconfig); err == nil {
			break
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("demo exited before writing the kubeconfig: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no kubeconfig after 2m")
		}
	}
	if out := stdout.String(); !strings.Contains(out, "SIMULATED") {
		t.Errorf("the demo does not say KubeVirt is simulated:\n%s", out)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("load the demo's kubeconfig: %v", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: testenv.NewScheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	set := &vmv1alpha1.WukongSet{
		ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: "default"},
		Spec: vmv1alpha1.WukongSetSpec{
			Replicas: ptr(int32(2)),
			Template: vmv1alpha1.WukongTemplateSpec{Spec: vmv1alpha1.WukongSpec{
				CPU:    1,
				Memory: resource.MustParse("1Gi"),
				Disks: []vmv1alpha1.Disk{{
					Name: "system", Size: resource.MustParse("1Gi"), Image: "docker://quay.io/kubevirt/cirros:latest",
				}},
			}},
		},
	}
	if err := c.Create(ctx, set); err != nil {
		t.Fatalf("create WukongSet through the demo's kubeconfig: %v", err)
	}
	for {
		got := &vmv1alpha1.WukongSet{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
			t.Fatalf("get WukongSet: %v", err)
		}
		if got.Status.ReadyReplicas == 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("WukongSet not ready: status %+v", got.Status)
		case err := <-exited:
			stopped = true
			t.Fatalf("demo exited while the set was starting: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Fatalf("demo exited with %v after SIGINT, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo still running 30s after SIGINT")
	}
	if out := stdout.String(); !strings.Contains(out, "Done in") {
		t.Errorf("the demo did not report a clean stop:\n%s", out)
	}
}
