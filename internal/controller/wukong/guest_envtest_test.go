package wukong_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/test/samples"
	"github.com/novasphere/wukong/test/sim"
	"github.com/novasphere/wukong/test/testenv"
)

// vmiCondition returns the instance's condition of type c, nil when it has none.
func vmiCondition(i *kubevirtv1.VirtualMachineInstance, c kubevirtv1.VirtualMachineInstanceConditionType) *kubevirtv1.VirtualMachineInstanceCondition {
	for k := range i.Status.Conditions {
		if i.Status.Conditions[k].Type == c {
			return &i.Status.Conditions[k]
		}
	}
	return nil
}

// TestIssue12WorkerSample applies config/samples/vm_v1alpha1_wukong_worker.yaml (issue 12's YAML in its
// single-Wukong form) as written, with the golden image published by config/samples/golden-images: the
// Wukong is not Ready while the probe's initial delay runs and Ready after it, reports the guest agent, and
// its VM, DataVolumes, attachment and cloud-init Secret are checked field by field (test/samples, the same
// checks as for every member of the set sample).
func TestIssue12WorkerSample(t *testing.T) {
	ns := namespace(t)
	if err := samples.ApplyGoldenImage(t.Context(), h.Client); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "vm_v1alpha1_wukong_worker.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	w := &vmv1alpha1.Wukong{}
	if err := yaml.UnmarshalStrict(raw, w); err != nil {
		t.Fatalf("decode sample: %v", err)
	}
	w.Namespace = ns
	create(t, w)
	name := w.Name

	// While the probe's initial delay runs, the instance runs and the Wukong says why it is not Ready.
	waitFor(t, ns, name, func(w *vmv1alpha1.Wukong) error {
		if i := vmi(t, ns, name); i == nil || i.Status.Phase != kubevirtv1.Running {
			return fmt.Errorf("VM instance not running yet")
		}
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonReadinessProbeFailing)
	})
	ready := waitPhase(t, ns, name, vmv1alpha1.WukongRunning)
	inst := vmi(t, ns, name)
	var runningAt time.Time
	for _, p := range inst.Status.PhaseTransitionTimestamps {
		if p.Phase == kubevirtv1.Running {
			runningAt = p.PhaseTransitionTimestamp.Time
		}
	}
	readyAt := condition(ready, vmv1alpha1.WukongReady).LastTransitionTime.Time
	if d := readyAt.Sub(runningAt); d < 10*time.Second {
		t.Errorf("Ready %v after the instance started, before the probe's initialDelaySeconds 10", d)
	}
	// No disk names an access mode: the StorageProfile's applies, and the simulated cluster's is shared.
	if c := vmiCondition(inst, kubevirtv1.VirtualMachineInstanceIsMigratable); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("LiveMigratable %+v, want True", c)
	}
	if g := ready.Status.Guest; g == nil || !g.AgentConnected || g.OS == "" {
		t.Errorf("status.guest %+v, want what the guest agent reports", ready.Status.Guest)
	}
	if err := samples.CheckWorker(t.Context(), h.Client, ns, name, "10.0.0.10/24"); err != nil {
		t.Error(err)
	}
}

// TestReadinessProbeFailing: a probe that keeps failing keeps the running member un-Ready, with a reason
// saying so, until it succeeds; a ReadWriteOnce disk makes the instance report LiveMigratable False, as
// KubeVirt's virt-handler does.
func TestReadinessProbeFailing(t *testing.T) {
	ns := namespace(t)
	w := newWukong(ns, "probed")
	w.Annotations = map[string]string{sim.AnnotationProbeFail: "connection refused"}
	w.Spec.Disks[0].AccessMode = corev1.ReadWriteOnce
	w.Spec.EvictionStrategy = vmv1alpha1.EvictionStrategyLiveMigrateIfPossible
	w.Spec.ReadinessProbe = &vmv1alpha1.Probe{HTTPGet: &vmv1alpha1.HTTPGetProbe{Port: 8080, Path: "/healthz"}, PeriodSeconds: 1}
	create(t, w)

	failing := waitFor(t, ns, w.Name, func(w *vmv1alpha1.Wukong) error {
		if i := vmi(t, ns, w.Name); i == nil || i.Status.Phase != kubevirtv1.Running {
			return fmt.Errorf("VM instance not running yet")
		}
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonReadinessProbeFailing)
	})
	if msg := condition(failing, vmv1alpha1.WukongReady).Message; !strings.Contains(msg, "httpGet http port 8080 path /healthz") ||
		!strings.Contains(msg, "containers with unready status: [compute]") {
		t.Errorf("Ready message %q names neither the probe nor KubeVirt's reason", msg)
	}
	// It stays so: nothing but the probe holds it back.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		got := get(t, ns, w.Name, &vmv1alpha1.Wukong{})
		if c := condition(got, vmv1alpha1.WukongReady); c == nil || c.Status == metav1.ConditionTrue {
			t.Fatalf("Ready %+v while the probe fails", c)
		}
		time.Sleep(300 * time.Millisecond)
	}
	inst := vmi(t, ns, w.Name)
	if c := vmiCondition(inst, kubevirtv1.VirtualMachineInstanceIsMigratable); c == nil || c.Status != corev1.ConditionFalse ||
		c.Reason != kubevirtv1.VirtualMachineInstanceReasonDisksNotMigratable || !strings.Contains(c.Message, "is not shared") {
		t.Errorf("LiveMigratable %+v, want False DisksNotLiveMigratable for a ReadWriteOnce disk", c)
	}

	annotate(t, failing, sim.AnnotationProbeFail, nil)
	waitPhase(t, ns, w.Name, vmv1alpha1.WukongRunning)
}

// TestCloudInitUserDataFromSecret: a #cloud-config document in a user's Secret is merged into the cloud-init
// Secret and appears nowhere else; a document that contradicts the operator is InvalidSpec, naming the
// field, with nothing created, and without quoting the document.
func TestCloudInitUserDataFromSecret(t *testing.T) {
	ns := namespace(t)
	const token = "join-token-7f3a9c0e51b2"
	create(t, secret(ns, "join", map[string]string{
		"userData": "#cloud-config\nwrite_files:\n- path: /etc/join-token\n  content: " + token + "\n",
	}))
	w := newWukong(ns, "joiner")
	w.Spec.CloudInit = &vmv1alpha1.CloudInit{UserDataSecretRef: &vmv1alpha1.SecretKeyRef{Name: "join"}}
	create(t, w)
	running := waitPhase(t, ns, w.Name, vmv1alpha1.WukongRunning)
	s := &corev1.Secret{}
	get(t, ns, naming.CloudInitSecret(w.Name), s)
	var ud map[string]any
	if err := yaml.Unmarshal(s.Data["userdata"], &ud); err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"path": "/etc/join-token", "content": token}}
	if !reflect.DeepEqual(ud["write_files"], want) || ud["hostname"] != "joiner" {
		t.Errorf("merged user data %v, want write_files %v and hostname joiner", ud, want)
	}

	// The Secret's document now names another host: the operator refuses to write a contradiction.
	bad := &corev1.Secret{}
	get(t, ns, "join", bad)
	mergePatch(t, bad, `{"stringData":{"userData":"#cloud-config\nhostname: other\nwrite_files:\n- {path: /etc/join-token, content: `+token+`}\n"}}`)
	// Secrets are not watched: a spec change brings the Wukong back.
	mergePatch(t, running, `{"spec":{"cpu":3}}`)
	invalid := waitFor(t, ns, w.Name, func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonInvalidSpec)
	})
	msg := condition(invalid, vmv1alpha1.WukongReady).Message
	if !strings.Contains(msg, "spec.cloudInit.userDataSecretRef: hostname differs from spec.hostname") {
		t.Errorf("InvalidSpec message %q does not name the field and key", msg)
	}
	for _, c := range invalid.Status.Conditions {
		if strings.Contains(c.Message, token) {
			t.Errorf("condition %s quotes the user data: %q", c.Type, c.Message)
		}
	}
	for _, e := range events(t, ns, w.Name) {
		if strings.Contains(e.Note, token) {
			t.Errorf("event %s quotes the user data: %q", e.Reason, e.Note)
		}
	}
	for _, l := range logs.Lines(token) {
		t.Errorf("the manager's log quotes the user data: %s", l)
	}
}

// TestCloudInitUserDataInvalidCreatesNothing: inline user data that is not valid YAML is InvalidSpec before
// any child exists.
func TestCloudInitUserDataInvalidCreatesNothing(t *testing.T) {
	ns := namespace(t)
	w := newWukong(ns, "broken-ud")
	w.Spec.CloudInit = &vmv1alpha1.CloudInit{UserData: "#cloud-config\npackages: [nfs-common\nruncmd: x\n"}
	create(t, w)
	got := waitFor(t, ns, w.Name, func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonInvalidSpec)
	})
	if msg := condition(got, vmv1alpha1.WukongReady).Message; !strings.HasPrefix(msg, "spec.cloudInit.userData: not valid YAML") {
		t.Errorf("InvalidSpec message %q", msg)
	}
	if testenv.Exists(t, h.Client, ns, w.Name, &kubevirtv1.VirtualMachine{}) ||
		testenv.Exists(t, h.Client, ns, naming.CloudInitSecret(w.Name), &corev1.Secret{}) ||
		testenv.Exists(t, h.Client, ns, naming.DataVolume(w.Name, "root"), &cdiv1.DataVolume{}) {
		t.Error("a child was created for an invalid user data document")
	}
}
