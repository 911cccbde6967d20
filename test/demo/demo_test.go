package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/testenv"
)

// demoBinary builds the demo once for the package's tests.
var demoBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "wukong-demo-test-")
	if err != nil {
		return "", err
	}
	return testenv.Build(dir, "demo", "./test/demo")
})

func buildDemo(t *testing.T) string {
	t.Helper()
	bin, err := demoBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestDemoScenario runs `make demo` as it is: the scenario ends, and on the way the namespace's
// ResourceQuota (kept by kube-controller-manager's resource quota controller) holds back the members that
// do not fit until it is raised.
func TestDemoScenario(t *testing.T) {
	var stdout, stderr testenv.SyncBuffer
	cmd := exec.Command(buildDemo(t), "--timeout", "3m")
	cmd.Env = os.Environ() // KUBEBUILDER_ASSETS, as make test sets it
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"ResourceQuota vm-quota",
		"condition QuotaExceeded: 2 members wait for quota: ResourceQuota vm-quota is short of count/wukongs.vm.novasphere.dev",
		"count/wukongs.vm.novasphere.dev 6/6 used",
		"web-servers: 8/8 ready",
		"count/wukongs.vm.novasphere.dev 8/8 used",
		"of 8 members: 8 kept their VirtualMachine",
		"Done in",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
}

// TestDemoAsProcess builds the demo, runs it as `make demo ARGS="--keep --no-samples --kubeconfig-out …"`
// would, drives the control plane it started through the kubeconfig it wrote (and with the kubectl it
// names), and stops it with SIGINT.
func TestDemoAsProcess(t *testing.T) {
	tmp := t.TempDir()
	bin := buildDemo(t)

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
			case err := <-exited:
				t.Logf("demo stopped: %v", err)
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Logf("demo killed after 30 s: %v", <-exited)
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
	set := probeSet("default", 2)
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

	checkKubectl(ctx, t, c, kubeconfig)
	checkQuota(ctx, t, c)

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

// checkKubectl runs the kubectl the demo names against it: Multus's resource answers to its real plural and
// short name.
func checkKubectl(ctx context.Context, t *testing.T, c client.Client, kubeconfig string) {
	t.Helper()
	nad := &nadv1.NetworkAttachmentDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "probe-net", Namespace: "default"},
		Spec:       nadv1.NetworkAttachmentDefinitionSpec{Config: `{"cniVersion":"0.3.1","type":"bridge","bridge":"br1"}`},
	}
	if err := c.Create(ctx, nad); err != nil {
		t.Fatalf("create NetworkAttachmentDefinition: %v", err)
	}
	assets, err := testenv.Assets()
	if err != nil {
		t.Fatal(err)
	}
	for _, resource := range []string{"network-attachment-definitions", "net-attach-def"} {
		out, err := exec.CommandContext(ctx, filepath.Join(assets, "kubectl"), "--kubeconfig", kubeconfig,
			"get", resource, "-n", "default", "-o", "name").CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl get %s: %v\n%s", resource, err, out)
		}
		if got, want := strings.TrimSpace(string(out)), "networkattachmentdefinition.k8s.cni.cncf.io/probe-net"; got != want {
			t.Errorf("kubectl get %s -o name = %q, want %q", resource, got, want)
		}
	}
}

// checkQuota creates a ResourceQuota: kube-controller-manager's resource quota controller gives it a status,
// and a set that outgrows it waits with QuotaExceeded, as on a cluster.
func checkQuota(ctx context.Context, t *testing.T, c client.Client) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "quota-probe"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	const count = corev1.ResourceName("count/wukongs.vm.novasphere.dev")
	rq := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "one", Namespace: ns.Name},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{count: resource.MustParse("1")}},
	}
	if err := c.Create(ctx, rq); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		got := &corev1.ResourceQuota{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(rq), got); err != nil {
			return err
		}
		if _, ok := got.Status.Hard[count]; !ok {
			return fmt.Errorf("ResourceQuota has no status: is the resource quota controller running?")
		}
		return nil
	})
	set := probeSet(ns.Name, 2)
	if err := c.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
			return err
		}
		if !meta.IsStatusConditionTrue(got.Status.Conditions, vmv1alpha1.SetQuotaExceeded) || got.Status.ReadyReplicas != 1 {
			return fmt.Errorf("ready %d, conditions %+v", got.Status.ReadyReplicas, got.Status.Conditions)
		}
		quota := &corev1.ResourceQuota{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(rq), quota); err != nil {
			return err
		}
		if used := quota.Status.Used[count]; used.Value() != 1 {
			return fmt.Errorf("ResourceQuota used %s, want 1", used.String())
		}
		return nil
	})
	var members vmv1alpha1.WukongList
	if err := c.List(ctx, &members, client.InNamespace(ns.Name)); err != nil {
		t.Fatal(err)
	}
	if len(members.Items) != 1 {
		t.Errorf("%d Wukongs in a namespace whose quota allows 1", len(members.Items))
	}
}

// probeSet is a small WukongSet.
func probeSet(namespace string, replicas int32) *vmv1alpha1.WukongSet {
	return &vmv1alpha1.WukongSet{
		ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: namespace},
		Spec: vmv1alpha1.WukongSetSpec{
			Replicas: ptr(replicas),
			Template: vmv1alpha1.WukongTemplateSpec{Spec: vmv1alpha1.WukongSpec{
				CPU:    1,
				Memory: resource.MustParse("1Gi"),
				Disks: []vmv1alpha1.Disk{{
					Name: "system", Size: resource.MustParse("1Gi"), Image: "docker://quay.io/kubevirt/cirros:latest",
				}},
			}},
		},
	}
}
