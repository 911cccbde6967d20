package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cli"
	"github.com/novasphere/wukong/internal/controller/wukongset"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/setcheck"
	"github.com/novasphere/wukong/internal/template"
)

const renderLong = `Prints the members the WukongSets in a file would produce, every template variable rendered, without a
cluster. Members are rendered by the controller's own renderer (same names, labels and revision label) from
the set as the apiserver would store it (CRD defaults applied), then each is checked offline against the
Wukong CRD embedded in this binary: OpenAPI schema (types, enums, bounds, patterns), list keys, metadata
and the x-kubernetes-validations CEL rules. The set itself is checked against the WukongSet CRD first.

Output is a YAML stream of Wukongs (-o yaml, without the owner reference, which needs the set's UID) or a
table (-o table: NAME, LABELS without the operator's set/index/revision labels, IP addresses). When any
member is invalid nothing is printed on stdout, as the controller creates nothing then; each problem is
printed on stderr as "member <name> (index <i>): <field>: <error>" and the exit code is 1.`

// maxReportedErrors bounds the problems printed for one set: a mistake in the template usually breaks every
// member the same way, and ten thousand identical lines help nobody.
const maxReportedErrors = 50

type renderOptions struct {
	file         string
	output       string
	namespace    string
	validateOnly bool
}

func newRenderCommand() *cobra.Command {
	var o renderOptions
	cmd := &cobra.Command{
		Use:   "render -f set.yaml [-o yaml|table] [--validate-only]",
		Short: "Print the members a WukongSet would produce, validated offline",
		Long:  renderLong,
		Example: `  wukong render -f config/samples/vm_v1alpha1_wukongset_variables.yaml -o table
  wukong render -f set.yaml --validate-only`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected argument %q; name the file with -f", args[0])
			}
			return nil
		},
		Annotations: map[string]string{cli.AnnotationGoFlagSyntax: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return runRender(o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.file, "filename", "f", "", "file holding one or more WukongSets (YAML, documents separated by ---); - reads stdin")
	fs.StringVarP(&o.output, "output", "o", "yaml", "output format: yaml or table")
	fs.StringVar(&o.namespace, "namespace", "default", "namespace assumed for a set that names none (the value of ${NAMESPACE})")
	fs.BoolVar(&o.validateOnly, "validate-only", false, "print only a summary line per set")
	return cmd
}

func (o renderOptions) validate() error {
	if o.file == "" {
		return errors.New("-f is required: the file holding the WukongSet")
	}
	if o.output != "yaml" && o.output != "table" {
		return fmt.Errorf("-o %q: want yaml or table", o.output)
	}
	return nil
}

func runRender(o renderOptions, stdout, stderr io.Writer) error {
	var (
		raw []byte
		err error
	)
	if o.file == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(o.file)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", o.file, err)
	}
	return render(context.Background(), raw, o, stdout, stderr)
}

// render does the work of the render command on a file's contents, writing the output to stdout and the
// problems to stderr; it returns an error when any set or member is invalid.
func render(ctx context.Context, raw []byte, o renderOptions, stdout, stderr io.Writer) error {
	sets, err := decodeSets(raw, o.namespace)
	if err != nil {
		return fmt.Errorf("%s: %w", o.file, err)
	}
	engine, err := template.NewEngine()
	if err != nil {
		return err
	}
	renderer := &wukongset.Renderer{Engine: engine}
	var (
		out     bytes.Buffer
		invalid []string
	)
	table := tabwriter.NewWriter(&out, 0, 4, 2, ' ', 0)
	if o.output == "table" && !o.validateOnly {
		fmt.Fprintln(table, "NAME\tLABELS\tIP ADDRESSES")
	}
	for _, set := range sets {
		members, problems := renderSet(ctx, renderer, set)
		if len(problems) > 0 {
			for i, p := range problems {
				if i == maxReportedErrors {
					fmt.Fprintf(stderr, "... and %d more problems\n", len(problems)-i)
					break
				}
				fmt.Fprintln(stderr, p)
			}
			invalid = append(invalid, set.Name)
			continue
		}
		switch {
		case o.validateOnly:
			fmt.Fprintf(&out, "WukongSet %s/%s: %d members valid\n", set.Namespace, set.Name, len(members))
		case o.output == "table":
			for _, m := range members {
				fmt.Fprintf(table, "%s\t%s\t%s\n", m.Name, userLabels(m.Labels), addresses(m))
			}
		default:
			for _, m := range members {
				doc, err := memberYAML(m)
				if err != nil {
					return err
				}
				out.WriteString("---\n")
				out.Write(doc)
			}
		}
	}
	if len(invalid) > 0 {
		return fmt.Errorf("invalid WukongSet %s: the controller would create no member", strings.Join(invalid, ", "))
	}
	if err := table.Flush(); err != nil {
		return err
	}
	_, err = stdout.Write(out.Bytes())
	return err
}

// decodeSets reads every WukongSet in a YAML stream, strictly (a misspelt field is an error, as with
// `kubectl apply --validate=strict`), and gives a set without a namespace the assumed one.
func decodeSets(raw []byte, namespace string) ([]*vmv1alpha1.WukongSet, error) {
	var sets []*vmv1alpha1.WukongSet
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for doc := 1; ; doc++ {
		chunk, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		var head map[string]any
		if err := yaml.Unmarshal(chunk, &head); err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if len(head) == 0 {
			continue
		}
		if kind, _ := head["kind"].(string); kind != "WukongSet" {
			return nil, fmt.Errorf("document %d: kind %q: render takes WukongSets", doc, kind)
		}
		var set vmv1alpha1.WukongSet
		if err := decodeStrict(chunk, &set); err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if set.Namespace == "" {
			set.Namespace = namespace
		}
		sets = append(sets, &set)
	}
	if len(sets) == 0 {
		return nil, errors.New("no WukongSet found")
	}
	return sets, nil
}

// renderSet renders every member of set as the controller would create it (internal/setcheck, the same
// code the admission webhook runs), and returns the members or, when the set or any member is invalid, every
// problem found, each naming the set or member and the field. The set is first defaulted and validated
// against the WukongSet CRD, as the apiserver does before the controller ever sees it.
func renderSet(ctx context.Context, renderer *wukongset.Renderer, set *vmv1alpha1.WukongSet) ([]*vmv1alpha1.Wukong, []string) {
	prefix := fmt.Sprintf("WukongSet %s", set.Name)
	defaulted, errs := setcheck.Defaulted(ctx, set)
	if len(errs) > 0 {
		out := make([]string, len(errs))
		for i, e := range errs {
			out[i] = prefix + ": " + e.Error()
		}
		return nil, out
	}
	members, problems := setcheck.Members(ctx, renderer, defaulted, setcheck.Options{KeepMembers: true})
	out := make([]string, len(problems))
	for i, p := range problems {
		if p.Member == "" {
			out[i] = prefix + ": " + p.Error()
		} else {
			out[i] = p.Error()
		}
	}
	return members, out
}

// memberYAML is the member as the controller sends it, without the empty status and creation timestamp.
func memberYAML(m *vmv1alpha1.Wukong) ([]byte, error) {
	obj, err := crdschema.ToMap(m)
	if err != nil {
		return nil, err
	}
	if md, ok := obj["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return yaml.Marshal(obj)
}

// userLabels lists a member's labels without the ones every member carries for the operator's bookkeeping,
// which the NAME column already says.
func userLabels(labels map[string]string) string {
	var parts []string
	for k, v := range labels {
		switch k {
		case vmv1alpha1.LabelSet, vmv1alpha1.LabelIndex, vmv1alpha1.LabelRevision:
			continue
		}
		parts = append(parts, k+"="+v)
	}
	if len(parts) == 0 {
		return "<none>"
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// addresses lists each secondary network's configured address ("eth0=192.168.1.100/24", "eth1=dhcp"); the
// pod network's address is only known once the VM runs.
func addresses(m *vmv1alpha1.Wukong) string {
	var parts []string
	for _, n := range m.Spec.Networks {
		addr := "dhcp"
		if n.IPConfig != nil && n.IPConfig.Mode == vmv1alpha1.IPModeStatic {
			addr = n.IPConfig.Address
		}
		parts = append(parts, n.Name+"="+addr)
	}
	if len(parts) == 0 {
		return "<none>"
	}
	return strings.Join(parts, ",")
}
