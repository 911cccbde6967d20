package webhook

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// Configuration is the ValidatingWebhookConfiguration, with cc as its client configuration. It is the one
// definition: the manager registers it in self-registration mode, and the installs' copies
// (config/webhook/manifests.yaml, the Helm chart's template) are checked against it by test/install and
// test/helm.
//
//   - Creates and updates of a set and of its scale subresource are checked; deletes are not.
//   - matchConditions skip updates that leave the spec as it was (labels, annotations, finalizers, the
//     controller's own bookkeeping), so those never depend on the manager being up.
//   - failurePolicy Fail: a set is never stored unchecked. While no manager serves, creates and spec
//     updates of sets are refused (docs/admission.md weighs this against Ignore).
//   - A namespace labelled LabelDisableValidation=true is exempt.
func Configuration(cc admissionregistrationv1.WebhookClientConfig) *admissionregistrationv1.ValidatingWebhookConfiguration {
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	equivalent := admissionregistrationv1.Equivalent
	scope := admissionregistrationv1.NamespacedScope
	timeout := timeoutSeconds
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: ConfigurationName},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    WebhookName,
			ClientConfig:            cc,
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			MatchPolicy:             &equivalent,
			TimeoutSeconds:          &timeout,
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{vmv1alpha1.GroupVersion.Group},
					APIVersions: []string{vmv1alpha1.GroupVersion.Version},
					Resources:   []string{"wukongsets", "wukongsets/scale"},
					Scope:       &scope,
				},
			}},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: LabelDisableValidation, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"true"},
			}}},
			ObjectSelector: &metav1.LabelSelector{},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name:       "spec-changed",
				Expression: "request.operation == 'CREATE' || object.spec != oldObject.spec",
			}},
		}},
	}
}
