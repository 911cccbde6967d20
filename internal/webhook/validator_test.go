package webhook

import (
	"github.com/novasphere/wukong/internal/setmember"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/setcheck"
	"github.com/novasphere/wukong/internal/template"
)

// baseSet is design example 6.3 with a hostname, an image with credentials and a label: fields the docs say
// may hold variables.
const baseSet = `apiVersion: vm.novasphere.dev/v1alpha1
kind: WukongSet
metadata:
  name: cluster-nodes
  namespace: default
spec:
  replicas: 3
  template:
    metadata:
      labels:
        node-index: "${INDEX}"
    spec:
      cpu: 4
      memory: 8Gi
      hostname: "node-${INDEX}"
      networks:
      - name: eth0
        type: bridge
        ipConfig:
          mode: static
          address: "192.168.1.${INDEX+100}/24"
      disks:
      - name: system
        size: 50Gi
        image: "https://robot:s3cr3t@images.example.com/ubuntu-22.04.qcow2"
`

// decodeSet decodes a set and defaults it as the apiserver does before admission.
func decodeSet(t *testing.T, doc string) *vmv1alpha1.WukongSet {
	t.Helper()
	var set vmv1alpha1.WukongSet
	if err := yaml.UnmarshalStrict([]byte(doc), &set); err != nil {
		t.Fatal(err)
	}
	defaulted, errs := setcheck.Defaulted(t.Context(), &set)
	if len(errs) > 0 {
		t.Fatalf("the WukongSet CRD refuses the test set: %v", errs)
	}
	return defaulted
}

func newValidator(t *testing.T) *Validator {
	t.Helper()
	engine, err := template.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	return &Validator{Renderer: &setmember.Renderer{Engine: engine}}
}

// TestValidate: syntax errors and unknown variables are refused with the template field and the expression;
// valid expressions (spaces, ternaries, arithmetic) are accepted in every field that may hold them, images
// included; a value that renders invalid at one index is refused naming that member, its index, the field
// and the expression; credentials in URLs never appear in a message.
func TestValidate(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name    string
		from    string // replaced in baseSet ...
		to      string // ... by this
		want    []string
		notWant []string
	}{
		{name: "valid", from: "", to: ""},
		{
			name: "syntax error", from: `"node-${INDEX}"`, to: `"node-${INDEX+}"`,
			want: []string{`spec.template.spec.hostname: Invalid value: "${INDEX+}": Syntax error`},
		},
		{
			name: "unknown variable", from: `"node-${INDEX}"`, to: `"node-${FOO}"`,
			want: []string{`spec.template.spec.hostname: Invalid value: "${FOO}": undeclared reference to 'FOO'`},
		},
		{
			name: "unknown variable in a label", from: `"${INDEX}"`, to: `"${index}"`,
			want: []string{`spec.template.metadata.labels[node-index]: Invalid value: "${index}": undeclared reference to 'index'`},
		},
		{
			name: "ternary with spaces in an image", from: `"https://robot:s3cr3t@images.example.com/ubuntu-22.04.qcow2"`,
			to: `"docker://quay.io/kubevirt/ubuntu:${INDEX % 2 == 0 ? '22.04' : '24.04'}"`,
		},
		{name: "arithmetic", from: `"node-${INDEX}"`, to: `"node-${INDEX+100}"`},
		{name: "arithmetic with spaces and strings", from: `"node-${INDEX}"`, to: `"${SET + '-' + string(INDEX * 2 + 1)}"`},
		{
			name: "invalid at index 2 only", from: `"192.168.1.${INDEX+100}/24"`, to: `"10.0.0.${INDEX+254}/24"`,
			want: []string{
				`spec.template.spec.networks[0].ipConfig.address: Invalid value: "10.0.0.256/24": member cluster-nodes-2 (index 2):`,
				`(rendered from "10.0.0.${INDEX+254}/24")`,
			},
			notWant: []string{"cluster-nodes-0", "cluster-nodes-1"},
		},
		{
			name: "evaluation error at index 1", from: `"node-${INDEX}"`, to: `"node-${100 / (INDEX - 1)}"`,
			want:    []string{`spec.template.spec.hostname: Invalid value: "${100 / (INDEX - 1)}": member cluster-nodes-1 (index 1): division by zero`},
			notWant: []string{"cluster-nodes-0", "cluster-nodes-2"},
		},
		{
			name: "a label rendered too long at index 2", from: `"${INDEX}"`, to: `"${INDEX == 2 ? '` + strings.Repeat("x", 64) + `' : string(INDEX)}"`,
			want: []string{"spec.template.metadata.labels: Invalid value:", "member cluster-nodes-2 (index 2):", "must be no more than 63 bytes"},
		},
		{
			name: "credentials in an image with a syntax error", from: `ubuntu-22.04.qcow2"`, to: `ubuntu-${INDEX+}.qcow2"`,
			want:    []string{`spec.template.spec.disks[0].image: Invalid value: "${INDEX+}": Syntax error`},
			notWant: []string{"s3cr3t"},
		},
		{
			name: "credentials in an image that renders invalid", from: `ubuntu-22.04.qcow2"`, to: `${INDEX == 1 ? 'ubuntu 22.04' : 'ubuntu'}.qcow2"`,
			want: []string{"spec.template.spec.disks[0].image: Invalid value:", "member cluster-nodes-1 (index 1)",
				"robot:" + "xxxxx" + "@images.example.com"},
			notWant: []string{"s3cr3t"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(baseSet, tc.from, tc.to, 1)
			if tc.from != "" && doc == baseSet {
				t.Fatalf("%q is not in the base set", tc.from)
			}
			errs := v.Validate(t.Context(), decodeSet(t, doc))
			msg := errs.ToAggregate()
			if len(tc.want) == 0 {
				if len(errs) > 0 {
					t.Fatalf("refused: %v", msg)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(msg.Error(), w) {
					t.Errorf("message lacks %q:\n%v", w, msg)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(msg.Error(), w) {
					t.Errorf("message contains %q:\n%v", w, msg)
				}
			}
		})
	}
}

// TestValidateBoundsTheMessage: a template broken for every member of a large set is refused with a few
// causes and a count, not ten thousand.
func TestValidateBoundsTheMessage(t *testing.T) {
	set := decodeSet(t, strings.NewReplacer(`"192.168.1.${INDEX+100}/24"`, `"10.0.${INDEX}.300/24"`, "replicas: 3", "replicas: 200").Replace(baseSet))
	errs := newValidator(t).Validate(t.Context(), set)
	if len(errs) != maxReportedProblems+1 {
		t.Fatalf("%d errors, want %d and a count", len(errs), maxReportedProblems+1)
	}
	if last := errs[len(errs)-1].Error(); !strings.Contains(last, "190 more problems not shown") {
		t.Errorf("last error %q, want the count of the rest", last)
	}
}

// TestLookup follows field paths through a template's JSON form.
func TestLookup(t *testing.T) {
	tmpl := templateMap(decodeSet(t, baseSet))
	for path, want := range map[string]any{
		"spec.networks[0].ipConfig.address": "192.168.1.${INDEX+100}/24",
		"metadata.labels[node-index]":       "${INDEX}",
		"spec.hostname":                     "node-${INDEX}",
		"spec.networks[1].name":             nil,
		"spec.cpu.x":                        nil,
		"spec.networks[x]":                  nil,
	} {
		if got := lookup(tmpl, path); got != want {
			t.Errorf("lookup(%s) = %v, want %v", path, got, want)
		}
	}
}
