// Package setcheck renders the members a WukongSet will have, exactly as the set controller renders them,
// and checks each against the Wukong CRD offline (internal/crdschema). It is the one implementation of "would
// this set produce valid members": `wukong render` prints its result, and the admission webhook
// (internal/webhook) refuses a set for which it finds a problem.
package setcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/controller/wukongset"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/template"
)

// Problem is one reason a set would produce an invalid member. Exactly one of Template and Field is set.
type Problem struct {
	// Member and Index name the member the problem was found at; Member is empty for a problem of the
	// template itself (a syntax error or an unknown variable), which breaks every member.
	Member string
	Index  int
	// Template is an expression that does not compile, or does not evaluate for this member. Its Path is
	// relative to the template (spec.hostname, metadata.labels[app]).
	Template *template.Error
	// Field is a rule of the Wukong CRD the rendered member breaks. Its Field is relative to the member, which
	// is the same path inside the template: a member's spec is the rendered template spec, its labels and
	// annotations the template's.
	Field *field.Error
}

// Error reads "spec.template.<path>: expression ...: <error>" for a problem of the template and
// "member <name> (index <i>): <field>: <error>" for one of a member, as `wukong render` prints them.
func (p Problem) Error() string {
	var msg string
	switch {
	case p.Template != nil:
		msg = p.Template.Error()
	case p.Field != nil:
		msg = p.Field.Error()
	}
	if p.Member == "" {
		return "spec.template." + msg
	}
	return fmt.Sprintf("member %s (index %d): %s", p.Member, p.Index, msg)
}

// Options tune Members.
type Options struct {
	// KeepMembers returns the rendered members; without it only the problems are returned.
	KeepMembers bool
	// Workers render and validate members in parallel; 0 means GOMAXPROCS.
	Workers int
}

// Members checks the template of set (as the apiserver stores it: CRD defaults applied) and renders every
// member of [0, replicas) as the controller creates them — same names, labels, revision label, variables —
// then validates each against the Wukong CRD: OpenAPI schema, metadata and CEL rules. It returns the members
// (with Options.KeepMembers, and only when there is no problem) and the problems in index order.
//
// Validating a member against the CRD costs far more than rendering it, so members whose rendered spec is the
// same are validated as one class: the first and the last (longest name) member of a class get the full
// validation, every other member only its metadata (name, labels, annotations), the one part in which it
// differs. That is exact because the Wukong CRD's rules read the metadata only for the length of the name
// (TestCRDRulesReadOnlyNameLength keeps it so), and a member name is the set name and a number. A template
// that puts INDEX into the spec still has a class per member, so validation also runs in parallel.
func Members(ctx context.Context, renderer *wukongset.Renderer, set *vmv1alpha1.WukongSet, o Options) ([]*vmv1alpha1.Wukong, []Problem) {
	if err := renderer.Engine.Check(set.Spec.Template); err != nil {
		return nil, templateProblems(err)
	}
	schema, err := crdschema.Wukong()
	if err != nil {
		return nil, []Problem{{Template: &template.Error{Err: err}}}
	}
	n := int(ptr.Deref(set.Spec.Replicas, 1))
	revision := wukongset.Revision(set)
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	// 1. Render every member and key it by its spec.
	members := make([]*vmv1alpha1.Wukong, n)
	keys := make([]string, n)
	problems := make([][]Problem, n)
	parallel(ctx, n, workers, func(i int) {
		m, err := renderer.Member(set, set.Spec.Template, i, revision, false)
		if err != nil {
			var te *template.Error
			if !errors.As(err, &te) {
				te = &template.Error{Err: err}
			}
			problems[i] = []Problem{{Member: naming.Member(set.Name, i), Index: i, Template: te}}
			return
		}
		// The owner reference needs the set's UID, which only the apiserver gives.
		m.OwnerReferences = nil
		spec, err := json.Marshal(m.Spec)
		if err != nil {
			problems[i] = []Problem{{Member: m.Name, Index: i, Template: &template.Error{Err: err}}}
			return
		}
		members[i], keys[i] = m, string(spec)
	})

	// 2. Classes of members with the same spec; the first and last of each are validated in full.
	first, last := map[string]int{}, map[string]int{}
	for i, k := range keys {
		if members[i] == nil {
			continue
		}
		if _, ok := first[k]; !ok {
			first[k] = i
		}
		last[k] = i
	}

	// 3. Validate: representatives in full, the others' metadata; a representative's problems outside the
	// metadata are every member's of its class.
	parallel(ctx, n, workers, func(i int) {
		m := members[i]
		if m == nil {
			return
		}
		if first[keys[i]] == i || last[keys[i]] == i {
			problems[i] = fieldProblems(m, i, append(validate(ctx, schema, m), validateUserData(m)...))
			return
		}
		problems[i] = fieldProblems(m, i, append(validateMetadata(m), validateUserData(m)...))
	})
	for i, m := range members {
		if m == nil || first[keys[i]] == i || last[keys[i]] == i {
			continue
		}
		for _, p := range problems[first[keys[i]]] {
			if p.Field != nil && !strings.HasPrefix(p.Field.Field, "metadata") && p.Field.Field != userDataField {
				p.Member, p.Index = m.Name, i
				problems[i] = append(problems[i], p)
			}
		}
	}

	var all []Problem
	for _, ps := range problems {
		all = append(all, ps...)
	}
	if len(all) > 0 || !o.KeepMembers {
		return nil, all
	}
	return members, nil
}

// validate checks a member against the Wukong CRD as the apiserver checks a create.
func validate(ctx context.Context, schema *crdschema.Schema, m *vmv1alpha1.Wukong) field.ErrorList {
	obj, err := crdschema.ToMap(m)
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	schema.Default(obj)
	return schema.Validate(ctx, obj)
}

// userDataField is the field validateUserData reports on.
const userDataField = "spec.cloudInit.userData"

// validateUserData checks the member's rendered user data as its controller will merge it (a YAML mapping
// under "#cloud-config" that does not contradict what the operator writes), which the CRD's schema cannot
// parse. It is checked for every member, not once per class: the operator's hostname defaults to the
// member's name. The document is never quoted.
func validateUserData(m *vmv1alpha1.Wukong) field.ErrorList {
	err := cloudinit.ValidateUserData(m)
	if err == nil {
		return nil
	}
	detail := strings.TrimPrefix(err.Error(), userDataField+": ")
	return field.ErrorList{{Type: field.ErrorTypeInvalid, Field: userDataField, BadValue: field.OmitValueType{}, Detail: detail}}
}

// validateMetadata is the part of validate that differs between members of a class.
func validateMetadata(m *vmv1alpha1.Wukong) field.ErrorList {
	return metavalidation.ValidateObjectMeta(&m.ObjectMeta, true, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

func fieldProblems(m *vmv1alpha1.Wukong, i int, errs field.ErrorList) []Problem {
	if len(errs) == 0 {
		return nil
	}
	ps := make([]Problem, len(errs))
	for j, e := range errs {
		ps[j] = Problem{Member: m.Name, Index: i, Field: e}
	}
	return ps
}

// parallel calls fn for 0..n-1 on workers goroutines and returns when all calls have returned; it stops
// handing out indexes once ctx is done.
func parallel(ctx context.Context, n, workers int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

func templateProblems(err error) []Problem {
	var list template.ErrorList
	if !errors.As(err, &list) {
		return []Problem{{Template: &template.Error{Err: err}}}
	}
	ps := make([]Problem, len(list))
	for i, e := range list {
		ps[i] = Problem{Template: e}
	}
	return ps
}

// Defaulted returns set as the apiserver would store it, with the WukongSet CRD's defaults applied, or the
// errors for which the apiserver would refuse it. Members must be given a stored set: the revision label
// hashes the defaulted template, and defaults such as an ipConfig's mode decide whether a member's rules hold.
// The webhook needs no call to it: the apiserver defaults and validates a set before admission.
func Defaulted(ctx context.Context, set *vmv1alpha1.WukongSet) (*vmv1alpha1.WukongSet, field.ErrorList) {
	schema, err := crdschema.WukongSet()
	if err != nil {
		return nil, field.ErrorList{field.InternalError(nil, err)}
	}
	obj, err := crdschema.ToMap(set)
	if err != nil {
		return nil, field.ErrorList{field.InternalError(nil, err)}
	}
	schema.Default(obj)
	if errs := schema.Validate(ctx, obj); len(errs) > 0 {
		return nil, errs
	}
	var defaulted vmv1alpha1.WukongSet
	if err := crdschema.FromMap(obj, &defaulted); err != nil {
		return nil, field.ErrorList{field.InternalError(nil, err)}
	}
	return &defaulted, nil
}
