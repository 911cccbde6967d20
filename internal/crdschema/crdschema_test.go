package crdschema

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// TestEmbeddedCRDsMatchConfig is the drift check: the embedded copies must equal config/crd/bases, which
// controller-gen writes. `make manifests` copies them; run it when this fails.
func TestEmbeddedCRDsMatchConfig(t *testing.T) {
	for _, f := range Files {
		embedded, err := crds.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		source, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(embedded, source) {
			t.Errorf("internal/crdschema/%s differs from config/crd/bases/%s; run `make manifests`", f, f)
		}
	}
}

const validWukong = `
apiVersion: vm.novasphere.dev/v1alpha1
kind: Wukong
metadata:
  name: vm-0
  namespace: default
spec:
  cpu: 2
  memory: 4Gi
  networks:
  - name: eth0
    ipConfig:
      mode: static
      address: 192.168.1.10/24
  disks:
  - name: system
    size: 20Gi
    image: docker://quay.io/kubevirt/ubuntu:22.04
`

// TestWukong checks that the offline validator reports what the apiserver reports: schema bounds, enums and
// patterns, CEL rules on fields and on the root, list-map keys and metadata, each with its field path.
func TestWukong(t *testing.T) {
	s, err := Wukong()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		edit    func(obj map[string]any)
		wantErr string // substring of the joined errors; empty means valid
	}{
		{name: "valid"},
		{name: "cpu above maximum", edit: func(o map[string]any) { spec(o)["cpu"] = int64(1000) },
			wantErr: "spec.cpu: Invalid value: 1000: spec.cpu in body should be less than or equal to 512"},
		{name: "enum", edit: func(o map[string]any) { spec(o)["runStrategy"] = "Sometimes" },
			wantErr: `spec.runStrategy: Unsupported value: "Sometimes"`},
		{name: "pattern", edit: func(o map[string]any) { disk(o)["name"] = "System" },
			wantErr: "spec.disks[0].name: Invalid value: \"System\": spec.disks[0].name in body should match"},
		{name: "CEL on a field", edit: func(o map[string]any) { ipConfig(o)["address"] = "10.0.0.256/24" },
			wantErr: `spec.networks[0].ipConfig.address: Invalid value: "10.0.0.256/24": address must be an IP address with a prefix length`},
		{name: "CEL on an object uses the default mode", edit: func(o map[string]any) { delete(ipConfig(o), "mode") },
			wantErr: "spec.networks[0].ipConfig: Invalid value: address and gateway must be empty when mode is dhcp"},
		{name: "CEL against template variables in a Wukong", edit: func(o map[string]any) { ipConfig(o)["address"] = "10.0.0.${INDEX}/24" },
			wantErr: "spec.networks: Invalid value: networks: template variables"},
		{name: "CEL on the root", edit: func(o map[string]any) { meta(o)["name"] = strings.Repeat("a", 64) },
			wantErr: "metadata.name must be at most 63 characters"},
		{name: "metadata", edit: func(o map[string]any) { meta(o)["labels"] = map[string]any{"node-index": "not valid!"} },
			wantErr: `metadata.labels: Invalid value: "not valid!"`},
		{name: "list map key", edit: func(o map[string]any) {
			spec(o)["disks"] = append(spec(o)["disks"].([]any), map[string]any{"name": "system", "size": "1Gi"})
		}, wantErr: `spec.disks[1]: Duplicate value: {"name":"system"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var obj map[string]any
			if err := decodeYAML([]byte(validWukong), &obj); err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(obj)
			}
			s.Default(obj)
			errs := s.Validate(t.Context(), obj)
			got := errs.ToAggregate()
			switch {
			case tc.wantErr == "" && got != nil:
				t.Fatalf("want valid, got %v", got)
			case tc.wantErr != "" && got == nil:
				t.Fatalf("want an error containing %q, got none", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(got.Error(), tc.wantErr):
				t.Fatalf("want an error containing %q, got %v", tc.wantErr, got)
			}
		})
	}
}

// TestWukongSetDefaults checks that defaulting reaches into the template, as the apiserver's does: the
// controller renders members from the stored, defaulted set.
func TestWukongSetDefaults(t *testing.T) {
	s, err := WukongSet()
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := decodeYAML([]byte(`
apiVersion: vm.novasphere.dev/v1alpha1
kind: WukongSet
metadata: {name: web, namespace: default}
spec:
  template:
    spec: {cpu: 1, memory: 1Gi, networks: [{name: eth0}]}
`), &obj); err != nil {
		t.Fatal(err)
	}
	s.Default(obj)
	if errs := s.Validate(t.Context(), obj); len(errs) > 0 {
		t.Fatalf("valid set rejected: %v", errs.ToAggregate())
	}
	tmpl := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	if got := obj["spec"].(map[string]any)["replicas"]; got != int64(1) && got != float64(1) {
		t.Errorf("spec.replicas defaulted to %v (%T), want 1", got, got)
	}
	if got := tmpl["runStrategy"]; got != "Always" {
		t.Errorf("template runStrategy defaulted to %v, want Always", got)
	}
	if got := tmpl["networks"].([]any)[0].(map[string]any)["type"]; got != "bridge" {
		t.Errorf("template network type defaulted to %v, want bridge", got)
	}
}

func meta(o map[string]any) map[string]any { return o["metadata"].(map[string]any) }
func spec(o map[string]any) map[string]any { return o["spec"].(map[string]any) }
func disk(o map[string]any) map[string]any { return spec(o)["disks"].([]any)[0].(map[string]any) }
func ipConfig(o map[string]any) map[string]any {
	return spec(o)["networks"].([]any)[0].(map[string]any)["ipConfig"].(map[string]any)
}

// decodeYAML decodes a manifest as the apiserver does: integers stay int64 (sigs.k8s.io/yaml's float64 would
// fail the CRD's CEL rules, which read integers, where the apiserver would not).
func decodeYAML(raw []byte, obj *map[string]any) error {
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return err
	}
	return utiljson.Unmarshal(js, obj)
}
