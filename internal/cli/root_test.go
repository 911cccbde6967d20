package cli

import (
	"slices"
	"testing"

	"github.com/spf13/cobra"
)

func TestDisplayName(t *testing.T) {
	for argv0, want := range map[string]string{
		"wukong":                       "wukong",
		"/usr/local/bin/wukong":        "wukong",
		"./bin/kubectl-wukong":         "kubectl wukong",
		"/opt/bin/kubectl-wukong.exe":  "kubectl wukong",
		"/home/me/bin/kubectl-wu_kong": "kubectl wu-kong",
		"wukong-renamed":               "wukong",
	} {
		if got := DisplayName(argv0); got != want {
			t.Errorf("DisplayName(%q) = %q; want %q", argv0, got, want)
		}
	}
}

// TestAcceptGoFlagSyntax covers the forms the standard library's flag package took, which commands marked
// with AnnotationGoFlagSyntax keep accepting, and the arguments that must pass through untouched.
func TestAcceptGoFlagSyntax(t *testing.T) {
	var s string
	var b bool
	legacy := &cobra.Command{Use: "legacy", Annotations: map[string]string{AnnotationGoFlagSyntax: "true"}, Run: func(*cobra.Command, []string) {}}
	legacy.Flags().StringVar(&s, "template", "", "")
	legacy.Flags().StringVarP(&s, "filename", "f", "", "")
	legacy.Flags().BoolVar(&b, "validate-only", false, "")
	modern := &cobra.Command{Use: "modern", Run: func(*cobra.Command, []string) {}}
	modern.Flags().StringVar(&s, "template", "", "")
	root := &cobra.Command{Use: "wukong"}
	root.AddCommand(legacy, modern)

	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"long flag after one dash", []string{"legacy", "-template=x", "-template", "y"}, []string{"legacy", "--template=x", "--template", "y"}},
		{"bool flag takes no value", []string{"legacy", "-validate-only", "-template", "x"}, []string{"legacy", "--validate-only", "--template", "x"}},
		{"shorthand after two dashes", []string{"legacy", "--f", "set.yaml", "--f=other.yaml"}, []string{"legacy", "-f", "set.yaml", "-f=other.yaml"}},
		{"pflag syntax unchanged", []string{"legacy", "--template", "x", "-f", "set.yaml", "-fset.yaml"}, []string{"legacy", "--template", "x", "-f", "set.yaml", "-fset.yaml"}},
		{"a value that looks like a flag", []string{"legacy", "-template", "-validate-only"}, []string{"legacy", "--template", "-validate-only"}},
		{"unknown flags are left for pflag to report", []string{"legacy", "-templat", "--templat"}, []string{"legacy", "-templat", "--templat"}},
		{"after --", []string{"legacy", "--", "-template"}, []string{"legacy", "--", "-template"}},
		{"unmarked command", []string{"modern", "-template", "x"}, []string{"modern", "-template", "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := acceptGoFlagSyntax(root, tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}
