// Package setcheck renders the members a WukongSet will have, exactly as the set controller renders them,
// and checks each against the Wukong CRD offline with membercheck, the check the set controller itself makes
// before creating members: `wukong render` prints its result, and the admission webhook (internal/webhook)
// refuses a set for which it finds a problem.
package setcheck

import (
	"cmp"
	"context"
	"errors"
	"github.com/novasphere/wukong/internal/setmember"
	"runtime"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/naming"
	"github.com/novasphere/wukong/internal/setcheck/membercheck"
	"github.com/novasphere/wukong/internal/template"
)

// Problem is one reason a set would produce an invalid member (see membercheck.Problem).
type Problem = membercheck.Problem

// Options tune Members.
type Options struct {
	// KeepMembers returns the rendered members; without it only the problems are returned.
	KeepMembers bool
	// Workers render and validate members in parallel; 0 means GOMAXPROCS.
	Workers int
}

// Members checks the template of set (as the apiserver stores it: CRD defaults applied) and renders every
// member of [0, replicas) as the controller creates them — same names, labels, revision label, variables —
// then validates each against the Wukong CRD with membercheck.Check, the check the set controller makes
// before it creates members. It returns the members (with Options.KeepMembers, and only when there is no
// problem) and the problems in index order.
func Members(ctx context.Context, renderer *setmember.Renderer, set *vmv1alpha1.WukongSet, o Options) ([]*vmv1alpha1.Wukong, []Problem) {
	if err := renderer.Engine.Check(set.Spec.Template); err != nil {
		return nil, templateProblems(err)
	}
	n := int(ptr.Deref(set.Spec.Replicas, 1))
	revision := setmember.Revision(set)
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	members := make([]membercheck.Member, n)
	problems := make([]*Problem, n)
	membercheck.Parallel(ctx, n, workers, func(i int) {
		members[i].Index = i
		m, err := renderer.Member(set, set.Spec.Template, i, revision, false)
		if err != nil {
			var te *template.Error
			if !errors.As(err, &te) {
				te = &template.Error{Err: err}
			}
			problems[i] = &Problem{Member: naming.Member(set.Name, i), Index: i, Template: te}
			return
		}
		// The owner reference needs the set's UID, which only the apiserver gives.
		m.OwnerReferences = nil
		members[i].Object = m
	})
	var all []Problem
	for _, p := range problems {
		if p != nil {
			all = append(all, *p)
		}
	}
	all = append(all, membercheck.Check(ctx, members, workers)...)
	slices.SortStableFunc(all, func(a, b Problem) int { return cmp.Compare(a.Index, b.Index) })
	if len(all) > 0 || !o.KeepMembers {
		return nil, all
	}
	out := make([]*vmv1alpha1.Wukong, n)
	for i, m := range members {
		out[i] = m.Object
	}
	return out, nil
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
