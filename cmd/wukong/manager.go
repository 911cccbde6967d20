package main

import (
	goflag "flag"
	"fmt"
	"math"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/novasphere/wukong/internal/cli"
	"github.com/novasphere/wukong/internal/kubeconfig"
	"github.com/novasphere/wukong/internal/manager"
)

// managerFlags are the manager command's flags after parsing.
type managerFlags struct {
	opts       manager.Options
	kubeconfig string
	qps        float64
	burst      int
	zap        zap.Options
	// memLimitRatio is the share of the container's memory limit given to the Go runtime as its soft limit
	// (GOMEMLIMIT); 0 leaves the runtime's default.
	memLimitRatio float64
}

func newManagerCommand() *cobra.Command {
	f := &managerFlags{opts: manager.DefaultOptions()}
	cmd := &cobra.Command{
		Use:   "manager [flags]",
		Short: "Run the Wukong and WukongSet controllers",
		Long: `Runs the operator: the Wukong and WukongSet controllers, the metrics endpoint and the health probes,
until SIGTERM or SIGINT.`,
		Example:     `  wukong manager --leader-elect --metrics-bind-address=:8443`,
		Args:        noArgs,
		Annotations: map[string]string{cli.AnnotationGoFlagSyntax: "true"},
		RunE:        func(*cobra.Command, []string) error { return runManager(f) },
	}
	fs := cmd.Flags()
	o := &f.opts
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "path to a kubeconfig; empty means $KUBECONFIG, else ~/.kube/config, else in-cluster (as kubectl)")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "metrics endpoint address; 0 disables it")
	fs.BoolVar(&o.MetricsSecure, "metrics-secure", o.MetricsSecure, "serve metrics over HTTPS behind Kubernetes authentication and authorization")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "health and readiness probe address")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", o.PprofAddr, "address of Go's pprof profiles (/debug/pprof/); empty or 0 disables them")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "elect a leader so only one replica reconciles")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader-election lease (default: the pod's)")
	// Longer than controller-runtime's 15s/10s/2s so that an apiserver outage of 30s does not end the leader
	// (docs/cli.md: the trade-off).
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", o.LeaseDuration, "how long a standby waits after the leader's last renewal before taking over (whole seconds)")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", o.RenewDeadline, "how long the leader retries renewing before it gives up and exits; longer than the apiserver outages to survive plus the retry period")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", o.RetryPeriod, "interval of the leader's renewals and of the standbys' tries")
	// The apiserver's priority and fairness protects it; a low client-side limit would make creating a
	// thousand VMs take minutes for no reason.
	fs.Float64Var(&f.qps, "kube-api-qps", 500, "client queries per second to the apiserver; negative disables client-side throttling")
	fs.IntVar(&f.burst, "kube-api-burst", 1000, "client burst to the apiserver")
	fs.IntVar(&o.WukongWorkers, "wukong-workers", o.WukongWorkers, "Wukongs reconciled in parallel")
	fs.IntVar(&o.SetWorkers, "wukongset-workers", o.SetWorkers, "WukongSets reconciled in parallel")
	fs.IntVar(&o.MaxConcurrentCreates, "max-concurrent-creates", o.MaxConcurrentCreates, "members one WukongSet creates at once (spec.scaleStrategy.maxConcurrentCreates overrides it)")
	fs.Float64Var(&f.memLimitRatio, "memory-limit-ratio", 0.9, "share of the container's memory limit (cgroup) the Go runtime keeps its heap under (GOMEMLIMIT), so the garbage collector works harder before the kernel kills the manager; 0 disables it, and a GOMEMLIMIT in the environment wins")
	w := &o.Webhook
	fs.IntVar(&w.Port, "webhook-port", w.Port, "port of the WukongSet admission webhook; 0 picks a free port (with --webhook-self-register), negative disables the webhook")
	fs.StringVar(&w.Host, "webhook-host", w.Host, "address the webhook listens on; empty means every interface")
	fs.StringVar(&w.Namespace, "webhook-namespace", w.Namespace, "namespace of the webhook's certificate Secret and Service (default: the pod's; outside a pod the webhook is off unless this is set)")
	fs.StringVar(&w.ServiceName, "webhook-service-name", w.ServiceName, "Service in front of the manager's webhook port; the serving certificate names it")
	fs.StringVar(&w.SecretName, "webhook-secret-name", w.SecretName, "Secret holding the webhook's CA and serving certificate, created and renewed by the manager")
	fs.BoolVar(&w.SelfRegister, "webhook-self-register", w.SelfRegister, "create the ValidatingWebhookConfiguration with the URL https://<webhook-host>:<port> and remove it on exit: for a manager outside the cluster next to a local apiserver")
	// controller-runtime's logging flags (--zap-log-level, --zap-devel, ...) are defined on a standard
	// library flag set.
	zapFlags := goflag.NewFlagSet("zap", goflag.ContinueOnError)
	f.zap.BindFlags(zapFlags)
	fs.AddGoFlagSet(zapFlags)
	return cmd
}

func runManager(f *managerFlags) error {
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&f.zap)))
	if err := setMemoryLimit(f.memLimitRatio, memlimit.FromCgroup); err != nil {
		return err
	}
	cfg, err := kubeconfig.Load(f.kubeconfig, nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = float32(f.qps), f.burst
	cfg.UserAgent = "wukong-manager"
	mgr, err := manager.New(cfg, f.opts)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("setup").Info("starting manager", "qps", f.qps, "burst", f.burst, "maxConcurrentCreates", f.opts.MaxConcurrentCreates,
		"leaderElect", f.opts.LeaderElect, "goMemLimit", goMemLimit(), "leaseDuration", f.opts.LeaseDuration, "renewDeadline", f.opts.RenewDeadline, "retryPeriod", f.opts.RetryPeriod)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// setMemoryLimit gives the Go runtime ratio of the memory limit provider reports (the container's cgroup) as
// its soft limit. The informers hold every VM, DataVolume, Secret and member the manager controls; with the
// runtime's default the heap may grow to twice what is live before a collection, past the container's limit.
// Ratio 0 leaves the runtime as it is; no limit (outside a container) sets none; GOMEMLIMIT in the
// environment wins.
func setMemoryLimit(ratio float64, provider memlimit.Provider) error {
	if ratio < 0 || ratio > 1 {
		return fmt.Errorf("--memory-limit-ratio %v: want a share between 0 (off) and 1", ratio)
	}
	if ratio == 0 {
		return nil
	}
	if _, err := memlimit.Set(memlimit.WithRatio(ratio), memlimit.WithProvider(provider)); err != nil {
		ctrl.Log.WithName("setup").Info("no memory limit for the Go runtime", "reason", err.Error())
	}
	return nil
}

// goMemLimit is the Go runtime's soft memory limit for the log: "none" when unset.
func goMemLimit() string {
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		return fmt.Sprintf("%d MiB", l>>20)
	}
	return "none"
}

// noArgs refuses positional arguments as the commands did before cobra: every option is a flag.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q; every option is a flag", args[0])
	}
	return nil
}
