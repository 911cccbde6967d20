package rollout

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// newPauseCommand returns "pause" (paused true) or "resume" (paused false).
func newPauseCommand(o *options, paused bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pause SET",
		Short: "Hold a WukongSet's rollout (spec.paused)",
		Long: `Hold a WukongSet's rollout: set spec.paused. Members keep their revision while the set is paused, so
template changes made meanwhile are rolled out only after "rollout resume"; scaling still happens. Pausing
a paused set changes nothing and succeeds.`,
		Example: `  # Hold the rollout, change the template, then let it go
  wukong rollout pause web
  kubectl patch wukongset web --type merge -p '{"spec":{"template":{"spec":{"cpu":4}}}}'
  wukong rollout resume web`,
	}
	if !paused {
		cmd.Use = "resume SET"
		cmd.Short = "Resume a paused WukongSet's rollout"
		cmd.Long = `Resume a paused WukongSet: clear spec.paused, so members move to the current template again. Resuming a
set that is not paused changes nothing and succeeds.`
		cmd.Example = `  wukong rollout resume web -n prod`
	}
	cmd.Args = setArg
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return o.run(cmd, args, func(ctx context.Context, s *session, name string) error {
			return s.setPaused(ctx, name, paused, cmd.OutOrStdout())
		})
	}
	return cmd
}

// setPaused sets spec.paused with a merge patch, which touches nothing else in the spec.
func (s *session) setPaused(ctx context.Context, name string, paused bool, out io.Writer) error {
	verb := "paused"
	if !paused {
		verb = "resumed"
	}
	set, err := s.getSet(ctx, name)
	if err != nil {
		return err
	}
	if set.Spec.Paused == paused {
		_, err := fmt.Fprintf(out, "WukongSet/%s already %s\n", name, verb)
		return err
	}
	patch := fmt.Appendf(nil, `{"spec":{"paused":%t}}`, paused)
	if err := s.c.Patch(ctx, set, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("set spec.paused=%t on WukongSet %s/%s: %w", paused, s.namespace, name, err)
	}
	_, err = fmt.Fprintf(out, "WukongSet/%s %s\n", name, verb)
	return err
}
