package wukong_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dto "github.com/prometheus/client_model/go"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/test/sim"
)

// count lists objects of list's kind in ns and returns how many there are.
func count(t *testing.T, ns string, list client.ObjectList) int {
	t.Helper()
	if err := h.Client.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	switch l := list.(type) {
	case *cdiv1.DataVolumeList:
		return len(l.Items)
	case *kubevirtv1.VirtualMachineList:
		return len(l.Items)
	case *corev1.SecretList:
		return len(l.Items)
	}
	t.Fatalf("unexpected list %T", list)
	return 0
}

// refusals is how many VirtualMachine creates the simulated virt-api refused in ns.
func refusals(t *testing.T, ns string) float64 {
	t.Helper()
	m := &dto.Metric{}
	if err := sim.VMAdmissions.WithLabelValues(ns, "CREATE", "false").Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestRefusedVM: KubeVirt's admission refuses the VM (injected through the simulated virt-api, since the
// CRD's own rules refuse what the simulator's KubeVirt rules would). The Wukong says so once — Ready False
// InvalidSpec with KubeVirt's message, a Warning event — and nothing is half made: no DataVolume (no import
// started), no Secret, no VM. It does not retry the refused VM while its spec stays; once the spec changes
// and KubeVirt admits the VM, everything is created and the VM runs.
func TestRefusedVM(t *testing.T) {
	t.Parallel()
	const msg = "refused by KubeVirt for the test"
	ns := namespace(t)
	w := newWukong(ns, "refused")
	w.Annotations = map[string]string{sim.AnnotationRefuseVM: msg}
	create(t, w)

	w = waitFor(t, ns, "refused", func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonInvalidSpec)
	})
	got := condition(w, vmv1alpha1.WukongReady).Message
	if !strings.Contains(got, msg) || !strings.Contains(got, `admission webhook "virtualmachine-validator.kubevirt.io" denied the request`) ||
		!strings.Contains(got, "VirtualMachine refused") {
		t.Errorf("Ready message %q, want KubeVirt's refusal of VirtualMachine refused", got)
	}
	if w.Status.Phase != vmv1alpha1.WukongFailed {
		t.Errorf("phase %q, want Failed", w.Status.Phase)
	}
	waitEvent(t, ns, "refused", corev1.EventTypeWarning, vmv1alpha1.ReasonInvalidSpec, msg)

	// Several seconds with the refused spec unchanged: the VM is not sent again, and nothing is created.
	first := refusals(t, ns)
	time.Sleep(5 * time.Second)
	total := refusals(t, ns)
	t.Logf("refused VM creates: %v when the condition was seen, %v five seconds later", first, total)
	if total < 1 || total > 2 {
		t.Errorf("%v refused creates, want 1 (2 at most, when a reconcile ran on a cache without the status)", total)
	}
	if n := count(t, ns, &cdiv1.DataVolumeList{}); n != 0 {
		t.Errorf("%d DataVolumes exist for a refused VM: imports started", n)
	}
	if n := count(t, ns, &corev1.SecretList{}); n != 0 {
		t.Errorf("%d Secrets exist for a refused VM", n)
	}
	if n := count(t, ns, &kubevirtv1.VirtualMachineList{}); n != 0 {
		t.Errorf("%d VirtualMachines exist", n)
	}

	// The user fixes the spec: the refusal goes and the CPU count changes, so the generation moves.
	mergePatch(t, w, fmt.Sprintf(`{"metadata":{"annotations":{%q:null}},"spec":{"cpu":3}}`, sim.AnnotationRefuseVM))
	w = waitPhase(t, ns, "refused", vmv1alpha1.WukongRunning)
	if err := conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionTrue, vmv1alpha1.ReasonRunning); err != nil {
		t.Error(err)
	}
	if n := count(t, ns, &cdiv1.DataVolumeList{}); n != 1 {
		t.Errorf("%d DataVolumes, want 1", n)
	}
	if n := refusals(t, ns); n != total {
		t.Errorf("%v refused creates after the fix, want still %v", n, total)
	}
}

// TestTransientErrorIsReported: a write that fails for a reason other than the spec (here a quota that
// forbids DataVolumes) is retried, and reported on the Wukong while it lasts — Ready False ReconcileError
// with the apiserver's message and a Warning event — not only logged. The VM is written before its disks,
// so it exists; once the quota goes, the Wukong runs.
func TestTransientErrorIsReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := namespace(t)
	const dvCount = "count/datavolumes.cdi.kubevirt.io"
	rq := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "no-disks", Namespace: ns},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{dvCount: resource.MustParse("0")}},
	}
	create(t, rq)
	// The harness runs kube-controller-manager's resource quota controller; the apiserver enforces the quota
	// once that controller has filled in its status.
	eventually(t, timeout, func() error {
		got := get(t, ns, rq.Name, &corev1.ResourceQuota{})
		if _, ok := got.Status.Hard[dvCount]; !ok {
			return fmt.Errorf("ResourceQuota %s has no status yet", rq.Name)
		}
		return nil
	})
	create(t, newWukong(ns, "quota"))
	w := waitFor(t, ns, "quota", func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, "ReconcileError")
	})
	if msg := condition(w, vmv1alpha1.WukongReady).Message; !strings.Contains(msg, "exceeded quota") || !strings.Contains(msg, "quota-root") {
		t.Errorf("Ready message %q, want the quota refusal of DataVolume quota-root", msg)
	}
	waitEvent(t, ns, "quota", corev1.EventTypeWarning, "ReconcileError", "exceeded quota")
	if n := count(t, ns, &kubevirtv1.VirtualMachineList{}); n != 1 {
		t.Errorf("%d VirtualMachines, want the one written before its disks", n)
	}
	if err := h.Client.Delete(ctx, rq); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, ns, "quota", vmv1alpha1.WukongRunning)
}

// TestNoSecretInStatusEventsOrLogs feeds an image URL with a password through every failure path of a
// Wukong — CDI's import error quoting the URL, KubeVirt's refusal quoting it, an admission policy quoting
// the DataVolume's URL — and finds the password in no status message, event or log line.
func TestNoSecretInStatusEventsOrLogs(t *testing.T) {
	t.Parallel()
	const password = "Sup3rSecretPW"
	image := "https://user:" + password + "@images.example.com/disk.qcow2?token=" + password + "tok"
	ns := namespace(t)
	withImage := func(name string) *vmv1alpha1.Wukong {
		w := newWukong(ns, name)
		w.Spec.Disks[0].Image = image
		return w
	}

	imp := withImage("import")
	imp.Annotations = map[string]string{sim.AnnotationImportError: "GET " + image + ": 401 Unauthorized"}
	create(t, imp)
	refused := withImage("refused")
	refused.Annotations = map[string]string{sim.AnnotationRefuseVM: "cannot use " + image}
	create(t, refused)
	// The policy refuses only the "policy" member's DataVolumes: the "import" member may not have written
	// its DataVolume yet when the policy comes into force.
	undo := denyDataVolumes(t, ns, "policy-")
	defer undo()
	create(t, withImage("policy"))

	waitFor(t, ns, "import", func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonImportFailed)
	})
	waitFor(t, ns, "refused", func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonInvalidSpec)
	})
	p := waitFor(t, ns, "policy", func(w *vmv1alpha1.Wukong) error {
		return conditionIs(w, vmv1alpha1.WukongReady, metav1.ConditionFalse, vmv1alpha1.ReasonInvalidSpec)
	})
	if msg := condition(p, vmv1alpha1.WukongReady).Message; !strings.Contains(msg, "images.example.com") {
		t.Errorf("Ready message %q should still quote the policy's message, credentials removed", msg)
	}
	waitEvent(t, ns, "import", corev1.EventTypeWarning, vmv1alpha1.ReasonImportFailed, "images.example.com")
	waitEvent(t, ns, "refused", corev1.EventTypeWarning, vmv1alpha1.ReasonInvalidSpec, "images.example.com")
	waitEvent(t, ns, "policy", corev1.EventTypeWarning, vmv1alpha1.ReasonInvalidSpec, "images.example.com")

	for _, name := range []string{"import", "refused", "policy"} {
		w := get(t, ns, name, &vmv1alpha1.Wukong{})
		for _, c := range w.Status.Conditions {
			if strings.Contains(c.Message, password) {
				t.Errorf("Wukong %s condition %s: %q", name, c.Type, c.Message)
			}
		}
		for _, e := range events(t, ns, name) {
			if strings.Contains(e.Note, password) {
				t.Errorf("Wukong %s event %s: %q", name, e.Reason, e.Note)
			}
		}
	}
	for _, l := range logs.Lines(password) {
		t.Errorf("log line with the password: %s", l)
	}
	if len(logs.Lines(ns)) == 0 {
		t.Error("nothing about the namespace was logged: the log capture does not see the process's logs")
	}
}

// denyDataVolumes makes the apiserver refuse every DataVolume created in ns whose name starts with prefix, with a ValidatingAdmissionPolicy
// whose message quotes the DataVolume's HTTP URL, as a policy checking image sources might.
func denyDataVolumes(t *testing.T, ns, prefix string) func() {
	t.Helper()
	ctx := context.Background()
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-dv-" + ns},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{"cdi.kubevirt.io"}, APIVersions: []string{"*"}, Resources: []string{"datavolumes"}},
				}}},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        fmt.Sprintf("object.metadata.namespace != %q || !object.metadata.name.startsWith(%q)", ns, prefix),
				MessageExpression: "'image source not allowed: ' + object.spec.source.http.url",
				Reason:            ptr.To(metav1.StatusReasonForbidden),
			}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-dv-" + ns},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy.Name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	for _, o := range []client.Object{policy, binding} {
		if err := h.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	probe := &cdiv1.DataVolume{
		ObjectMeta: metav1.ObjectMeta{Name: prefix + "probe", Namespace: ns},
		Spec: cdiv1.DataVolumeSpec{
			Source:  &cdiv1.DataVolumeSource{HTTP: &cdiv1.DataVolumeSourceHTTP{URL: "https://example.com/probe"}},
			Storage: &cdiv1.StorageSpec{Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
		},
	}
	eventually(t, 30*time.Second, func() error {
		err := h.Client.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		if err == nil {
			return errors.New("policy not in force yet: the dry run was admitted")
		}
		if !strings.Contains(err.Error(), "image source not allowed") {
			return fmt.Errorf("policy not in force yet: %w", err)
		}
		return nil
	})
	return func() {
		_ = h.Client.Delete(ctx, binding)
		_ = h.Client.Delete(ctx, policy)
	}
}
