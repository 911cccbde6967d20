package main

import (
	"fmt"
	"github.com/novasphere/wukong/test/testenv"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/createvm"
	"github.com/novasphere/wukong/test/sim"
)

const templateBody = `
metadata:
  labels:
    node-index: "${INDEX}"
spec:
  cpu: 2
  memory: 4Gi
  networks:
  - name: eth0
    ipConfig:
      mode: static
      address: "192.168.1.${INDEX+100}/24"
`

// TestCreateVMFlagErrors runs the binary with bad flags and templates: each fails with exit code 1 before
// any cluster call and says what is wrong.
func TestCreateVMFlagErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	syntax := filepath.Join(dir, "syntax.yaml")
	writeFile(t, good, templateBody)
	writeFile(t, syntax, strings.Replace(templateBody, "${INDEX+100}", "${INDEX+}", 1))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no template", []string{"create-vm", "--index=3", "--name=x"}, "--template is required"},
		{"bad index", []string{"create-vm", "--template", good, "--index=vm-set-x"}, `--index "vm-set-x"`},
		{"missing file", []string{"create-vm", "--template", filepath.Join(dir, "nope.yaml"), "--index=vm-set-3"}, "no such file"},
		{"syntax error", []string{"create-vm", "--template", syntax, "--index=vm-set-3"},
			`spec.networks[0].ipConfig.address: expression "INDEX+": Syntax error`},
		{"unknown flag", []string{"create-vm", "--templat", good}, "unknown flag: --templat"},
		{"stray argument", []string{"create-vm", "--template", good, "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, stderr, tc.want)
			}
		})
	}
}

// sampleTemplate is config/samples/statefulset's template, held by the simulator until the test releases
// it: its VM stays unschedulable while the annotation is there, so /readyz is seen answering 503 for sure.
func sampleTemplate(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "statefulset", "vm-template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc["metadata"].(map[string]any)["annotations"] = map[string]any{sim.AnnotationUnschedulable: "held by the test for ${NAME}"}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vm-template.yaml")
	writeFile(t, path, string(out))
	return path
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// createPod creates the StatefulSet pod that create-vm runs in; nothing runs it, it only has to exist to own
// the Wukong.
func createPod(t *testing.T, ns, name string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "vm"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "vm-operator", Image: "wukong:latest"}}},
	}
	if err := h.Client.Create(t.Context(), pod); err != nil {
		t.Fatalf("create Pod %s: %v", name, err)
	}
	return pod
}

// startCreateVM runs create-vm as the sample StatefulSet's container does: the pod name as index and the
// downward-API variables.
func startCreateVM(t *testing.T, ns, pod, tmpl, readyAddr string, extra ...string) *process {
	t.Helper()
	args := append([]string{"create-vm", "--template=" + tmpl, "--index=" + pod, "--kubeconfig", h.Kubeconfig,
		"--ready-addr", readyAddr}, extra...)
	return start(t, []string{"POD_NAME=" + pod, "POD_NAMESPACE=" + ns}, args...)
}

func probe(addr, path string) (int, error) {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + path)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestCreateVM runs create-vm as a StatefulSet pod would, against the real apiserver with the operator and
// the simulator: the Wukong is created from the rendered template and owned by the pod, /readyz follows its
// Ready condition, SIGTERM ends the command cleanly and leaves the VM, and --delete-on-exit removes it.
func TestCreateVM(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "create-vm")
	pod := createPod(t, ns, "vm-set-3")
	tmpl := sampleTemplate(t)
	addr := testenv.FreeAddr(t)
	p := startCreateVM(t, ns, "vm-set-3", tmpl, addr)

	var w vmv1alpha1.Wukong
	eventually(t, func() error {
		if !testenv.Exists(t, h.Client, ns, "vm-set-3", &w) {
			return fmt.Errorf("no Wukong vm-set-3 yet; stderr: %s", p.stderr)
		}
		return nil
	})
	t.Run("rendered with index 3", func(t *testing.T) {
		if got := w.Labels["node-index"]; got != "3" {
			t.Errorf("label node-index = %q, want 3", got)
		}
		if got := w.Labels["app"]; got != "vm" {
			t.Errorf("label app = %q, want vm", got)
		}
		if got := w.Spec.Networks[0].IPConfig.Address; got != "192.168.10.13/24" {
			t.Errorf("address = %q, want 192.168.10.13/24", got)
		}
		if got := w.Spec.Hostname; got != "vm-set-3" {
			t.Errorf("hostname = %q, want vm-set-3", got)
		}
		if got := w.Annotations[sim.AnnotationUnschedulable]; got != "held by the test for vm-set-3" {
			t.Errorf("annotation = %q", got)
		}
	})
	t.Run("owned by the pod", func(t *testing.T) {
		want := metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: "vm-set-3", UID: pod.UID,
			Controller: ptr.To(false), BlockOwnerDeletion: ptr.To(true)}
		if len(w.OwnerReferences) != 1 || !reflect.DeepEqual(w.OwnerReferences[0], want) {
			t.Errorf("ownerReferences = %+v, want [%+v]", w.OwnerReferences, want)
		}
	})
	t.Run("applied by its field manager", func(t *testing.T) {
		var found bool
		for _, mf := range w.ManagedFields {
			found = found || (mf.Manager == createvm.FieldManager && mf.Operation == metav1.ManagedFieldsOperationApply)
		}
		if !found {
			t.Errorf("no Apply entry of manager %s in %+v", createvm.FieldManager, w.ManagedFields)
		}
	})

	// The VM is held unschedulable, so the Wukong cannot be Ready.
	eventually(t, func() error {
		code, err := probe(addr, "/healthz")
		if err != nil {
			return fmt.Errorf("/healthz: %w", err)
		}
		if code != http.StatusOK {
			return fmt.Errorf("/healthz: %d", code)
		}
		return nil
	})
	eventually(t, func() error {
		if testenv.Exists(t, h.Client, ns, "vm-set-3", &w); w.Status.Phase != vmv1alpha1.WukongStarting {
			return fmt.Errorf("phase %q, want Starting (held unschedulable)", w.Status.Phase)
		}
		return nil
	})
	if meta.IsStatusConditionTrue(w.Status.Conditions, vmv1alpha1.WukongReady) {
		t.Fatal("the held Wukong is Ready")
	}
	if code, err := probe(addr, "/readyz"); err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz before Ready: %d, %v; want 503", code, err)
	}

	// Released, the VM is scheduled and boots; /readyz turns 200 once the Wukong is Ready.
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, sim.AnnotationUnschedulable)
	if err := h.Client.Patch(ctx, &w, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		code, err := probe(addr, "/readyz")
		if err != nil {
			return fmt.Errorf("/readyz: %w", err)
		}
		if code != http.StatusOK {
			return fmt.Errorf("/readyz: %d", code)
		}
		return nil
	})
	testenv.Exists(t, h.Client, ns, "vm-set-3", &w)
	if !meta.IsStatusConditionTrue(w.Status.Conditions, vmv1alpha1.WukongReady) {
		t.Errorf("/readyz answered 200 for a Wukong that is not Ready: %+v", w.Status.Conditions)
	}
	eventually(t, func() error {
		if out := p.stdout.String(); !strings.Contains(out, "phase Running, ready, ip 192.168.10.13") {
			return fmt.Errorf("no progress line for the running VM in:\n%s", out)
		}
		return nil
	})

	t.Run("SIGTERM exits 0 and leaves the Wukong", func(t *testing.T) {
		if code := p.signal(t, syscall.SIGTERM); code != 0 {
			t.Fatalf("exit code %d, want 0; stderr: %s", code, p.stderr)
		}
		if !testenv.Exists(t, h.Client, ns, "vm-set-3", &vmv1alpha1.Wukong{}) {
			t.Fatal("the Wukong was deleted without --delete-on-exit")
		}
		if _, err := probe(addr, "/readyz"); err == nil {
			t.Error("/readyz still answers after exit")
		}
	})

	t.Run("--delete-on-exit deletes it on SIGTERM", func(t *testing.T) {
		before := w.UID
		p := startCreateVM(t, ns, "vm-set-3", tmpl, testenv.FreeAddr(t), "--delete-on-exit")
		eventually(t, func() error {
			if !strings.Contains(p.stdout.String(), "applied") {
				return fmt.Errorf("not applied yet; stdout: %s stderr: %s", p.stdout, p.stderr)
			}
			return nil
		})
		var again vmv1alpha1.Wukong
		if testenv.Exists(t, h.Client, ns, "vm-set-3", &again); again.UID != before {
			t.Errorf("a second run by the same pod replaced the Wukong (uid %s, was %s)", again.UID, before)
		}
		if code := p.signal(t, syscall.SIGTERM); code != 0 {
			t.Fatalf("exit code %d, want 0; stderr: %s", code, p.stderr)
		}
		eventually(t, func() error {
			if testenv.Exists(t, h.Client, ns, "vm-set-3", &vmv1alpha1.Wukong{}) {
				return fmt.Errorf("Wukong vm-set-3 still exists")
			}
			return nil
		})
	})
}

// TestCreateVMReplacesWukongOfEarlierPod: when the StatefulSet replaces a deleted pod, the new pod's
// create-vm deletes the Wukong the old pod owned and creates a fresh one, whether or not garbage collection
// (not running here) has got to it first.
func TestCreateVMReplacesWukongOfEarlierPod(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "create-vm-replace")
	tmpl := sampleTemplate(t)
	old := createPod(t, ns, "vm-set-1")
	p := startCreateVM(t, ns, "vm-set-1", tmpl, "0")
	var w vmv1alpha1.Wukong
	eventually(t, func() error {
		if !testenv.Exists(t, h.Client, ns, "vm-set-1", &w) {
			return fmt.Errorf("no Wukong vm-set-1 yet; stderr: %s", p.stderr)
		}
		return nil
	})
	if code := p.signal(t, syscall.SIGINT); code != 0 {
		t.Fatalf("exit code %d on SIGINT, want 0", code)
	}
	if err := h.Client.Delete(ctx, old, client.GracePeriodSeconds(0)); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if testenv.Exists(t, h.Client, ns, "vm-set-1", &corev1.Pod{}) {
			return fmt.Errorf("old pod still there")
		}
		return nil
	})
	pod := createPod(t, ns, "vm-set-1")

	startCreateVM(t, ns, "vm-set-1", tmpl, "0")
	eventually(t, func() error {
		var now vmv1alpha1.Wukong
		if !testenv.Exists(t, h.Client, ns, "vm-set-1", &now) {
			return fmt.Errorf("no Wukong vm-set-1")
		}
		if now.UID == w.UID {
			return fmt.Errorf("still the old pod's Wukong")
		}
		if len(now.OwnerReferences) != 1 || now.OwnerReferences[0].UID != pod.UID {
			return fmt.Errorf("owner references %+v, want the new pod %s only", now.OwnerReferences, pod.UID)
		}
		return nil
	})
}
