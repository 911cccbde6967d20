package template

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
)

// designTemplate is the design's example: a node-index label and a static address per member.
func designTemplate() v1alpha1.WukongTemplateSpec {
	return v1alpha1.WukongTemplateSpec{
		Metadata: v1alpha1.WukongTemplateMetadata{Labels: map[string]v1alpha1.TemplateString{"node-index": "${INDEX}"}},
		Spec: v1alpha1.WukongSpec{
			CPU:    2,
			Memory: resource.MustParse("4Gi"),
			Networks: []v1alpha1.Network{{
				Name:     "eth0",
				Type:     v1alpha1.NetworkTypeBridge,
				IPConfig: &v1alpha1.IPConfig{Mode: v1alpha1.IPModeStatic, Address: "192.168.1.${INDEX+100}/24"},
			}},
		},
	}
}

func TestRenderDesignExample(t *testing.T) {
	e := newEngine(t)
	for i, want := range []string{"192.168.1.100/24", "192.168.1.101/24", "192.168.1.102/24"} {
		got, err := e.Render(designTemplate(), Vars{Index: int64(i), Name: naming.Member("web", i), Set: "web"})
		if err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
		if label := got.Metadata.Labels["node-index"]; label != v1alpha1.TemplateString([]string{"0", "1", "2"}[i]) {
			t.Errorf("index %d: label node-index = %q", i, label)
		}
		if addr := got.Spec.Networks[0].IPConfig.Address; addr != want {
			t.Errorf("index %d: address = %q, want %q", i, addr, want)
		}
	}
}

// fullTemplate puts a variable in every kind of place a string lives: metadata maps, plain and named-type
// fields, pointers, nested lists, lists of lists and map values deep inside the placement.
func fullTemplate() v1alpha1.WukongTemplateSpec {
	return v1alpha1.WukongTemplateSpec{
		Metadata: v1alpha1.WukongTemplateMetadata{
			Labels:      map[string]v1alpha1.TemplateString{"node-index": "${INDEX}", "tier": "db", "${INDEX}": "keys stay"},
			Annotations: map[string]v1alpha1.TemplateString{"fqdn": "${NAME}.${NAMESPACE}.example.com", "raw": "$${INDEX}"},
		},
		Spec: v1alpha1.WukongSpec{
			CPU:      4,
			Memory:   resource.MustParse("8Gi"),
			Hostname: "${NAME}",
			Disks: []v1alpha1.Disk{{
				Name:             "root",
				Size:             resource.MustParse("20Gi"),
				Image:            "docker://registry/${SET}:v${INDEX % 2}",
				StorageClassName: ptr.To("${INDEX % 2 == 0 ? 'fast' : 'slow'}"),
			}},
			Networks: []v1alpha1.Network{{
				Name:    "eth1",
				NADName: "${NAMESPACE}/lan",
				IPConfig: &v1alpha1.IPConfig{
					Mode:       v1alpha1.IPModeStatic,
					Address:    "10.0.0.${INDEX+10}/24",
					Gateway:    "10.0.0.1",
					DNSServers: []string{"10.0.0.${1+1}", "10.0.1.${REPLICAS}"},
				},
			}},
			User: &v1alpha1.CloudInitUser{
				Name:              "${SET}",
				SSHAuthorizedKeys: []string{"ssh-ed25519 AAAA ${NAME}"},
				Groups:            []string{"wheel", "${SET}-admins"},
			},
			Placement: &v1alpha1.Placement{
				NodeSelector: map[string]v1alpha1.LabelValue{"rack": "r${INDEX / 2}"},
				Tolerations:  []v1alpha1.Toleration{{Key: "dedicated", Value: "${SET}", Effect: corev1.TaintEffectNoSchedule}},
				AntiAffinity: &v1alpha1.AntiAffinity{Selector: &v1alpha1.LabelSelector{
					MatchLabels:      map[string]v1alpha1.LabelValue{"app": "${SET}"},
					MatchExpressions: []v1alpha1.LabelSelectorRequirement{{Key: "k", Operator: "In", Values: []v1alpha1.LabelValue{"${NAME}"}}},
				}},
			},
		},
	}
}

func TestRenderEveryPlace(t *testing.T) {
	want := fullTemplate()
	want.Metadata.Labels = map[string]v1alpha1.TemplateString{"node-index": "3", "tier": "db", "${INDEX}": "keys stay"}
	want.Metadata.Annotations = map[string]v1alpha1.TemplateString{"fqdn": "web-3.prod.example.com", "raw": "${INDEX}"}
	want.Spec.Hostname = "web-3"
	want.Spec.Disks[0].Image = "docker://registry/web:v1"
	want.Spec.Disks[0].StorageClassName = ptr.To("slow")
	want.Spec.Networks[0].NADName = "prod/lan"
	want.Spec.Networks[0].IPConfig.Address = "10.0.0.13/24"
	want.Spec.Networks[0].IPConfig.DNSServers = []string{"10.0.0.2", "10.0.1.5"}
	want.Spec.User.Name = "web"
	want.Spec.User.SSHAuthorizedKeys = []string{"ssh-ed25519 AAAA web-3"}
	want.Spec.User.Groups = []string{"wheel", "web-admins"}
	want.Spec.Placement.NodeSelector = map[string]v1alpha1.LabelValue{"rack": "r1"}
	want.Spec.Placement.Tolerations[0].Value = "web"
	want.Spec.Placement.AntiAffinity.Selector.MatchLabels = map[string]v1alpha1.LabelValue{"app": "web"}
	want.Spec.Placement.AntiAffinity.Selector.MatchExpressions[0].Values = []v1alpha1.LabelValue{"web-3"}

	got, err := newEngine(t).Render(fullTemplate(), web3)
	if err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("Render mismatch\ngot:  %s\nwant: %s", g, w)
	}
}

func TestRenderErrorsNameThePath(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*v1alpha1.WukongTemplateSpec)
		want   string
	}{
		{
			name:   "division by zero",
			modify: func(t *v1alpha1.WukongTemplateSpec) { t.Spec.Hostname = "${NAME.size() / 0}" },
			want:   `spec.hostname: expression "NAME.size() / 0": division by zero`,
		},
		{
			name:   "syntax error in a nested list",
			modify: func(t *v1alpha1.WukongTemplateSpec) { t.Spec.Networks[0].IPConfig.Address = "192.168.1.${INDEX +}/24" },
			want:   `spec.networks[0].ipConfig.address: expression "INDEX +": Syntax error`,
		},
		{
			name:   "non-scalar label",
			modify: func(t *v1alpha1.WukongTemplateSpec) { t.Metadata.Labels["node-index"] = "${[INDEX]}" },
			want:   `metadata.labels[node-index]: expression "[INDEX]": result type list(int)`,
		},
		{
			name: "unterminated in a list of a list",
			modify: func(t *v1alpha1.WukongTemplateSpec) {
				t.Spec.Networks[0].IPConfig.DNSServers = []string{"10.0.0.1", "10.0.0.${INDEX"}
			},
			want: `spec.networks[0].ipConfig.dnsServers[1]: unterminated "${" at offset 7`,
		},
		{
			name: "annotation",
			modify: func(t *v1alpha1.WukongTemplateSpec) {
				t.Metadata.Annotations = map[string]v1alpha1.TemplateString{"vm.example.com/owner": "${OWNER}"}
			},
			want: `metadata.annotations[vm.example.com/owner]: expression "OWNER": undeclared reference`,
		},
		{
			name: "toleration",
			modify: func(t *v1alpha1.WukongTemplateSpec) {
				t.Spec.Placement = &v1alpha1.Placement{Tolerations: []v1alpha1.Toleration{{Key: "k", Value: "${}"}}}
			},
			want: `spec.placement.tolerations[0].value: empty expression`,
		},
	}
	e := newEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := designTemplate()
			tt.modify(&tmpl)
			_, err := e.Render(tmpl, web3)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Render error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestCheckReportsEveryError(t *testing.T) {
	tmpl := fullTemplate()
	tmpl.Metadata.Labels["bad"] = "${INDEX +}"
	tmpl.Spec.Hostname = "${NAME + 1}-${FOO}"        // two errors in one string
	tmpl.Spec.User.Groups[1] = "${SET"               // unterminated
	tmpl.Spec.Networks[0].IPConfig.Gateway = "${{}}" // a map cannot be rendered
	tmpl.Spec.Disks[0].Image = "${INDEX / 0}"        // fails only when evaluated: not Check's business

	err := newEngine(t).Check(tmpl)
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Check error = %v (%T), want an ErrorList", err, err)
	}
	want := []string{
		`metadata.labels[bad]: expression "INDEX +": Syntax error`,
		`spec.networks[0].ipConfig.gateway: expression "{}": result type map(dyn, dyn)`,
		`spec.user.groups[1]: unterminated "${" at offset 0`,
		`spec.hostname: expression "NAME + 1": found no matching overload`,
		`spec.hostname: expression "FOO": undeclared reference to 'FOO'`,
	} // in field declaration order
	if len(list) != len(want) {
		t.Fatalf("Check found %d errors, want %d: %v", len(list), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(list[i].Error(), w) {
			t.Errorf("error %d = %q, want prefix %q", i, list[i], w)
		}
	}
	if !strings.Contains(err.Error(), "; ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("ErrorList message %q should be one line joined by \"; \"", err)
	}
}

func TestCheckValid(t *testing.T) {
	e := newEngine(t)
	for name, tmpl := range map[string]v1alpha1.WukongTemplateSpec{
		"design": designTemplate(),
		"full":   fullTemplate(),
		"empty":  {},
	} {
		if err := e.Check(tmpl); err != nil {
			t.Errorf("%s: Check = %v, want nil", name, err)
		}
	}
}

func TestRenderDoesNotModifyInput(t *testing.T) {
	in := fullTemplate()
	before := in.DeepCopy()
	out, err := newEngine(t).Render(in, web3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&in, before) {
		t.Errorf("Render modified its input")
	}
	// The output shares nothing with the input either.
	out.Metadata.Labels["node-index"] = "changed"
	out.Spec.Networks[0].IPConfig.DNSServers[0] = "changed"
	if !reflect.DeepEqual(&in, before) {
		t.Errorf("Render's output aliases its input")
	}
}

func TestRenderWithoutVariablesIsACopy(t *testing.T) {
	in := fullTemplate()
	in.Metadata = v1alpha1.WukongTemplateMetadata{Labels: map[string]v1alpha1.TemplateString{"a": "b"}}
	in.Spec = v1alpha1.WukongSpec{CPU: 1, Memory: resource.MustParse("1Gi"), Disks: []v1alpha1.Disk{}}
	out, err := newEngine(t).Render(in, web3)
	if err != nil {
		t.Fatal(err)
	}
	// Exact equality, including an empty but non-nil list, which a JSON round trip would have lost.
	if !reflect.DeepEqual(out, in) {
		t.Errorf("Render = %+v, want %+v", out, in)
	}
}

// BenchmarkRender renders a realistic template; -benchtime 1000x is one 1,000-member set.
func BenchmarkRender(b *testing.B) {
	e := newEngine(b)
	tmpl := fullTemplate()
	vars := Vars{Set: "web", Namespace: "prod", Replicas: 1000}
	for b.Loop() {
		vars.Name = naming.Member(vars.Set, int(vars.Index))
		if _, err := e.Render(tmpl, vars); err != nil {
			b.Fatal(err)
		}
		vars.Index = (vars.Index + 1) % vars.Replicas
	}
}
