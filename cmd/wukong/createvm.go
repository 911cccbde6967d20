package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/novasphere/wukong/internal/cli"
	"github.com/novasphere/wukong/internal/createvm"
	"github.com/novasphere/wukong/internal/kubeconfig"
	"github.com/novasphere/wukong/internal/scheme"
	"github.com/novasphere/wukong/internal/template"
)

const createVMLong = `Creates (or updates) one Wukong from a template and stays running while it exists: it prints the Wukong's
progress, serves /readyz (200 only while the Wukong's Ready condition is True, 503 otherwise) and /healthz,
and exits 0 on SIGTERM or SIGINT. Meant as the container of a StatefulSet pod (design route 2, see
config/samples/statefulset): the Wukong is named after the pod, created in the pod's namespace and owned
by the pod, so scaling the StatefulSet down deletes the VM through garbage collection, and a readinessProbe
on /readyz makes OrderedReady wait for each VM.

The template FILE holds one of:
  - a template: metadata {labels, annotations} and spec, as under a WukongSet's spec.template;
  - a whole WukongSet: its spec.template is used;
  - a Wukong: its labels, annotations and spec are used.
Every string may hold ${...} variables, rendered by the same engine as a WukongSet's members: INDEX (from
--index), NAME (the Wukong's name), SET (the StatefulSet's name: the pod name without its ordinal),
NAMESPACE and REPLICAS (--replicas). See docs/templates.md.`

// createVMOptions are create-vm's flags after parsing.
type createVMOptions struct {
	templateFile string
	index        string
	name         string
	namespace    string
	kubeconfig   string
	readyAddr    string
	ownerPod     string
	replicas     int64
	deleteOnExit bool
}

func newCreateVMCommand() *cobra.Command {
	var o createVMOptions
	cmd := &cobra.Command{
		Use:   "create-vm --template=FILE [--index=N|POD_NAME] [flags]",
		Short: "Create one Wukong from a template for a StatefulSet pod, and report its readiness",
		Long:  createVMLong,
		Example: `  # As a StatefulSet pod's container (POD_NAME and POD_NAMESPACE from the downward API)
  wukong create-vm --template=/etc/wukong/vm-template.yaml --index=$(POD_NAME)`,
		Args:        noArgs,
		Annotations: map[string]string{cli.AnnotationGoFlagSyntax: "true"},
		RunE: func(*cobra.Command, []string) error {
			if err := o.complete(); err != nil {
				return err
			}
			return runCreateVM(o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.templateFile, "template", "", "file holding the Wukong template (required)")
	fs.StringVar(&o.index, "index", "", "the member's index: a number, or a pod name whose ordinal follows the last dash (vm-set-3 is 3); default: the owner pod's name")
	fs.StringVar(&o.name, "name", "", "the Wukong's name; default: the owner pod's name")
	fs.StringVar(&o.namespace, "namespace", "", "the Wukong's namespace; default: $POD_NAMESPACE, else the kubeconfig's or the in-cluster namespace")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "path to a kubeconfig; empty means $KUBECONFIG, else ~/.kube/config, else in-cluster (as kubectl)")
	fs.StringVar(&o.readyAddr, "ready-addr", ":8080", "address of the /readyz and /healthz endpoints; empty or 0 disables them")
	fs.StringVar(&o.ownerPod, "owner-pod", "", "the pod that owns the Wukong (garbage collection deletes the Wukong with it); default: $POD_NAME; none when both are empty")
	fs.Int64Var(&o.replicas, "replicas", 0, "the value of ${REPLICAS}")
	fs.BoolVar(&o.deleteOnExit, "delete-on-exit", false, "delete the Wukong on SIGTERM or SIGINT before exiting")
	return cmd
}

// complete checks the flags and fills the defaults that come from the environment.
func (o *createVMOptions) complete() error {
	if o.templateFile == "" {
		return errors.New("--template is required: the file holding the Wukong template")
	}
	if o.replicas < 0 {
		return fmt.Errorf("--replicas %d: must not be negative", o.replicas)
	}
	if o.ownerPod == "" {
		o.ownerPod = os.Getenv("POD_NAME")
	}
	return nil
}

// runCreateVM wires the flags to internal/createvm: member and template first (no cluster needed for their
// errors), then the client, the probe endpoints and the runner until a signal.
func runCreateVM(o createVMOptions) error {
	m, err := createvm.ResolveMember(o.index, o.name, o.ownerPod)
	if err != nil {
		return err
	}
	tmpl, err := createvm.LoadTemplate(o.templateFile)
	if err != nil {
		return err
	}
	engine, err := template.NewEngine()
	if err != nil {
		return err
	}
	// Syntax errors need no cluster; report them before connecting.
	if err := engine.Check(tmpl); err != nil {
		return fmt.Errorf("template %s: %w", o.templateFile, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	cc := kubeconfig.Load(o.kubeconfig, nil)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg.UserAgent = "wukong-create-vm"
	ns, err := namespaceOf(o.namespace, cc)
	if err != nil {
		return err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return err
	}

	r := createvm.NewRunner(c, os.Stdout, ns, m.Name)
	if o.readyAddr != "" && o.readyAddr != "0" {
		shutdown, err := r.ServeProbes(o.readyAddr)
		if err != nil {
			return err
		}
		defer shutdown()
	}

	runErr := r.Run(ctx, engine, tmpl, template.Vars{Index: m.Index, Name: m.Name, Set: m.Set, Namespace: ns, Replicas: o.replicas}, o.ownerPod)
	if ctx.Err() != nil {
		// A signal: whatever was in flight was cut short on purpose.
		runErr = nil
		r.Printf("received a termination signal")
	}
	if o.deleteOnExit {
		if err := r.Delete(); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// namespaceOf picks the Wukong's namespace: the flag, else the pod's ($POD_NAMESPACE from the downward API),
// else the kubeconfig context's or, in a cluster, the service account's namespace file.
func namespaceOf(flagValue string, cc clientcmd.ClientConfig) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns, nil
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return "", fmt.Errorf("find the namespace (set --namespace or $POD_NAMESPACE): %w", err)
	}
	return ns, nil
}
