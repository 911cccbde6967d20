// Package membercheck checks rendered WukongSet members against the Wukong CRD offline (internal/crdschema:
// the apiserver's own defaulting, OpenAPI schema, metadata and CEL code) and against what their controller
// merges into cloud-init. It is the one implementation of "is this member valid": setcheck (the admission
// webhook and `wukong render`) and the WukongSet controller, before it creates members, both call Check.
//
// It knows nothing of how members are rendered, so the set controller, which setcheck imports, can use it too.
package membercheck

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cloudinit"
	"github.com/novasphere/wukong/internal/crdschema"
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

// Member is a rendered member and its index in its set.
type Member struct {
	Index int
	// Object is the rendered member; nil members are skipped (they could not be rendered).
	Object *vmv1alpha1.Wukong
}

// Check validates members and returns their problems in the order of members.
//
// Validating a member against the CRD costs far more than rendering it, so members whose rendered spec is the
// same are validated as one class: the first member of a class and the one with the longest name get the full
// validation, every other member only its metadata (name, labels, annotations), the one part in which it
// differs. That is exact because the Wukong CRD's rules read the metadata only for the length of the name
// (setcheck's TestCRDRulesReadOnlyNameLength keeps it so). A template that puts INDEX into the spec still
// has a class per member, so validation runs on workers goroutines (at least one).
func Check(ctx context.Context, members []Member, workers int) []Problem {
	schema, err := crdschema.Wukong()
	if err != nil {
		return []Problem{{Template: &template.Error{Err: err}}}
	}
	n := len(members)
	// objs are the members to validate: nil where a member was not rendered, or its spec does not encode.
	objs := make([]*vmv1alpha1.Wukong, n)
	keys := make([]string, n)
	problems := make([][]Problem, n)
	Parallel(ctx, n, workers, func(i int) {
		m := members[i]
		if m.Object == nil {
			return
		}
		spec, err := json.Marshal(m.Object.Spec)
		if err != nil {
			problems[i] = []Problem{{Member: m.Object.Name, Index: m.Index, Template: &template.Error{Err: err}}}
			return
		}
		objs[i], keys[i] = m.Object, string(spec)
	})

	// Classes of members with the same spec; the first and the longest-named of each are validated in full.
	first, longest := map[string]int{}, map[string]int{}
	for i, m := range objs {
		if m == nil {
			continue
		}
		if _, ok := first[keys[i]]; !ok {
			first[keys[i]] = i
		}
		if l, ok := longest[keys[i]]; !ok || len(m.Name) > len(objs[l].Name) {
			longest[keys[i]] = i
		}
	}
	full := func(i int) bool { return first[keys[i]] == i || longest[keys[i]] == i }

	// Validate: representatives in full, the others' metadata; a representative's problems outside the
	// metadata are every member's of its class.
	Parallel(ctx, n, workers, func(i int) {
		m := members[i]
		if objs[i] == nil {
			return
		}
		if full(i) {
			problems[i] = fieldProblems(m, append(validate(ctx, schema, m.Object), validateUserData(m.Object)...))
			return
		}
		problems[i] = fieldProblems(m, append(validateMetadata(m.Object), validateUserData(m.Object)...))
	})
	for i, m := range members {
		if objs[i] == nil || full(i) {
			continue
		}
		for _, p := range problems[first[keys[i]]] {
			if p.Field != nil && !strings.HasPrefix(p.Field.Field, "metadata") && p.Field.Field != userDataField {
				p.Member, p.Index = m.Object.Name, m.Index
				problems[i] = append(problems[i], p)
			}
		}
	}
	var all []Problem
	for _, ps := range problems {
		all = append(all, ps...)
	}
	return all
}

// Validate checks one member in full, as Check checks the representatives of its classes.
func Validate(ctx context.Context, m *vmv1alpha1.Wukong) field.ErrorList {
	schema, err := crdschema.Wukong()
	if err != nil {
		return field.ErrorList{field.InternalError(nil, err)}
	}
	return append(validate(ctx, schema, m), validateUserData(m)...)
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

func fieldProblems(m Member, errs field.ErrorList) []Problem {
	if len(errs) == 0 {
		return nil
	}
	ps := make([]Problem, len(errs))
	for j, e := range errs {
		ps[j] = Problem{Member: m.Object.Name, Index: m.Index, Field: e}
	}
	return ps
}

// Parallel calls fn for 0..n-1 on workers goroutines and returns when all calls have returned; it stops
// handing out indexes once ctx is done.
func Parallel(ctx context.Context, n, workers int, fn func(i int)) {
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
