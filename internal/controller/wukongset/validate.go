package wukongset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"runtime"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cdi"
	"github.com/novasphere/wukong/internal/setcheck/membercheck"
)

// Members are validated in two steps before any is created:
//
//  1. Offline, every member of [0, replicas) rendered from the current template, with the Wukong CRD's own
//     schema and CEL rules (membercheck, the code the admission webhook and `wukong render` use). The result
//     is kept for the set's generation: a pass that creates members after an earlier pass of the same spec
//     validated them does not validate again.
//  2. One server-side dry run per distinct shape (shapeKey) of the members to create, for what no offline
//     check can see: admission webhooks and policies. A shape a dry run accepted is not dry-run again.

// maskedValue replaces, in a member's shape, every value that differs between members of one template.
const maskedValue = "${}"

// shapeKey identifies the shape of a rendered member for admission: a hash of the member as JSON with
// everything that varies between members of one template masked — its name, its index label, and every
// string the template computes with a ${...} expression (found by walking the template alongside the member:
// rendering only replaces strings, so paths match). All members rendered from one template, at one revision,
// share a key; members that differ in anything else (another revision's template, the surge label, the
// replacement annotation of a member in membersToDelete) do not.
//
// Masking is sound because the CRD's schema and rules have already been checked offline for every member: the
// dry run only stands in for admission webhooks and policies. One that reads the masked parts (a name, an
// address) may accept the shape's representative and refuse another member; that member is then refused at
// create time, which createMembers handles as before: the members created before it stay, the set reports
// CreateFailed with the apiserver's message and retries with backoff.
func shapeKey(tmpl vmv1alpha1.WukongTemplateSpec, m *vmv1alpha1.Wukong) (string, error) {
	t, err := generic(tmpl)
	if err != nil {
		return "", err
	}
	obj, err := generic(m)
	if err != nil {
		return "", err
	}
	tm, _ := t["metadata"].(map[string]any)
	om, _ := obj["metadata"].(map[string]any)
	if om == nil {
		om = map[string]any{}
		obj["metadata"] = om
	}
	om["name"] = maskedValue
	if lbls, ok := om["labels"].(map[string]any); ok {
		if _, ok := lbls[vmv1alpha1.LabelIndex]; ok {
			lbls[vmv1alpha1.LabelIndex] = maskedValue
		}
	}
	for _, k := range []string{"labels", "annotations"} {
		if v, ok := om[k]; ok {
			om[k] = maskVariables(tm[k], v)
		}
	}
	obj["spec"] = maskVariables(t["spec"], obj["spec"])
	delete(obj, "status")
	raw, err := json.Marshal(obj) // maps encode with sorted keys
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16]), nil
}

// maskVariables returns val with every string whose counterpart in tmpl holds "${" replaced by maskedValue.
// val may be modified in place.
func maskVariables(tmpl, val any) any {
	switch t := tmpl.(type) {
	case string:
		if strings.Contains(t, "${") {
			return maskedValue
		}
	case map[string]any:
		if v, ok := val.(map[string]any); ok {
			for k, tv := range t {
				if vv, ok := v[k]; ok {
					v[k] = maskVariables(tv, vv)
				}
			}
		}
	case []any:
		if v, ok := val.([]any); ok {
			for i := range min(len(t), len(v)) {
				v[i] = maskVariables(t[i], v[i])
			}
		}
	}
	return val
}

// generic is v's JSON form as maps and slices.
func generic(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// validations remember, per set, what validating it found.
type validations struct {
	mu   sync.Mutex
	sets map[types.NamespacedName]*setValidation
}

// maxShapes bounds the shapes remembered per set: a set has a shape per template revision it creates members
// from (and a few variants of each), so the bound is only reached by a set whose templates churn; it then
// starts over.
const maxShapes = 256

// setValidation is what was validated for a set.
type setValidation struct {
	uid types.UID
	// generation is the spec checked: checked is true once every member of its template was checked offline,
	// and problem is then what was found ("" when every member is valid).
	generation int64
	checked    bool
	problem    string
	// goldens are the golden volumes the current template needs at every index (imagePolicy ImportOnce),
	// once goldensKnown: rendering every member on every pass would cost a pass of a large set O(N) renders.
	goldens      []cdi.Golden
	goldensKnown bool
	// shapes are the shapes a dry run accepted. They outlive the generation: a shape key covers everything
	// but the masked values, so a scale-up or a template edit back and forth dry-runs nothing again.
	shapes map[string]bool
}

// of returns the set's entry, the offline check reset when the spec changed and everything when the set was
// re-created. A set is reconciled by one worker at a time, so the entry is then used without the lock.
func (v *validations) of(set *vmv1alpha1.WukongSet) *setValidation {
	v.mu.Lock()
	defer v.mu.Unlock()
	key := types.NamespacedName{Namespace: set.Namespace, Name: set.Name}
	e := v.sets[key]
	if e == nil || e.uid != set.UID || len(e.shapes) > maxShapes {
		if v.sets == nil {
			v.sets = map[types.NamespacedName]*setValidation{}
		}
		e = &setValidation{uid: set.UID, generation: set.Generation, shapes: map[string]bool{}}
		v.sets[key] = e
	}
	if e.generation != set.Generation {
		e.generation, e.checked, e.problem, e.goldens, e.goldensKnown = set.Generation, false, "", nil, false
	}
	return e
}

// forget drops a deleted set's entry.
func (v *validations) forget(key types.NamespacedName) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.sets, key)
}

// checkTemplate renders every member of [0, replicas) from the current template and checks each offline
// (membercheck), so a template that is invalid at any index is caught before anything is created. It returns
// what is wrong ("" when nothing is), naming the first members, their indices and fields. The answer is kept
// for the set's generation. An error means the check did not finish (the pass was cancelled).
func (r *Reconciler) checkTemplate(ctx context.Context, set *vmv1alpha1.WukongSet, update string) (string, error) {
	v := r.validated.of(set)
	if v.checked {
		return v.problem, nil
	}
	n := setmember.Replicas(set)
	members := make([]membercheck.Member, n)
	var renderErr error
	for i := range n {
		m, err := r.Renderer.Member(set, set.Spec.Template, i, update, false)
		if err != nil {
			renderErr = err
			break
		}
		members[i] = membercheck.Member{Index: i, Object: m}
	}
	switch {
	case renderErr != nil:
		v.problem = renderErr.Error()
	default:
		ps := membercheck.Check(ctx, members, runtime.GOMAXPROCS(0))
		if err := ctx.Err(); err != nil {
			// Cancelled part way: nothing was learnt.
			return "", fmt.Errorf("validate members of WukongSet %s: %w", set.Name, err)
		}
		v.problem = problems(ps)
	}
	v.checked = true
	return v.problem, nil
}

// problems joins the first three problems into one message and says how many more there are.
func problems(ps []membercheck.Problem) string {
	if len(ps) == 0 {
		return ""
	}
	var parts []string
	for i, p := range ps {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ps)-3))
			break
		}
		parts = append(parts, p.Error())
	}
	return strings.Join(parts, "; ")
}
