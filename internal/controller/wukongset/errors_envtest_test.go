package wukongset_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// policy installs a ValidatingAdmissionPolicy refusing creates of resource (group/resource) in ns with the
// message messageExpression computes and the given reason, waits until probe's dry run is refused, and
// returns the function that removes it.
func policy(t *testing.T, ns, group, resource, messageExpression string, reason metav1.StatusReason, probe client.Object) func() {
	t.Helper()
	ctx := context.Background()
	p := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-" + resource + "-" + ns},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: []string{resource}},
				}}},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        fmt.Sprintf("object.metadata.namespace != %q", ns),
				MessageExpression: messageExpression,
				Reason:            ptr.To(reason),
			}},
		},
	}
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        p.Name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	for _, o := range []client.Object{p, b} {
		if err := h.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, func() error {
		if err := h.Client.Create(ctx, probe.DeepCopyObject().(client.Object), client.DryRunAll); err == nil || !strings.Contains(err.Error(), "ValidatingAdmissionPolicy") {
			return fmt.Errorf("policy not in force yet: the dry run gave %v", err) //nolint:errorlint // err may be nil here
		}
		return nil
	})
	return func() {
		_ = h.Client.Delete(ctx, b)
		_ = h.Client.Delete(ctx, p)
	}
}

// replicaFailure waits for the set's ReplicaFailure condition to be True with reason (any when "") and
// returns it.
func replicaFailure(t *testing.T, set *vmv1alpha1.WukongSet, reason string) *metav1.Condition {
	t.Helper()
	var c *metav1.Condition
	eventually(t, 60*time.Second, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := h.Client.Get(context.Background(), client.ObjectKeyFromObject(set), got); err != nil {
			return err
		}
		c = meta.FindStatusCondition(got.Status.Conditions, vmv1alpha1.SetReplicaFailure)
		if c == nil || c.Status != metav1.ConditionTrue || (reason != "" && c.Reason != reason) {
			return fmt.Errorf("ReplicaFailure %+v, want True %s", c, reason)
		}
		return nil
	})
	return c
}

// TestErrorBeforePlanIsReported: a write the set makes before it plans (storing its ControllerRevision) is
// refused (Forbidden, as a permission or policy would; an admission policy cannot answer BadRequest). The set reports it — ReplicaFailure True,
// ReconcileError, the apiserver's message, a Warning event — instead of only logging it, retries, and
// recovers when the refusal goes.
func TestErrorBeforePlanIsReported(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "revfail")
	rev := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: ns}, Revision: 1,
		Data: runtime.RawExtension{Raw: []byte(`{}`)}}
	undo := policy(t, ns, "apps", "controllerrevisions", "'revisions refused for the test'", metav1.StatusReasonForbidden, rev)
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	set.Spec.Replicas = ptr.To[int32](1)
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	c := replicaFailure(t, set, "ReconcileError")
	if !strings.Contains(c.Message, "revisions refused for the test") {
		t.Errorf("ReplicaFailure message %q, want the apiserver's", c.Message)
	}
	eventually(t, 10*time.Second, func() error { return warningEvent(ctx, ns, "ReconcileError") })
	if n := len(members(ctx, t, set)); n != 0 {
		t.Errorf("%d members created without a stored revision", n)
	}
	undo()
	waitReady(t, set, 1)
}

// TestNoSecretInSetStatusEventsOrLogs feeds an image URL with a password through the set's failure paths —
// the apiserver refusing members with a message that quotes the image, and a template invalid at one index
// — and finds the password in no condition, event or log line of the manager.
func TestNoSecretInSetStatusEventsOrLogs(t *testing.T) {
	ctx := t.Context()
	const password = "Sup3rSecretPW"
	image := "https://user:" + password + "@images.example.com/disk.qcow2"
	ns := namespace(t, "secret")
	probe := &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: ns},
		Spec: vmv1alpha1.WukongSpec{CPU: 1, Memory: resourceMust("1Gi"),
			Disks: []vmv1alpha1.Disk{{Name: "root", Size: resourceMust("1Gi"), Image: "https://example.com/probe"}}}}
	undo := policy(t, ns, vmv1alpha1.GroupVersion.Group, "wukongs", "'image not allowed: ' + object.spec.disks[0].image",
		metav1.StatusReasonInvalid, probe)
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	set.Spec.Replicas = ptr.To[int32](2)
	set.Spec.Template.Spec.Disks[0].Image = image
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	c := replicaFailure(t, set, "")
	if !strings.Contains(c.Message, "images.example.com") {
		t.Errorf("ReplicaFailure message %q should quote the apiserver, credentials removed", c.Message)
	}
	// An Invalid answer without a cause on a template field is not the template's fault: retried.
	if c.Reason != "CreateFailed" {
		t.Errorf("ReplicaFailure reason %s, want CreateFailed (an admission policy, not the template)", c.Reason)
	}
	eventually(t, 30*time.Second, func() error {
		if len(logs.Lines("Reconciler error", set.Name)) == 0 {
			return fmt.Errorf("the retried failure was not logged yet")
		}
		return nil
	})
	undo()

	// A template invalid at one index only. The set's admission may refuse it up front; if it does not, the
	// set reports it.
	bad := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	bad.Name = "bad-index"
	bad.Spec.Replicas = ptr.To[int32](3)
	bad.Spec.Template.Spec.Disks[0].Image = "https://user:" + password + "@images.example.com/disk${INDEX == 2 ? ' x' : string(INDEX)}.qcow2"
	if err := h.Client.Create(ctx, bad); err != nil {
		t.Logf("the set's admission refused the template invalid at one index: %v", err)
	} else {
		c := replicaFailure(t, bad, "")
		t.Logf("template invalid at one index: %s: %s", c.Reason, c.Message)
	}

	got := &vmv1alpha1.WukongSet{}
	for _, s := range []*vmv1alpha1.WukongSet{set, bad} {
		if err := h.Client.Get(ctx, client.ObjectKeyFromObject(s), got); err != nil {
			continue
		}
		for _, c := range got.Status.Conditions {
			if strings.Contains(c.Message, password) {
				t.Errorf("set %s condition %s: %q", s.Name, c.Type, c.Message)
			}
		}
	}
	var evs corev1.EventList
	if err := h.Client.List(ctx, &evs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs.Items {
		if strings.Contains(e.Message, password) {
			t.Errorf("event %s: %q", e.Reason, e.Message)
		}
	}
	for _, l := range logs.Lines(password) {
		t.Errorf("log line with the password: %s", l)
	}
}
