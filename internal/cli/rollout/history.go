package rollout

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

// AnnotationChangeCause is the annotation kubectl's rollout history shows as CHANGE-CAUSE.
const AnnotationChangeCause = "kubernetes.io/change-cause"

func newHistoryCommand(o *options) *cobra.Command {
	var number int64
	cmd := &cobra.Command{
		Use:   "history SET",
		Short: "List a WukongSet's revisions, or print one revision's template",
		Long: `List the revisions of a WukongSet's template: the ControllerRevisions the controller stores (labelled
vm.novasphere.dev/set=SET and owned by the set), oldest first, with the revision number, the revision hash
(the members' vm.novasphere.dev/revision label, status.updateRevision) and the kubernetes.io/change-cause
annotation of the revision, if any.

With --revision N, print that revision's template as YAML instead.`,
		Example: `  wukong rollout history web -n prod
  wukong rollout history web --revision 3`,
		Args: setArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if number < 0 {
				return fmt.Errorf("--revision %d: must not be negative", number)
			}
			return o.run(cmd, args, func(ctx context.Context, s *session, name string) error {
				return s.history(ctx, name, number, cmd.OutOrStdout())
			})
		},
	}
	cmd.Flags().Int64Var(&number, "revision", 0, "See the template of this revision; 0 lists them all")
	return cmd
}

func (s *session) history(ctx context.Context, name string, number int64, out io.Writer) error {
	set, err := s.getSet(ctx, name)
	if err != nil {
		return err
	}
	revs, err := s.revisions(ctx, set)
	if err != nil {
		return err
	}
	if number > 0 {
		cr := findRevision(revs, number)
		if cr == nil {
			return fmt.Errorf("unable to find revision %d of WukongSet %q (revisions: %s)", number, name, revisionNumbers(revs))
		}
		doc, err := yaml.JSONToYAML(cr.Data.Raw)
		if err != nil {
			return fmt.Errorf("decode ControllerRevision %s: %w", cr.Name, err)
		}
		_, err = fmt.Fprintf(out, "# WukongSet/%s revision %d (%s)\n%s", name, cr.Revision, cr.Labels[vmv1alpha1.LabelRevision], doc)
		return err
	}
	if len(revs) == 0 {
		_, err := fmt.Fprintln(out, "No rollout history found.")
		return err
	}
	fmt.Fprintf(out, "WukongSet/%s\n", name)
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "REVISION\tHASH\tCHANGE-CAUSE")
	for _, cr := range revs {
		cause := cr.Annotations[AnnotationChangeCause]
		if cause == "" {
			cause = "<none>"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\n", cr.Revision, cr.Labels[vmv1alpha1.LabelRevision], cause)
	}
	return w.Flush()
}

// revisions lists the ControllerRevisions the set controls, by revision number.
func (s *session) revisions(ctx context.Context, set *vmv1alpha1.WukongSet) ([]appsv1.ControllerRevision, error) {
	var list appsv1.ControllerRevisionList
	if err := s.c.List(ctx, &list, client.InNamespace(set.Namespace), client.MatchingLabels{vmv1alpha1.LabelSet: set.Name}); err != nil {
		return nil, fmt.Errorf("list ControllerRevisions of WukongSet %s/%s: %w", set.Namespace, set.Name, err)
	}
	return ownedRevisions(set, list.Items), nil
}

// ownedRevisions keeps the revisions set controls (a set deleted and created again under the same name does
// not inherit the old one's history) and sorts them by revision number.
func ownedRevisions(set *vmv1alpha1.WukongSet, items []appsv1.ControllerRevision) []appsv1.ControllerRevision {
	var owned []appsv1.ControllerRevision
	for _, cr := range items {
		if ref := metav1.GetControllerOf(&cr); ref != nil && ref.UID == set.UID {
			owned = append(owned, cr)
		}
	}
	slices.SortFunc(owned, func(a, b appsv1.ControllerRevision) int { return cmp.Compare(a.Revision, b.Revision) })
	return owned
}

func findRevision(revs []appsv1.ControllerRevision, number int64) *appsv1.ControllerRevision {
	for i := range revs {
		if revs[i].Revision == number {
			return &revs[i]
		}
	}
	return nil
}

func revisionNumbers(revs []appsv1.ControllerRevision) string {
	if len(revs) == 0 {
		return "none"
	}
	out := ""
	for i, cr := range revs {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(cr.Revision)
	}
	return out
}
