package createvm

import (
	"errors"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/template"
)

// LoadTemplate reads a Wukong template from a file holding a template (metadata and spec), a WukongSet (its
// spec.template) or a Wukong (its labels, annotations and spec). Unknown fields are errors, so a typo is
// reported instead of silently dropped.
func LoadTemplate(path string) (vmv1alpha1.WukongTemplateSpec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return vmv1alpha1.WukongTemplateSpec{}, fmt.Errorf("read template: %w", err)
	}
	t, err := ParseTemplate(raw)
	if err != nil {
		return vmv1alpha1.WukongTemplateSpec{}, fmt.Errorf("template %s: %w", path, err)
	}
	return t, nil
}

// ParseTemplate decodes a template, a WukongSet or a Wukong (see LoadTemplate) strictly.
func ParseTemplate(raw []byte) (vmv1alpha1.WukongTemplateSpec, error) {
	var head map[string]any
	if err := yaml.Unmarshal(raw, &head); err != nil {
		return vmv1alpha1.WukongTemplateSpec{}, err
	}
	if head == nil {
		return vmv1alpha1.WukongTemplateSpec{}, errors.New("empty document")
	}
	kind, _ := head["kind"].(string)
	switch kind {
	case "":
		if _, ok := head["spec"]; !ok {
			return vmv1alpha1.WukongTemplateSpec{}, errors.New("spec: required (a template is metadata {labels, annotations} and spec; a whole WukongSet or Wukong needs its kind)")
		}
		var t vmv1alpha1.WukongTemplateSpec
		if err := crdschema.DecodeStrict(raw, &t); err != nil {
			return t, err
		}
		return t, nil
	case "WukongSet":
		var set vmv1alpha1.WukongSet
		if err := crdschema.DecodeStrict(raw, &set); err != nil {
			return vmv1alpha1.WukongTemplateSpec{}, err
		}
		return set.Spec.Template, nil
	case "Wukong":
		var w vmv1alpha1.Wukong
		if err := crdschema.DecodeStrict(raw, &w); err != nil {
			return vmv1alpha1.WukongTemplateSpec{}, err
		}
		return vmv1alpha1.WukongTemplateSpec{
			Metadata: vmv1alpha1.WukongTemplateMetadata{Labels: templateStrings(w.Labels), Annotations: templateStrings(w.Annotations)},
			Spec:     w.Spec,
		}, nil
	default:
		return vmv1alpha1.WukongTemplateSpec{}, fmt.Errorf("kind %q: want a template (no kind), a WukongSet or a Wukong", kind)
	}
}

func templateStrings(m map[string]string) map[string]vmv1alpha1.TemplateString {
	if m == nil {
		return nil
	}
	out := make(map[string]vmv1alpha1.TemplateString, len(m))
	for k, v := range m {
		out[k] = vmv1alpha1.TemplateString(v)
	}
	return out
}

// BuildWukong renders the template for one member: every expression is compiled first so all syntax errors
// are reported at once, each with its field path.
func BuildWukong(engine *template.Engine, t vmv1alpha1.WukongTemplateSpec, vars template.Vars, owner *metav1.OwnerReference) (*vmv1alpha1.Wukong, error) {
	if err := engine.Check(t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	r, err := engine.Render(t, vars)
	if err != nil {
		return nil, fmt.Errorf("render %s (index %d): %w", vars.Name, vars.Index, err)
	}
	w := &vmv1alpha1.Wukong{
		TypeMeta: metav1.TypeMeta{APIVersion: vmv1alpha1.GroupVersion.String(), Kind: "Wukong"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        vars.Name,
			Namespace:   vars.Namespace,
			Labels:      vmv1alpha1.StringMap(r.Metadata.Labels),
			Annotations: vmv1alpha1.StringMap(r.Metadata.Annotations),
		},
		Spec: r.Spec,
	}
	if owner != nil {
		w.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return w, nil
}

// PodOwnerReference makes the pod an owner of the Wukong without being its controller (a WukongSet is the
// only controller of Wukongs), blocking the pod's foreground deletion until the Wukong is gone.
func PodOwnerReference(pod *corev1.Pod) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         "v1",
		Kind:               "Pod",
		Name:               pod.Name,
		UID:                pod.UID,
		Controller:         ptr.To(false),
		BlockOwnerDeletion: ptr.To(true),
	}
}
