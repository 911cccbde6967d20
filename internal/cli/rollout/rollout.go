// Package rollout is the "rollout" command for WukongSets: status, history, undo, pause and resume, after
// kubectl rollout for Deployments. It talks to the apiserver only; the operator's controller does the work
// (undo sets the rollback annotation the controller acts on, pause and resume set spec.paused).
package rollout

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/kubeconfig"
	"github.com/novasphere/wukong/internal/scheme"
)

// fieldManager owns the fields the rollout commands write (spec.paused, the rollback annotation).
const fieldManager = "wukong-rollout"

// options are the flags every rollout command shares: kubectl's kubeconfig loading and overrides.
type options struct {
	kubeconfig string
	overrides  clientcmd.ConfigOverrides
}

// NewCommand returns the rollout command with its subcommands.
func NewCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "rollout SUBCOMMAND",
		Short: "Manage the rollout of a WukongSet",
		Long: `Manage the rollout of a WukongSet, as kubectl rollout does for a Deployment: follow it (status), list
its revisions (history), go back to an earlier template (undo), hold and release it (pause, resume).

The cluster is reached as kubectl does: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the
in-cluster service account; --context, --namespace (-n) and the other flags below override the kubeconfig.`,
		Example: `  # Follow a rollout until it finishes
  wukong rollout status web -n prod

  # Go back to the previous template
  wukong rollout undo web -n prod`,
	}
	fs := cmd.PersistentFlags()
	fs.StringVar(&o.kubeconfig, clientcmd.RecommendedConfigPathFlag, "", "Path to the kubeconfig file to use for CLI requests.")
	clientcmd.BindOverrideFlags(&o.overrides, fs, clientcmd.RecommendedConfigOverrideFlags(""))
	// kubectl lists these in "kubectl options" only; they work here too, unlisted.
	for _, name := range []string{clientcmd.FlagUsername, clientcmd.FlagPassword, clientcmd.FlagImpersonateUID, clientcmd.FlagProxyURL,
		clientcmd.FlagDisableCompression, clientcmd.FlagTLSServerName, clientcmd.FlagCertFile, clientcmd.FlagKeyFile, clientcmd.FlagCAFile} {
		_ = fs.MarkHidden(name)
	}
	cmd.AddCommand(newStatusCommand(o), newHistoryCommand(o), newUndoCommand(o), newPauseCommand(o, true), newPauseCommand(o, false))
	return cmd
}

// session is a connection to the cluster in the namespace the flags chose.
type session struct {
	c         client.WithWatch
	namespace string
}

func (o *options) connect() (*session, error) {
	cc := kubeconfig.Load(o.kubeconfig, &o.overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg.UserAgent = fieldManager
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("find the namespace (set --namespace): %w", err)
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.Host, err)
	}
	return &session{c: c, namespace: ns}, nil
}

// getSet reads the WukongSet name; its errors name the set and the namespace.
func (s *session) getSet(ctx context.Context, name string) (*vmv1alpha1.WukongSet, error) {
	var set vmv1alpha1.WukongSet
	err := s.c.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, &set)
	switch {
	case err == nil:
		return &set, nil
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("WukongSet %q not found in namespace %q", name, s.namespace)
	case meta.IsNoMatchError(err):
		return nil, fmt.Errorf("get WukongSet %s/%s: %w (is the Wukong operator's CRD installed?)", s.namespace, name, err)
	default:
		return nil, fmt.Errorf("get WukongSet %s/%s: %w", s.namespace, name, err)
	}
}

// setArg reads the command's one argument: a WukongSet's name, also accepted in kubectl's TYPE/NAME form
// (wukongset/web, wks/web).
func setArg(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("name one WukongSet (got %d arguments)", len(args))
	}
	_, err := setName(args[0])
	return err
}

func setName(arg string) (string, error) {
	kind, name, ok := strings.Cut(arg, "/")
	if !ok {
		return arg, nil
	}
	switch strings.ToLower(kind) {
	case "wukongset", "wukongsets", "wks", "wukongset.vm.novasphere.dev", "wukongsets.vm.novasphere.dev":
	default:
		return "", fmt.Errorf("%q: only WukongSets have rollouts here (wukongset/NAME or NAME)", arg)
	}
	if name == "" {
		return "", fmt.Errorf("%q: the WukongSet's name is missing", arg)
	}
	return name, nil
}

// run connects and runs f with a context that ends on SIGINT or SIGTERM.
func (o *options) run(cmd *cobra.Command, args []string, f func(ctx context.Context, s *session, name string) error) error {
	name, err := setName(args[0])
	if err != nil {
		return err
	}
	s, err := o.connect()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return f(ctx, s, name)
}

// rolloutCommand is how the user typed "rollout" (wukong rollout, kubectl wukong rollout), for hints.
func rolloutCommand(cmd *cobra.Command) string {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Name() == "rollout" {
			return c.CommandPath()
		}
	}
	return "wukong rollout"
}
