package rollout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
)

func newStatusCommand(o *options) *cobra.Command {
	var (
		follow  = true
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status SET",
		Short: "Show the status of a WukongSet's rollout, and wait for it to finish",
		Long: `Show the status of a WukongSet's rollout and, with --watch (the default), wait for it to finish.

The rollout is finished when the controller has seen the current spec (status.observedGeneration >=
metadata.generation), every member to update runs the current template (status.updatedReplicas ==
spec.replicas), no old or surge member is left (status.replicas == status.updatedReplicas) and the updated
members are available (status.availableReplicas >= status.updatedReplicas).

With a partition (spec.updateStrategy.rollingUpdate.partition), only members with an index >= partition
are updated: the rollout is finished when status.updatedReplicas >= spec.replicas - partition, no member
beyond spec.replicas is left, and every member is available. Members below the partition keep their
revision.

Exits 0 when the rollout is finished (or, with --watch=false, after printing the current state), and
non-zero when the set reports Progressing=False with reason ProgressDeadlineExceeded, when --timeout passes,
or when the set is deleted. A paused set (spec.paused) is reported as such; status keeps waiting for it to
be resumed.`,
		Example: `  # Follow the rollout of WukongSet web until it finishes
  wukong rollout status web -n prod

  # Give up after 10 minutes (exit code 1)
  wukong rollout status web --timeout 10m

  # Print the current state once
  wukong rollout status web --watch=false`,
		Args: setArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout < 0 {
				return fmt.Errorf("--timeout %s: must not be negative", timeout)
			}
			return o.run(cmd, args, func(ctx context.Context, s *session, name string) error {
				return s.status(ctx, name, follow, timeout, cmd.OutOrStdout())
			})
		},
	}
	cmd.Flags().BoolVarP(&follow, "watch", "w", follow, "Watch the status of the rollout until it's done.")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "The length of time to wait before ending watch, zero means never. Any other values should contain a corresponding time unit (e.g. 1s, 2m, 3h).")
	return cmd
}

// status prints the rollout's progress, once or until it is done.
func (s *session) status(ctx context.Context, name string, follow bool, timeout time.Duration, out io.Writer) error {
	set, err := s.getSet(ctx, name)
	if err != nil {
		return err
	}
	if !follow {
		msg, _, err := Status(set)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, msg)
		return err
	}

	watchCtx, cancel := watchtools.ContextWithOptionalTimeout(ctx, timeout)
	defer cancel()
	byName := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.FieldSelector = byName
			var list vmv1alpha1.WukongSetList
			err := s.c.List(ctx, &list, client.InNamespace(s.namespace), &client.ListOptions{Raw: &opts})
			return &list, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.FieldSelector = byName
			return s.c.Watch(ctx, &vmv1alpha1.WukongSetList{}, client.InNamespace(s.namespace), &client.ListOptions{Raw: &opts})
		},
	}
	last := ""
	_, err = watchtools.UntilWithSync(watchCtx, lw, &vmv1alpha1.WukongSet{}, nil, func(e watch.Event) (bool, error) {
		switch e.Type {
		case watch.Added, watch.Modified:
			set, ok := e.Object.(*vmv1alpha1.WukongSet)
			if !ok {
				return false, fmt.Errorf("watch WukongSet %s/%s: unexpected object %T", s.namespace, name, e.Object)
			}
			msg, done, err := Status(set)
			if err != nil {
				return false, err
			}
			// The controller writes the status often (progress times, conditions); print changes only.
			if msg != last {
				fmt.Fprintln(out, msg)
				last = msg
			}
			return done, nil
		case watch.Deleted:
			// Stop rather than silently follow a new set of the same name.
			return false, fmt.Errorf("WukongSet %q in namespace %q was deleted while waiting for its rollout", name, s.namespace)
		default:
			return false, fmt.Errorf("watch WukongSet %s/%s: unexpected event %s", s.namespace, name, e.Type)
		}
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return errors.New("interrupted")
	case wait.Interrupted(err):
		return fmt.Errorf("timed out after %s waiting for WukongSet %q rollout to finish (last status: %s)", timeout, name, last)
	default:
		return err
	}
}

// Status reports a WukongSet's rollout as kubectl's DeploymentStatusViewer reports a Deployment's: a line to
// print, whether the rollout is done, and an error when it failed (the progress deadline passed). It reads
// the set only; see the status command's help for the rules.
func Status(set *vmv1alpha1.WukongSet) (msg string, done bool, err error) {
	if set.Status.ObservedGeneration < set.Generation {
		return fmt.Sprintf("Waiting for WukongSet %q spec update to be observed...", set.Name), false, nil
	}
	if c := meta.FindStatusCondition(set.Status.Conditions, vmv1alpha1.SetProgressing); c != nil &&
		c.Status == metav1.ConditionFalse && c.Reason == vmv1alpha1.ReasonProgressDeadline {
		if c.Message != "" {
			return "", false, fmt.Errorf("WukongSet %q exceeded its progress deadline: %s", set.Name, c.Message)
		}
		return "", false, fmt.Errorf("WukongSet %q exceeded its progress deadline", set.Name)
	}
	st := set.Status
	replicas := int32(1)
	if set.Spec.Replicas != nil {
		replicas = *set.Spec.Replicas
	}
	partition := min(max(partitionOf(set), 0), replicas)
	want := replicas - partition

	var progress string
	switch {
	case st.UpdatedReplicas < want && partition > 0:
		progress = fmt.Sprintf("%d out of %d new members have been updated (partition %d: members from index %d)", st.UpdatedReplicas, want, partition, partition)
	case st.UpdatedReplicas < want:
		progress = fmt.Sprintf("%d out of %d new members have been updated", st.UpdatedReplicas, want)
	case pendingOld(st, replicas, partition) > 0:
		progress = fmt.Sprintf("%d old members are pending termination/update", pendingOld(st, replicas, partition))
	case st.AvailableReplicas < replicas && partition > 0:
		progress = fmt.Sprintf("%d of %d members are available", st.AvailableReplicas, replicas)
	case st.AvailableReplicas < st.UpdatedReplicas:
		progress = fmt.Sprintf("%d of %d updated members are available", st.AvailableReplicas, st.UpdatedReplicas)
	}
	if progress == "" {
		if partition > 0 {
			return fmt.Sprintf("WukongSet %q successfully rolled out to the partition: %d new members have been updated, members below index %d keep their revision",
				set.Name, st.UpdatedReplicas, partition), true, nil
		}
		return fmt.Sprintf("WukongSet %q successfully rolled out", set.Name), true, nil
	}
	if c := meta.FindStatusCondition(st.Conditions, vmv1alpha1.SetReplicaFailure); c != nil && c.Status == metav1.ConditionTrue {
		progress += fmt.Sprintf(" (ReplicaFailure %s: %s)", c.Reason, c.Message)
	}
	if set.Spec.Paused {
		return fmt.Sprintf("WukongSet %q rollout is paused (spec.paused): %s; waiting for it to be resumed...", set.Name, progress), false, nil
	}
	return fmt.Sprintf("Waiting for WukongSet %q rollout to finish: %s...", set.Name, progress), false, nil
}

// pendingOld counts the members that must still go: surge members and members not at the update revision,
// except, with a partition, the members below it, which keep their revision.
func pendingOld(st vmv1alpha1.WukongSetStatus, replicas, partition int32) int32 {
	beyond := st.Replicas - replicas
	if partition > 0 {
		return beyond
	}
	return max(st.Replicas-st.UpdatedReplicas, beyond)
}

func partitionOf(set *vmv1alpha1.WukongSet) int32 {
	if us := set.Spec.UpdateStrategy; us != nil && us.RollingUpdate != nil && us.RollingUpdate.Partition != nil {
		return *us.RollingUpdate.Partition
	}
	return 0
}
