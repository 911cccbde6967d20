package wukong

import (
	"errors"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/novasphere/wukong/internal/redact"
)

// ReasonReconcileError is the Ready reason of a Wukong whose last reconcile failed with an error that is
// retried (the apiserver unreachable, a permission or quota refusal, a failing webhook): the message says
// what failed, and the previous status stays otherwise.
const ReasonReconcileError = "ReconcileError"

// refusedPrefix starts the Ready message of a child the apiserver's admission refused, so the next reconcile
// of the same generation knows not to send it again (see refusedBefore).
const refusedPrefix = "the apiserver refused "

// refusedError is a child write refused by the apiserver's admission (schema, a CRD rule, a validating
// webhook such as KubeVirt's virt-api, an admission policy): the spec must change before a retry can succeed.
type refusedError struct {
	kind, name, msg string
}

func (e *refusedError) Error() string {
	return refusedPrefix + e.kind + " " + e.name + ": " + e.msg
}

// admissionRefusal reports whether err is a refusal of the object itself, as opposed to a transient failure
// to be retried, and returns the apiserver's message, redacted. A refusal is an Invalid (422) answer, which
// schema and CRD validation give and which KubeVirt's virt-api gives for every VM it refuses (v1.7
// pkg/util/webhooks/webhooks.go ToAdmissionResponse: reason Invalid, code 422), or a BadRequest or Forbidden
// answer that an admission webhook or policy gave ("admission webhook … denied the request",
// "ValidatingAdmissionPolicy … denied request"). Anything else, Forbidden for want of RBAC or quota included,
// is retried: it is not about the spec.
func admissionRefusal(err error) (string, bool) {
	var status apierrors.APIStatus
	if err == nil || !errors.As(err, &status) {
		return "", false
	}
	msg := status.Status().Message
	if cloneNotAuthorized(status.Status()) {
		return "", false
	}
	switch {
	case apierrors.IsInvalid(err):
	case (apierrors.IsBadRequest(err) || apierrors.IsForbidden(err)) &&
		(strings.Contains(msg, "admission webhook") && strings.Contains(msg, "denied the request") ||
			strings.Contains(msg, "ValidatingAdmissionPolicy") && strings.Contains(msg, "denied request")):
	default:
		return "", false
	}
	if msg == "" {
		msg = err.Error()
	}
	return redact.String(msg), true
}

// cloneNotAuthorized reports whether CDI's DataVolume webhook refused a clone because the requester (the
// operator's ServiceAccount) may not clone from the source namespace. CDI answers 422 with a cause on
// spec.source.PVC.namespace whose message is CanUserClonePVC's reason (cdi-api v1.63
// pkg/apis/core/v1beta1/authorize_utils.go, pkg/apiserver/webhooks/datavolume-mutate.go). It looks like an
// invalid spec but is about RBAC in the source namespace: it is retried, and succeeds once an administrator
// grants the clone (docs/disks.md), without an edit of the Wukong.
func cloneNotAuthorized(s metav1.Status) bool {
	if s.Details == nil {
		return false
	}
	for _, c := range s.Details.Causes {
		if c.Field == "spec.source.PVC.namespace" && strings.Contains(c.Message, "insufficient permissions in clone source namespace") {
			return true
		}
	}
	return false
}
