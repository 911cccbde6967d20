package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/novasphere/wukong/internal/setmember"
	"io"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func newUndoCommand(o *options) *cobra.Command {
	var to int64
	cmd := &cobra.Command{
		Use:   "undo SET",
		Short: "Roll a WukongSet back to an earlier template",
		Long: `Roll a WukongSet back to an earlier revision of its template: the previous one (the newest stored
revision whose template differs from the current one), or the one --to-revision names (see rollout history).

undo asks the operator: it sets the annotation vm.novasphere.dev/rollback-to=<revision hash> on the set, and
the controller puts that revision's template back into spec.template, removes the annotation and rolls the
members out as for any template change. Follow it with "rollout status". A paused set is refused, as kubectl
refuses a paused Deployment: resume it first.`,
		Example: `  # Back to the previous template
  wukong rollout undo web -n prod

  # Back to revision 3
  wukong rollout undo web --to-revision 3`,
		Args: setArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to < 0 {
				return fmt.Errorf("--to-revision %d: must not be negative", to)
			}
			resume := rolloutCommand(cmd) + " resume " + args[0]
			return o.run(cmd, args, func(ctx context.Context, s *session, name string) error {
				return s.undo(ctx, name, to, resume, cmd.OutOrStdout())
			})
		},
	}
	cmd.Flags().Int64Var(&to, "to-revision", 0, "The revision to roll back to. Default to 0 (last revision).")
	return cmd
}

func (s *session) undo(ctx context.Context, name string, to int64, resume string, out io.Writer) error {
	set, err := s.getSet(ctx, name)
	if err != nil {
		return err
	}
	if set.Spec.Paused {
		return fmt.Errorf("you cannot roll back a paused WukongSet; resume it first with %q and try again", resume)
	}
	revs, err := s.revisions(ctx, set)
	if err != nil {
		return err
	}
	current := setmember.Revision(set)
	target, err := rollbackTarget(revs, current, to)
	if err != nil {
		return fmt.Errorf("WukongSet %q: %w", name, err)
	}
	hash := target.Labels[vmv1alpha1.LabelRevision]
	if hash == current {
		_, err := fmt.Fprintf(out, "WukongSet/%s skipped rollback (current template already matches revision %d)\n", name, target.Revision)
		return err
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{vmv1alpha1.AnnotationRollbackTo: hash},
	}})
	if err != nil {
		return err
	}
	if err := s.c.Patch(ctx, set, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("annotate WukongSet %s/%s with %s=%s: %w", s.namespace, name, vmv1alpha1.AnnotationRollbackTo, hash, err)
	}
	_, err = fmt.Fprintf(out, "WukongSet/%s rolled back\n", name)
	return err
}

// rollbackTarget picks the revision to roll back to from revs (sorted by number): number to when it is not 0,
// else the newest revision whose template is not the current one. Unlike kubectl's second-newest revision,
// this stays right while the controller has not stored the current template yet.
func rollbackTarget(revs []appsv1.ControllerRevision, current string, to int64) (*appsv1.ControllerRevision, error) {
	if len(revs) == 0 {
		return nil, fmt.Errorf("no rollout history found")
	}
	if to > 0 {
		if cr := findRevision(revs, to); cr != nil {
			return cr, nil
		}
		return nil, fmt.Errorf("unable to find revision %d in history (revisions: %s)", to, revisionNumbers(revs))
	}
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].Labels[vmv1alpha1.LabelRevision] != current {
			return &revs[i], nil
		}
	}
	return nil, fmt.Errorf("no previous revision to roll back to: every stored revision is the current template")
}
