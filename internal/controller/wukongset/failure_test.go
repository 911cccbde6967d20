package wukongset_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// denyMember installs a ValidatingAdmissionPolicy that makes the real apiserver refuse one member by name,
// and waits until the policy is in force. The returned function removes it.
func denyMember(t *testing.T, ns, name, message string) func() {
	t.Helper()
	ctx := context.Background()
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-" + ns},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{vmv1alpha1.GroupVersion.Group}, APIVersions: []string{"v1alpha1"}, Resources: []string{"wukongs"}},
				}}},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression: fmt.Sprintf("object.metadata.namespace != %q || object.metadata.name != %q", ns, name),
				Message:    message,
				// Forbidden, like a quota or policy refusal; the default (Invalid) would be a template error.
				Reason: ptr.To(metav1.StatusReasonForbidden),
			}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-" + ns},
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
	probe := &vmv1alpha1.Wukong{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: vmv1alpha1.WukongSpec{CPU: 1, Memory: resourceMust("1Gi")}}
	eventually(t, 30*time.Second, func() error {
		err := h.Client.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), message) {
			return fmt.Errorf("policy not in force yet: the dry run gave %v", err) //nolint:errorlint // err may be nil here
		}
		return nil
	})
	return func() {
		_ = h.Client.Delete(ctx, binding)
		_ = h.Client.Delete(ctx, policy)
	}
}

// TestPartialFailure: the apiserver refuses one member by its name, which the set's dry run (one per shape of
// member, not per name) does not see: the refusal comes at create time. The members before it are created
// and stay, and so do the others of the slow-start batch it was in (web-servers-4: creates within a batch run
// in parallel); no later batch starts. The set reports ReplicaFailure with the apiserver's message and a
// Warning event, and retries until the refusal goes away.
func TestPartialFailure(t *testing.T) {
	ctx := t.Context()
	ns := namespace(t, "partial")
	set := sample(t, "vm_v1alpha1_wukongset_basic.yaml", ns)
	undo := denyMember(t, ns, "web-servers-3", "member refused by policy for the test")
	if err := h.Client.Create(ctx, set); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, func() error {
		got := &vmv1alpha1.WukongSet{}
		if err := h.Client.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
			return err
		}
		c := meta.FindStatusCondition(got.Status.Conditions, vmv1alpha1.SetReplicaFailure)
		if c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "member refused by policy") || !strings.Contains(c.Message, "web-servers-3") {
			return fmt.Errorf("ReplicaFailure %+v", c)
		}
		if got.Status.ReadyReplicas != 4 {
			return fmt.Errorf("%d ready, want the 3 members before the refused one and the one in its batch", got.Status.ReadyReplicas)
		}
		return nil
	})
	if got := names(members(ctx, t, set)); strings.Join(got, ",") != "web-servers-0,web-servers-1,web-servers-2,web-servers-4" {
		t.Fatalf("members %v, want web-servers-0..2 and 4 (slow-start batches 0, 1–2, 3–4)", got)
	}
	eventually(t, 10*time.Second, func() error { return warningEvent(ctx, ns, "CreateFailed") })

	undo()
	waitReady(t, set, 5)
	got := &vmv1alpha1.WukongSet{}
	if err := h.Client.Get(ctx, client.ObjectKeyFromObject(set), got); err != nil {
		t.Fatal(err)
	}
	if meta.IsStatusConditionTrue(got.Status.Conditions, vmv1alpha1.SetReplicaFailure) {
		t.Fatalf("ReplicaFailure still True after recovery: %+v", got.Status.Conditions)
	}
}
