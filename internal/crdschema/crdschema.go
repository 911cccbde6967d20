// Package crdschema checks Wukong and WukongSet objects against their CustomResourceDefinitions without an
// apiserver, with the apiserver's own code: defaulting, the OpenAPI schema (types, enums, bounds, patterns),
// list-type invariants, object metadata and the x-kubernetes-validations CEL rules. `wukong render` uses it
// so that a template can be checked on a laptop exactly as the cluster would check it.
//
// The CRDs are embedded, so the binary needs no checkout at run time. The YAML files next to this file are
// copies of config/crd/bases that `make manifests` refreshes; a test fails when they drift.
package crdschema

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// Files are the embedded CRD files, named as in config/crd/bases.
var Files = []string{WukongFile, WukongSetFile}

// File names of the embedded CRDs.
const (
	WukongFile    = "vm.novasphere.dev_wukongs.yaml"
	WukongSetFile = "vm.novasphere.dev_wukongsets.yaml"
)

//go:embed vm.novasphere.dev_wukongs.yaml vm.novasphere.dev_wukongsets.yaml
var crds embed.FS

// Schema is one kind's schema at the served version, ready to default and validate objects.
type Schema struct {
	kind       string
	apiVersion string
	namespaced bool
	structural *structuralschema.Structural
	openAPI    apiextensionsvalidation.SchemaValidator
	cel        *cel.Validator
}

var (
	wukong    = sync.OnceValues(func() (*Schema, error) { return load(WukongFile) })
	wukongSet = sync.OnceValues(func() (*Schema, error) { return load(WukongSetFile) })
)

// Wukong is the schema of the Wukong kind; it is built once and shared.
func Wukong() (*Schema, error) { return wukong() }

// WukongSet is the schema of the WukongSet kind; it is built once and shared.
func WukongSet() (*Schema, error) { return wukongSet() }

// load builds a Schema the way the apiserver's CRD handler does for the version this module's types use.
func load(file string) (*Schema, error) {
	raw, err := crds.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
		return nil, fmt.Errorf("decode embedded CRD %s: %w", file, err)
	}
	version := vmv1alpha1.GroupVersion.Version
	var v1Validation *apiextensionsv1.CustomResourceValidation
	for _, v := range crd.Spec.Versions {
		if v.Name == version {
			v1Validation = v.Schema
		}
	}
	if v1Validation == nil || v1Validation.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("embedded CRD %s has no schema for version %s", file, version)
	}
	var internal apiextensionsinternal.CustomResourceValidation
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v1Validation, &internal, nil); err != nil {
		return nil, fmt.Errorf("convert schema of %s: %w", file, err)
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("structural schema of %s: %w", file, err)
	}
	// As the apiserver does: defaults that pruning would remove are dropped before they are applied.
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, fmt.Errorf("prune defaults of %s: %w", file, err)
	}
	openAPI, _, err := apiextensionsvalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("OpenAPI validator of %s: %w", file, err)
	}
	return &Schema{
		kind:       crd.Spec.Names.Kind,
		apiVersion: crd.Spec.Group + "/" + version,
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		structural: s,
		openAPI:    openAPI,
		cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
	}, nil
}

// ToMap turns a typed object into the JSON form the apiserver validates: decoded from its JSON, without
// status (the status subresource ignores it on create).
func ToMap(obj runtime.Object) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	// The apimachinery decoder keeps integers as int64, as the apiserver's does; encoding/json's float64 would
	// fail int-or-string and integer checks.
	var m map[string]any
	if err := utiljson.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	return m, nil
}

// DecodeStrict decodes YAML (or JSON) into v as the apiserver's strict field validation does: every unknown
// or duplicate field is an error that gives its full path, such as unknown field "spec.cpus".
func DecodeStrict(raw []byte, v any) error {
	data, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(data, v)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// FromMap decodes the JSON form back into a typed object.
func FromMap(m map[string]any, obj runtime.Object) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, obj)
}

// Default fills in the schema's defaults in place, as the apiserver does before storing an object.
func (s *Schema) Default(obj map[string]any) {
	structuraldefaulting.Default(obj, s.structural)
}

// Validate returns what the apiserver would reject obj for on create, field paths included. Call Default
// first, as the apiserver defaults before it validates. CEL rules run only when the object has no error that
// makes them meaningless (a missing required field, a wrong type), again as the apiserver does.
func (s *Schema) Validate(ctx context.Context, obj map[string]any) field.ErrorList {
	var errs field.ErrorList
	if kind, _ := obj["kind"].(string); kind != s.kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), kind, "must be "+s.kind))
	}
	if av, _ := obj["apiVersion"].(string); av != s.apiVersion {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), av, "must be "+s.apiVersion))
	}
	errs = append(errs, s.validateMetadata(obj)...)
	errs = append(errs, apiextensionsvalidation.ValidateCustomResource(nil, obj, s.openAPI)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, obj, s.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, s.structural, obj)...)
	if blocking(errs) {
		return append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	}
	celErrs, _ := s.cel.Validate(ctx, nil, s.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

func (s *Schema) validateMetadata(obj map[string]any) field.ErrorList {
	path := field.NewPath("metadata")
	raw, ok := obj["metadata"].(map[string]any)
	if !ok {
		return field.ErrorList{field.Required(path, "")}
	}
	var meta metav1.ObjectMeta
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &meta); err != nil {
		return field.ErrorList{field.Invalid(path, nil, err.Error())}
	}
	return metavalidation.ValidateObjectMeta(&meta, s.namespaced, metavalidation.NameIsDNSSubdomain, path)
}

// blocking mirrors the apiserver: these errors mean CEL rules would see an object of the wrong shape.
func blocking(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany,
			field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
