package wukongset

import (
	"errors"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ReasonReconcileError is the ReplicaFailure reason of a set whose reconcile failed before it could plan
// (listing or claiming members, storing revisions, a permission or quota refusal, the apiserver
// unreachable): the failure is retried with backoff, and the message says what failed.
const ReasonReconcileError = "ReconcileError"

// templateError reports whether the apiserver refused a member because of what the set's template renders:
// an Invalid (422) answer with at least one cause on a field the template sets (the member's spec, labels or
// annotations). Only that is reported as InvalidTemplate and not retried until the set changes. Anything
// else — a BadRequest, an Invalid answer about another field (the member's name, its owner reference) or
// without causes, a Forbidden from RBAC, a quota or a policy, a timeout — is not the template's fault and is
// retried with backoff.
func templateError(err error) bool {
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) {
		return false
	}
	d := status.Status().Details
	if d == nil {
		return false
	}
	for _, c := range d.Causes {
		if f := c.Field; f == "spec" || strings.HasPrefix(f, "spec.") || strings.HasPrefix(f, "spec[") ||
			strings.HasPrefix(f, "metadata.labels") || strings.HasPrefix(f, "metadata.annotations") {
			return true
		}
	}
	return false
}
