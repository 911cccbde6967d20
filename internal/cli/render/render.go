// Package render is the `wukong render` command: the members the WukongSets in a file would produce, and with
// --children every object their controllers would write for them, built offline by the same code the
// controllers run (internal/setcheck and the set controller's renderer for members, internal/children for
// VirtualMachines, DataVolumes, cloud-init Secrets and NetworkAttachmentDefinitions), each member validated
// against the Wukong CRD embedded in the binary.
package render

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/cli"
	"github.com/novasphere/wukong/internal/crdschema"
	"github.com/novasphere/wukong/internal/setcheck"
	"github.com/novasphere/wukong/internal/template"
)

const long = `Prints the members the WukongSets in a file would produce, every template variable rendered, without a
cluster. Members are rendered by the controller's own renderer (same names, labels and revision label) from
the set as the apiserver would store it (CRD defaults applied), then each is checked offline against the
Wukong CRD embedded in this binary: OpenAPI schema (types, enums, bounds, patterns), list keys, metadata
and the x-kubernetes-validations CEL rules. The set itself is checked against the WukongSet CRD first.

With --children, each member is followed by the objects the Wukong controller would write for it, built by
the controller's own builders: the VirtualMachine, one DataVolume per disk, the cloud-init Secret and the
NetworkAttachmentDefinitions the operator creates for networks that name no existing one (one several
members share is printed once). The Secret's user data is left out (it
carries the password hash, the SSH keys and the user's own cloud-config; Secrets the spec refers to are not
read), its network data is printed.

Output (-o): yaml (default) or json print one object as itself and several as a v1 List, as kubectl apply
--dry-run does; name prints kind.group/name per object (wukong.vm.novasphere.dev/web-0); table prints NAME,
INDEX, CPU, MEMORY, DISKS, IP ADDRESSES and LABELS per member (and a table per kind of child). Owner
references are left out: they need UIDs only the apiserver assigns.

When any member is invalid nothing is printed on stdout, as the controller creates nothing then; each
problem is printed on stderr as "member <name> (index <i>): <field>: <error>" and the exit code is 1.`

// maxReportedErrors bounds the problems printed for one set: a mistake in the template usually breaks every
// member the same way, and ten thousand identical lines help nobody.
const maxReportedErrors = 50

// Output formats.
const (
	OutputYAML  = "yaml"
	OutputJSON  = "json"
	OutputTable = "table"
	OutputName  = "name"
)

// Options are the render command's flags.
type Options struct {
	// File holds the sets; "-" is stdin.
	File string
	// Output is one of the Output constants.
	Output string
	// Namespace is the namespace of a set that names none. When NamespaceSet, a set naming another one is
	// an error, as with kubectl -n.
	Namespace    string
	NamespaceSet bool
	// Children adds the objects the Wukong controller writes for each member.
	Children bool
	// ValidateOnly prints a summary line per set instead of the objects.
	ValidateOnly bool
}

// NewCommand is `wukong render`.
func NewCommand() *cobra.Command {
	o := Options{Namespace: "default"}
	cmd := &cobra.Command{
		Use:   "render -f set.yaml [-o yaml|json|table|name] [-n namespace] [--children] [--validate-only]",
		Short: "Print the members a WukongSet would produce (and their children), validated offline",
		Long:  long,
		Example: `  wukong render -f config/samples/vm_v1alpha1_wukongset_variables.yaml -o table
  wukong render -f set.yaml --children -o yaml
  wukong render -f set.yaml -n prod -o name
  cat set.yaml | wukong render -f - --validate-only`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected argument %q; name the file with -f", args[0])
			}
			return nil
		},
		Annotations: map[string]string{cli.AnnotationGoFlagSyntax: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.NamespaceSet = cmd.Flags().Changed("namespace")
			if err := o.Validate(); err != nil {
				return err
			}
			raw, err := read(o.File, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return Run(cmd.Context(), raw, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.File, "filename", "f", "", "file holding one or more WukongSets (YAML or JSON, documents separated by ---); - reads stdin")
	fs.StringVarP(&o.Output, "output", "o", OutputYAML, "output format: yaml, json, table or name")
	fs.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "namespace of a set that names none (the value of ${NAMESPACE}); a set naming another one is an error")
	fs.BoolVar(&o.Children, "children", false, "also print each member's VirtualMachine, DataVolumes, cloud-init Secret (user data left out) and NetworkAttachmentDefinitions")
	fs.BoolVar(&o.ValidateOnly, "validate-only", false, "print only a summary line per set")
	return cmd
}

// Validate checks the flags.
func (o Options) Validate() error {
	if o.File == "" {
		return errors.New("-f is required: the file holding the WukongSet")
	}
	switch o.Output {
	case OutputYAML, OutputJSON, OutputTable, OutputName:
		return nil
	}
	return fmt.Errorf("-o %q: want yaml, json, table or name", o.Output)
}

func read(file string, stdin io.Reader) ([]byte, error) {
	var (
		raw []byte
		err error
	)
	if file == "-" {
		raw, err = io.ReadAll(stdin)
	} else {
		raw, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return raw, nil
}

// Run renders the sets in raw (the contents of o.File), writing the output to stdout and the problems to
// stderr; it returns an error when any set, member or child is invalid, and then prints nothing on stdout.
func Run(ctx context.Context, raw []byte, o Options, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	sets, err := decodeSets(raw, o.Namespace, o.NamespaceSet)
	if err != nil {
		return fmt.Errorf("%s: %w", o.File, err)
	}
	engine, err := template.NewEngine()
	if err != nil {
		return err
	}
	renderer := &setmember.Renderer{Engine: engine}
	var (
		rendered []setResult
		invalid  []string
	)
	for _, set := range sets {
		res, problems := renderSet(ctx, renderer, set, o.Children)
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
		rendered = append(rendered, res)
	}
	if len(invalid) > 0 {
		return fmt.Errorf("invalid WukongSet %s: the controller would create no member", strings.Join(invalid, ", "))
	}
	var out bytes.Buffer
	if err := write(&out, o, rendered); err != nil {
		return err
	}
	_, err = stdout.Write(out.Bytes())
	return err
}

// setResult is what one valid set renders to.
type setResult struct {
	set     *vmv1alpha1.WukongSet
	members []member
}

// renderSet renders every member of set as the controller would create it (internal/setcheck, the same
// code the admission webhook runs) and, with children, each member's children; it returns them or, when the
// set, a member or a child is invalid, every problem found, each naming the set or member and the field.
// The set is first defaulted and validated against the WukongSet CRD, as the apiserver does before the
// controller ever sees it.
func renderSet(ctx context.Context, renderer *setmember.Renderer, set *vmv1alpha1.WukongSet, withChildren bool) (setResult, []string) {
	prefix := "WukongSet " + set.Name
	defaulted, errs := setcheck.Defaulted(ctx, set)
	if len(errs) > 0 {
		out := make([]string, len(errs))
		for i, e := range errs {
			out[i] = prefix + ": " + e.Error()
		}
		return setResult{}, out
	}
	wukongs, problems := setcheck.Members(ctx, renderer, defaulted, setcheck.Options{KeepMembers: true})
	if len(problems) > 0 {
		out := make([]string, len(problems))
		for i, p := range problems {
			if p.Member == "" {
				out[i] = prefix + ": " + p.Error()
			} else {
				out[i] = p.Error()
			}
		}
		return setResult{}, out
	}
	res := setResult{set: defaulted, members: make([]member, len(wukongs))}
	var out []string
	// An object several members share (an attachment of the set's) is printed once, after the first.
	seen := map[string]bool{}
	for i, w := range wukongs {
		res.members[i] = member{wukong: w, index: i}
		if !withChildren {
			continue
		}
		objs, err := memberChildren(defaulted, w)
		if err != nil {
			out = append(out, fmt.Sprintf("member %s (index %d): %v", w.Name, i, err))
			continue
		}
		for _, obj := range objs {
			if key := obj.GetNamespace() + " " + Name(obj); !seen[key] {
				seen[key] = true
				res.members[i].children = append(res.members[i].children, obj)
			}
		}
	}
	return res, out
}

// decodeSets reads every WukongSet in a YAML stream, strictly (a misspelt field is an error, as with
// `kubectl apply --validate=strict`), and gives a set without a namespace the assumed one. With explicit (the
// user gave -n), a set in another namespace is an error, as kubectl makes it.
func decodeSets(raw []byte, namespace string, explicit bool) ([]*vmv1alpha1.WukongSet, error) {
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
		if err := crdschema.DecodeStrict(chunk, &set); err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		switch {
		case set.Namespace == "":
			set.Namespace = namespace
		case explicit && set.Namespace != namespace:
			return nil, fmt.Errorf("document %d: WukongSet %s is in namespace %q, not %q (-n): drop -n or the set's metadata.namespace",
				doc, set.Name, set.Namespace, namespace)
		}
		sets = append(sets, &set)
	}
	if len(sets) == 0 {
		return nil, errors.New("no WukongSet found")
	}
	return sets, nil
}
