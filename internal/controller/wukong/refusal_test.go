package wukong

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestAdmissionRefusal(t *testing.T) {
	vm := schema.GroupResource{Group: "kubevirt.io", Resource: "virtualmachines"}
	denied := func(code int32, reason metav1.StatusReason, msg string) error {
		return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: msg}}
	}
	for _, tc := range []struct {
		name    string
		err     error
		refused bool
		want    string
	}{
		{"nil", nil, false, ""},
		{"not an API error", errors.New("connection refused"), false, ""},
		{"KubeVirt's virt-api (422)", fmt.Errorf("apply VirtualMachine web-0: %w", denied(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid,
			`admission webhook "virtualmachine-validator.kubevirt.io" denied the request: spec.template.spec.hostname does not conform`)),
			true, `admission webhook "virtualmachine-validator.kubevirt.io" denied the request: spec.template.spec.hostname does not conform`},
		{"schema (422)", apierrors.NewInvalid(schema.GroupKind{Group: "cdi.kubevirt.io", Kind: "DataVolume"}, "web-0-root",
			field.ErrorList{field.Invalid(field.NewPath("spec", "source", "http", "url"), "https://u:PASSWORD@h/d", "bad")}), true, ""},
		{"webhook without a code (400)", denied(http.StatusBadRequest, "", `admission webhook "x.example.com" denied the request: no`), true, ""},
		{"admission policy (403)", denied(http.StatusForbidden, metav1.StatusReasonForbidden,
			`virtualmachines.kubevirt.io "web-0" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request: no`), true, ""},
		{"CDI's clone authorization (422): RBAC in the source namespace", fmt.Errorf("apply DataVolume web-0-root: %w",
			&apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusUnprocessableEntity,
				Message: `admission webhook "datavolume-mutate.cdi.kubevirt.io" denied the request:  User system:serviceaccount:wukong-system:wukong-manager has insufficient permissions in clone source namespace os-images`,
				Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: metav1.CauseTypeFieldValueInvalid,
					Field:   "spec.source.PVC.namespace",
					Message: "User system:serviceaccount:wukong-system:wukong-manager has insufficient permissions in clone source namespace os-images"}}}}}),
			false, ""},
		{"RBAC (403)", apierrors.NewForbidden(vm, "web-0", errors.New(`User "x" cannot create resource`)), false, ""},
		{"quota (403)", apierrors.NewForbidden(schema.GroupResource{Group: "cdi.kubevirt.io", Resource: "datavolumes"}, "web-0-root",
			errors.New("exceeded quota: q, requested: count/datavolumes.cdi.kubevirt.io=1")), false, ""},
		{"other BadRequest", apierrors.NewBadRequest("the server rejected our request for an unknown reason"), false, ""},
		{"webhook unreachable (500)", apierrors.NewInternalError(errors.New(`failed calling webhook "virtualmachine-validator.kubevirt.io"`)), false, ""},
		{"conflict", apierrors.NewConflict(vm, "web-0", errors.New("modified")), false, ""},
		{"timeout", apierrors.NewServerTimeout(vm, "create", 1), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, refused := admissionRefusal(tc.err)
			if refused != tc.refused {
				t.Fatalf("admissionRefusal(%v) = %v, want %v", tc.err, refused, tc.refused)
			}
			if tc.want != "" && msg != tc.want {
				t.Errorf("message %q, want %q", msg, tc.want)
			}
			if strings.Contains(msg, "PASSWORD") {
				t.Errorf("message %q keeps the password", msg)
			}
		})
	}
}
