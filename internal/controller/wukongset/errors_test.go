package wukongset

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestTemplateError(t *testing.T) {
	wukong := schema.GroupKind{Group: "vm.novasphere.dev", Kind: "Wukong"}
	invalid := func(path *field.Path) error {
		return apierrors.NewInvalid(wukong, "web-1", field.ErrorList{field.Invalid(path, "x", "bad")})
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"spec field (CRD rule)", invalid(field.NewPath("spec", "disks").Index(0).Child("image")), true},
		{"whole spec", invalid(field.NewPath("spec")), true},
		{"label", invalid(field.NewPath("metadata", "labels")), true},
		{"annotation", invalid(field.NewPath("metadata", "annotations")), true},
		{"wrapped", fmt.Errorf("create: %w", invalid(field.NewPath("spec", "cpu"))), true},
		{"name", invalid(field.NewPath("metadata", "name")), false},
		{"owner reference", invalid(field.NewPath("metadata", "ownerReferences")), false},
		{"invalid without causes", &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: 422,
			Reason: metav1.StatusReasonInvalid, Message: "ValidatingAdmissionPolicy 'p' with binding 'b' denied request"}}, false},
		{"BadRequest", apierrors.NewBadRequest("the server rejected our request for an unknown reason"), false},
		{"webhook BadRequest", &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: 400,
			Message: `admission webhook "x" denied the request: no`}}, false},
		{"Forbidden", apierrors.NewForbidden(schema.GroupResource{Resource: "wukongs"}, "web-1", errors.New("no")), false},
		{"timeout", apierrors.NewTimeoutError("slow", 1), false},
		{"not an API error", errors.New("boom"), false},
		{"nil", nil, false},
	} {
		if got := templateError(tc.err); got != tc.want {
			t.Errorf("%s: templateError(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
