// Package apply keeps a child object at its desired state with as few writes as possible: it creates what is
// missing, and updates an existing object only when the fields the operator sets differ. Fields others set
// (mutating webhooks, defaulting, other controllers) are left alone and never cause a write, so a reconcile
// of an unchanged object writes nothing.
package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Result says what Ensure did.
type Result string

// Results of Ensure.
const (
	Unchanged Result = "Unchanged"
	Created   Result = "Created"
	Updated   Result = "Updated"
)

// ErrNotControlled is returned when an object with the desired name exists but another controller (or
// nobody) controls it: the operator never takes over or overwrites an object it did not create.
type ErrNotControlled struct {
	Kind, Name string
}

func (e *ErrNotControlled) Error() string {
	return fmt.Sprintf("%s %s exists and is not controlled by this Wukong", e.Kind, e.Name)
}

// Ensure makes the object named like desired match it. existing is an empty object of the same type that
// Ensure reads into. live, when not nil, reads the apiserver directly: it settles an AlreadyExists that the
// cache cannot explain (an object the manager's cache filters out, such as an unlabelled Secret someone else
// created under the child's name), which must be reported as a conflict, not taken for our own. Only the desired object's labels, annotations, owner references and the fields listed by
// fields (JSON names of top-level fields such as "spec" or "data") are compared and written.
func Ensure(ctx context.Context, c client.Client, live client.Reader, desired, existing client.Object, fields ...string) (Result, error) {
	kind := Kind(desired)
	err := c.Get(ctx, client.ObjectKeyFromObject(desired), existing)
	if apierrors.IsNotFound(err) {
		if err := c.Create(ctx, desired); err != nil {
			if apierrors.IsAlreadyExists(err) {
				if live != nil {
					if err := live.Get(ctx, client.ObjectKeyFromObject(desired), existing); err == nil {
						if !controlledBySame(existing, desired) {
							return Unchanged, &ErrNotControlled{Kind: kind, Name: desired.GetName()}
						}
					}
				}
				// A stale cache: the object is ours. The next reconcile sees it and compares.
				return Unchanged, nil
			}
			return Unchanged, fmt.Errorf("create %s %s: %w", kind, desired.GetName(), err)
		}
		return Created, nil
	}
	if err != nil {
		return Unchanged, fmt.Errorf("get %s %s: %w", kind, desired.GetName(), err)
	}
	if !controlledBySame(existing, desired) {
		return Unchanged, &ErrNotControlled{Kind: kind, Name: desired.GetName()}
	}
	want, err := toMap(desired)
	if err != nil {
		return Unchanged, err
	}
	have, err := toMap(existing)
	if err != nil {
		return Unchanged, err
	}
	changed := !Contains(have["metadata"], pick(want["metadata"], "labels", "annotations"))
	for _, f := range fields {
		if !Contains(have[f], want[f]) || (want[f] == nil) != (have[f] == nil) {
			changed = true
			have[f] = want[f]
		}
	}
	if !changed {
		return Unchanged, nil
	}
	meta := have["metadata"].(map[string]any)
	meta["labels"] = merge(meta["labels"], want["metadata"].(map[string]any)["labels"])
	meta["annotations"] = merge(meta["annotations"], want["metadata"].(map[string]any)["annotations"])
	updated := existing.DeepCopyObject().(client.Object)
	if err := fromMap(have, updated); err != nil {
		return Unchanged, err
	}
	if err := c.Update(ctx, updated); err != nil {
		return Unchanged, fmt.Errorf("update %s %s: %w", kind, desired.GetName(), err)
	}
	return Updated, nil
}

// Kind is the Go type name of a typed object, which is its Kubernetes kind: typed objects read from the
// cache carry no TypeMeta, so messages and events name the kind this way.
func Kind(obj client.Object) string {
	return reflect.TypeOf(obj).Elem().Name()
}

// controlledBySame reports whether existing has the controller desired names: the operator never takes over
// or overwrites an object someone else controls.
func controlledBySame(existing, desired client.Object) bool {
	have, want := metav1.GetControllerOf(existing), metav1.GetControllerOf(desired)
	return have != nil && want != nil && have.UID == want.UID
}

// Contains reports whether actual holds every value of desired: maps may have extra keys, lists must have
// the same length with each element containing the desired one, scalars must be equal. Values are the
// decoded JSON forms (map[string]any, []any, string, float64, bool, nil).
func Contains(actual, desired any) bool {
	switch d := desired.(type) {
	case map[string]any:
		a, ok := actual.(map[string]any)
		if !ok {
			return len(d) == 0 && actual == nil
		}
		for k, dv := range d {
			if !Contains(a[k], dv) {
				return false
			}
		}
		return true
	case []any:
		a, ok := actual.([]any)
		if !ok {
			return len(d) == 0 && actual == nil
		}
		if len(a) != len(d) {
			return false
		}
		for i := range d {
			if !Contains(a[i], d[i]) {
				return false
			}
		}
		return true
	case nil:
		return true
	default:
		return reflect.DeepEqual(actual, desired)
	}
}

func pick(m any, keys ...string) map[string]any {
	out := map[string]any{}
	if mm, ok := m.(map[string]any); ok {
		for _, k := range keys {
			if v, ok := mm[k]; ok {
				out[k] = v
			}
		}
	}
	return out
}

func merge(into, from any) any {
	f, _ := from.(map[string]any)
	if len(f) == 0 {
		return into
	}
	out := map[string]any{}
	if i, ok := into.(map[string]any); ok {
		for k, v := range i {
			out[k] = v
		}
	}
	for k, v := range f {
		out[k] = v
	}
	return out
}

func toMap(obj any) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(raw, &m)
}

func fromMap(m map[string]any, obj any) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, obj)
}

// FieldOwner is the field manager of every server-side apply the operator sends.
const FieldOwner = "wukong-operator"

// Apply keeps a child at its desired state with server-side apply, so fields others set on it (KubeVirt's
// webhook sets the VM's firmware UUID and serial at creation, its controllers add defaults) are kept, while
// fields the operator set and no longer wants are removed. desired carries what the operator owns: labels,
// annotations, owner references and the fields named by fields (top-level JSON names such as "spec"). A hash
// of that is recorded in the annotation hashAnnotation, so a reconcile of an unchanged object sends nothing;
// a change anyone makes to those fields is noticed by comparison and undone. existing is an empty object of
// the same type that Apply reads the cached object into.
func Apply(ctx context.Context, c client.Client, desired, existing client.Object, hashAnnotation string, fields ...string) (Result, error) {
	kind := Kind(desired)
	err := c.Get(ctx, client.ObjectKeyFromObject(desired), existing)
	found := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return Unchanged, fmt.Errorf("get %s %s: %w", kind, desired.GetName(), err)
	}
	if found && !controlledBySame(existing, desired) {
		return Unchanged, &ErrNotControlled{Kind: kind, Name: desired.GetName()}
	}
	u, want, err := intent(desired, hashAnnotation, fields...)
	if err != nil {
		return Unchanged, err
	}
	if found {
		have, err := toMap(existing)
		if err != nil {
			return Unchanged, err
		}
		same := existing.GetAnnotations()[hashAnnotation] == u.GetAnnotations()[hashAnnotation] &&
			Contains(have["metadata"], pick(want["metadata"], "labels", "annotations"))
		for _, f := range fields {
			same = same && Contains(have[f], want[f])
		}
		if same {
			return Unchanged, nil
		}
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return Unchanged, fmt.Errorf("apply %s %s: %w", kind, desired.GetName(), err)
	}
	// The apiserver's answer names the object written, for events that refer to it.
	desired.SetUID(u.GetUID())
	desired.SetResourceVersion(u.GetResourceVersion())
	if found {
		return Updated, nil
	}
	return Created, nil
}

// Intent is the apply patch Apply sends for desired: its labels, annotations and owner references, the fields
// named by fields, and in hashAnnotation the hash of all that.
func Intent(desired client.Object, hashAnnotation string, fields ...string) (*unstructured.Unstructured, error) {
	u, _, err := intent(desired, hashAnnotation, fields...)
	return u, err
}

// intent is Intent, and desired's decoded JSON (want) for comparison with the object found.
func intent(desired client.Object, hashAnnotation string, fields ...string) (u *unstructured.Unstructured, want map[string]any, err error) {
	want, err = toMap(desired)
	if err != nil {
		return nil, nil, err
	}
	patch := map[string]any{"metadata": pick(want["metadata"], "labels", "annotations", "ownerReferences")}
	for _, f := range fields {
		patch[f] = dropNulls(want[f])
	}
	// The hash is of the patch before the annotation and the object's identity are added to it.
	hash, err := hashOf(patch)
	if err != nil {
		return nil, nil, err
	}
	md := patch["metadata"].(map[string]any)
	// A copy: want's annotations are compared with the object found, which need not carry the hash.
	annotations := map[string]any{}
	if a, ok := md["annotations"].(map[string]any); ok {
		maps.Copy(annotations, a)
	}
	annotations[hashAnnotation] = hash
	md["annotations"] = annotations
	md["name"], md["namespace"] = desired.GetName(), desired.GetNamespace()
	patch["apiVersion"], patch["kind"] = want["apiVersion"], want["kind"]
	return &unstructured.Unstructured{Object: patch}, want, nil
}

func hashOf(v any) (string, error) {
	raw, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8]), nil
}

// dropNulls removes null values (zero times such as an embedded template's creationTimestamp) from a decoded
// JSON value: in an apply they would claim fields the operator does not set.
func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if e != nil {
				out[k] = dropNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = dropNulls(e)
		}
		return out
	default:
		return v
	}
}
