// Package authz asks the test apiserver's real authorizer (RBAC, envtest's default mode) what an identity
// may do, through SubjectAccessReviews, and collects the apiserver's warnings. The install tests
// (kustomize and Helm) share it.
package authz

import (
	"context"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Access is one request to authorize: a resource (in a namespace, or cluster-wide when NS is empty) or a
// non-resource path.
type Access struct {
	NS, Verb, Group, Resource, Sub, Path string
}

func (a Access) String() string {
	if a.Path != "" {
		return a.Verb + " " + a.Path
	}
	r := a.Resource
	if a.Group != "" {
		r += "." + a.Group
	}
	if a.Sub != "" {
		r += "/" + a.Sub
	}
	if a.NS == "" {
		return a.Verb + " " + r + " cluster-wide"
	}
	return a.Verb + " " + r + " in " + a.NS
}

// ServiceAccount is the identity of a ServiceAccount's token.
func ServiceAccount(namespace, name string) authorizationv1.SubjectAccessReviewSpec {
	return authorizationv1.SubjectAccessReviewSpec{
		User:   "system:serviceaccount:" + namespace + ":" + name,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
}

// User is an authenticated user with no groups of its own.
func User(name string) authorizationv1.SubjectAccessReviewSpec {
	return authorizationv1.SubjectAccessReviewSpec{User: name, Groups: []string{"system:authenticated"}}
}

// Can asks the apiserver's authorizer whether who may do a.
func Can(ctx context.Context, t *testing.T, c client.Client, who authorizationv1.SubjectAccessReviewSpec, a Access) bool {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: who}
	if a.Path != "" {
		sar.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Verb: a.Verb, Path: a.Path}
	} else {
		sar.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
			Namespace: a.NS, Verb: a.Verb, Group: a.Group, Resource: a.Resource, Subresource: a.Sub,
		}
	}
	if err := c.Create(ctx, sar); err != nil {
		t.Fatalf("SubjectAccessReview %s for %s: %v", a, who.User, err)
	}
	if sar.Status.EvaluationError != "" {
		t.Fatalf("SubjectAccessReview %s for %s: %s", a, who.User, sar.Status.EvaluationError)
	}
	return sar.Status.Allowed
}

// CanSoon is Can for an access that a binding just created grants: the RBAC authorizer learns of new roles
// and bindings through its informers, so it is asked again for up to 10 seconds.
func CanSoon(ctx context.Context, t *testing.T, c client.Client, who authorizationv1.SubjectAccessReviewSpec, a Access) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !Can(ctx, t, c, who, a) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// Warnings collects the apiserver's warning headers, such as PodSecurity's; set it as a rest.Config's
// WarningHandlerWithContext.
type Warnings struct {
	mu   sync.Mutex
	list []string
}

// HandleWarningHeaderWithContext records one warning.
func (w *Warnings) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// Take returns the warnings recorded since the last Take.
func (w *Warnings) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}

// Expect checks that who may do every allowed access (waiting briefly for bindings just created) and none of
// the denied ones; role names who in failure messages.
func Expect(ctx context.Context, t *testing.T, c client.Client, who authorizationv1.SubjectAccessReviewSpec, role string, allowed, denied []Access) {
	t.Helper()
	for _, a := range allowed {
		if !CanSoon(ctx, t, c, who, a) {
			t.Errorf("the %s may not %s", role, a)
		}
	}
	for _, a := range denied {
		if Can(ctx, t, c, who, a) {
			t.Errorf("the %s may %s; it must not", role, a)
		}
	}
}
