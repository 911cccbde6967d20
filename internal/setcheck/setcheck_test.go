package setcheck

import (
	"context"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/setcheck/membercheck"
	"github.com/novasphere/wukong/internal/template"
)

func sample(t testing.TB, edit func(*vmv1alpha1.WukongSet)) *vmv1alpha1.WukongSet {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", "vm_v1alpha1_wukongset_variables.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set := &vmv1alpha1.WukongSet{}
	if err := yaml.UnmarshalStrict(raw, set); err != nil {
		t.Fatal(err)
	}
	set.Namespace = "default"
	edit(set)
	defaulted, errs := Defaulted(context.Background(), set)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return defaulted
}

func renderer(t testing.TB) *setmember.Renderer {
	t.Helper()
	e, err := template.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	return &setmember.Renderer{Engine: e}
}

// TestCRDRulesReadOnlyNameLength guards the shortcut of membercheck.Check: members with the same spec are
// validated in full only at the first and the longest-named member, which is exact only while no CEL rule of the Wukong CRD reads
// the metadata beyond the length of the name (the longest name is the last index's).
func TestCRDRulesReadOnlyNameLength(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "crdschema", crdschema.WukongFile))
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`(?m)^\s*(?:- )?rule: (.*)$`)
	for _, m := range rule.FindAllStringSubmatch(string(raw), -1) {
		if strings.Contains(m[1], "metadata") && strings.TrimSpace(m[1]) != "self.metadata.name.size() <= 63" {
			t.Errorf("the Wukong CRD rule %q reads the metadata: membercheck.Check must validate every member in full", m[1])
		}
	}
}

// TestClassesMatchFullValidation: the problems Members finds with its classes are the ones validating every
// member in full finds.
func TestClassesMatchFullValidation(t *testing.T) {
	r := renderer(t)
	for name, edit := range map[string]func(*vmv1alpha1.WukongSet){
		"valid": func(*vmv1alpha1.WukongSet) {},
		"same spec, bad label 5": func(s *vmv1alpha1.WukongSet) {
			s.Spec.Template.Spec.Networks[0].IPConfig.Address = "192.168.1.10/24"
			s.Spec.Template.Metadata.Labels["node-index"] = vmv1alpha1.TemplateString("${INDEX == 5 ? '" + strings.Repeat("x", 64) + "' : 'a'}")
		},
		"same spec, all invalid": func(s *vmv1alpha1.WukongSet) {
			s.Spec.Template.Spec.Networks[0].IPConfig.Address = "192.168.1.${SET.size() * 100}/24"
		},
		"invalid from index 156": func(*vmv1alpha1.WukongSet) {},
		// The operator's hostname is each member's name, so a fixed hostname in user data contradicts it
		// at every index, although the spec is the same: checked per member, never copied across a class.
		"user data hostname": func(s *vmv1alpha1.WukongSet) {
			s.Spec.Template.Spec.Networks[0].IPConfig.Address = "192.168.1.10/24"
			s.Spec.Template.Spec.CloudInit = &vmv1alpha1.CloudInit{UserData: "#cloud-config\nhostname: fixed\n"}
		},
		"user data network key at index 7": func(s *vmv1alpha1.WukongSet) {
			s.Spec.Template.Spec.CloudInit = &vmv1alpha1.CloudInit{
				UserData: "#cloud-config\n${INDEX == 7 ? 'network: {}' : 'runcmd: [[echo, hi]]'}\n",
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			set := sample(t, func(s *vmv1alpha1.WukongSet) { s.Spec.Replicas = ptr.To[int32](200); edit(s) })
			_, got := Members(t.Context(), r, set, Options{})
			var want []string
			for i := range 200 {
				m, err := r.Member(set, set.Spec.Template, i, setmember.Revision(set), false)
				if err != nil {
					t.Fatal(err)
				}
				m.OwnerReferences = nil
				for _, e := range membercheck.Validate(t.Context(), m) {
					want = append(want, Problem{Member: m.Name, Index: i, Field: e}.Error())
				}
			}
			if fmt.Sprint(problemStrings(got)) != fmt.Sprint(want) {
				t.Errorf("Members found\n%v\nvalidating every member finds\n%v", problemStrings(got), want)
			}
			if name != "valid" && len(want) == 0 {
				t.Error("the case is valid")
			}
		})
	}
}

func problemStrings(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}

// BenchmarkMembers10k measures the webhook's work for the largest set the CRD allows: a spec that differs
// per member (an address per INDEX) and one that differs only in labels.
func BenchmarkMembers10k(b *testing.B) {
	r := renderer(b)
	for name, edit := range map[string]func(*vmv1alpha1.WukongSet){
		"address per index": func(s *vmv1alpha1.WukongSet) {
			s.Spec.Template.Spec.Networks[0].IPConfig.Address = "10.${INDEX / 256}.${INDEX % 256}.1/8"
		},
		"labels per index": func(s *vmv1alpha1.WukongSet) {
			s.Spec.Template.Spec.Networks[0].IPConfig.Address = "10.0.0.1/8"
		},
	} {
		set := sample(b, func(s *vmv1alpha1.WukongSet) { s.Spec.Replicas = ptr.To[int32](10000); edit(s) })
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, ps := Members(context.Background(), r, set, Options{}); len(ps) > 0 {
					b.Fatal(ps[0])
				}
			}
		})
	}
}
