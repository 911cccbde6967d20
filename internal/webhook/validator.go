package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"net/http"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/redact"
	"github.com/novasphere/wukong/internal/setcheck"
)

// maxReportedProblems bounds the causes in one denial: a mistake in a template usually breaks every member
// the same way, and the apiserver repeats every cause in its message.
const maxReportedProblems = 10

// Validator admits a WukongSet only when every member it will have renders and passes the Wukong CRD. It
// answers for the set itself (create and update) and for its scale subresource, whose new replica count
// adds members and changes REPLICAS.
type Validator struct {
	// Renderer is the set controller's, so the webhook renders what the controller will create.
	Renderer *setmember.Renderer
	// Reader reads the set a scale request is for (uncached: a webhook answers about the latest set).
	Reader client.Reader
}

// Handle answers one admission review.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	set, resp, done := v.setOf(ctx, req)
	if done {
		return resp
	}
	if set.Namespace == "" {
		set.Namespace = req.Namespace
	}
	errs := v.Validate(ctx, set)
	if len(errs) == 0 {
		return admission.Allowed("")
	}
	status := apierrors.NewInvalid(vmv1alpha1.GroupVersion.WithKind("WukongSet").GroupKind(), set.Name, errs).Status()
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &status}}
}

// setOf returns the set as it would be stored after the request, or the response when there is nothing to
// check: an update that leaves the spec alone (labels, annotations, finalizers) or a set being deleted.
func (v *Validator) setOf(ctx context.Context, req admission.Request) (*vmv1alpha1.WukongSet, admission.Response, bool) {
	if req.SubResource == "scale" {
		var scale autoscalingv1.Scale
		if err := json.Unmarshal(req.Object.Raw, &scale); err != nil {
			return nil, admission.Errored(http.StatusBadRequest, fmt.Errorf("decode Scale: %w", err)), true
		}
		set := &vmv1alpha1.WukongSet{}
		if err := v.Reader.Get(ctx, client.ObjectKey{Namespace: req.Namespace, Name: req.Name}, set); err != nil {
			return nil, admission.Errored(http.StatusInternalServerError, fmt.Errorf("get WukongSet %s/%s: %w", req.Namespace, req.Name, err)), true
		}
		replicas := scale.Spec.Replicas
		set.Spec.Replicas = &replicas
		return set, admission.Response{}, false
	}
	set := &vmv1alpha1.WukongSet{}
	if err := json.Unmarshal(req.Object.Raw, set); err != nil {
		return nil, admission.Errored(http.StatusBadRequest, fmt.Errorf("decode WukongSet: %w", err)), true
	}
	if set.DeletionTimestamp != nil {
		return nil, admission.Allowed("the set is being deleted"), true
	}
	if req.Operation == admissionv1.Update {
		old := &vmv1alpha1.WukongSet{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return nil, admission.Errored(http.StatusBadRequest, fmt.Errorf("decode the old WukongSet: %w", err)), true
		}
		if equality.Semantic.DeepEqual(old.Spec, set.Spec) {
			return nil, admission.Allowed("spec unchanged"), true
		}
	}
	return set, admission.Response{}, false
}

// Validate returns why set would produce an invalid member, as field errors on the set: the template field
// (spec.template.<path>), the expression as the value, and, for a problem found at one member, the member's
// name and index. Credentials in URLs are masked. At most maxReportedProblems errors are returned, the last
// one saying how many were left out.
func (v *Validator) Validate(ctx context.Context, set *vmv1alpha1.WukongSet) field.ErrorList {
	_, problems := setcheck.Members(ctx, v.Renderer, set, setcheck.Options{})
	if len(problems) == 0 {
		return nil
	}
	tmpl := templateMap(set)
	var errs field.ErrorList
	for i, p := range problems {
		if i == maxReportedProblems {
			errs = append(errs, field.Invalid(field.NewPath("spec", "template"), field.OmitValueType{},
				fmt.Sprintf("%d more problems not shown", len(problems)-i)))
			break
		}
		errs = append(errs, fieldError(p, tmpl))
	}
	return errs
}

// fieldError turns a problem into an error on the set's field.
func fieldError(p setcheck.Problem, tmpl map[string]any) *field.Error {
	member := ""
	if p.Member != "" {
		member = fmt.Sprintf("member %s (index %d): ", p.Member, p.Index)
	}
	if te := p.Template; te != nil {
		path := templatePath(te.Path)
		var value any = field.OmitValueType{}
		if te.Expr != "" {
			value = redact.String("${" + te.Expr + "}")
		} else if s, ok := lookup(tmpl, te.Path).(string); ok {
			value = redact.String(s)
		}
		return field.Invalid(path, value, member+redact.String(te.Err.Error()))
	}
	fe := *p.Field
	detail := fe.Detail
	// The member's spec, labels and annotations are the template's, rendered: name the template field and
	// the expression it was rendered from. Anything else (the member's name) is the member's own.
	if rel, ok := inTemplate(fe.Field); ok {
		if s, ok := lookup(tmpl, rel).(string); ok && strings.Contains(s, "${") {
			detail += fmt.Sprintf(" (rendered from %q)", s)
		}
		fe.Field = templatePath(rel).String()
	}
	if s, ok := fe.BadValue.(string); ok {
		fe.BadValue = redact.String(s)
	}
	fe.Detail = member + redact.String(detail)
	return &fe
}

func templatePath(rel string) *field.Path {
	if rel == "" {
		return field.NewPath("spec", "template")
	}
	// The path is already in field-path syntax (spec.networks[0].ipConfig.address); Child keeps it as is.
	return field.NewPath("spec", "template").Child(rel)
}

// inTemplate reports whether a member's field comes from the template: its spec, labels and annotations.
func inTemplate(memberField string) (string, bool) {
	for _, prefix := range []string{"spec", "metadata.labels", "metadata.annotations"} {
		if memberField == prefix || strings.HasPrefix(memberField, prefix+".") || strings.HasPrefix(memberField, prefix+"[") {
			return memberField, true
		}
	}
	return "", false
}

// templateMap is the set's template in its JSON form, to look up what a field held before rendering.
func templateMap(set *vmv1alpha1.WukongSet) map[string]any {
	raw, err := json.Marshal(set.Spec.Template)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := utiljson.Unmarshal(raw, &m); err != nil {
		return nil
	}
	return m
}

// lookup walks a field path (spec.networks[0].ipConfig.address, metadata.labels[app]) through a JSON value;
// it returns nil when the path does not lead anywhere.
func lookup(v any, path string) any {
	for path != "" && v != nil {
		var step string
		switch {
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil
			}
			step, path = path[1:end], path[end+1:]
			switch c := v.(type) {
			case []any:
				i, err := strconv.Atoi(step)
				if err != nil || i < 0 || i >= len(c) {
					return nil
				}
				v = c[i]
			case map[string]any:
				v = c[step]
			default:
				return nil
			}
			continue
		case path[0] == '.':
			path = path[1:]
			continue
		}
		end := strings.IndexAny(path, ".[")
		if end < 0 {
			end = len(path)
		}
		step, path = path[:end], path[end:]
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[step]
	}
	return v
}
