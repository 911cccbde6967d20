package main

import (
	"flag"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/novasphere/wukong/internal/manager"
)

func loadConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	return ctrl.GetConfig()
}

func runManager(args []string) error {
	o := manager.DefaultOptions()
	var (
		kubeconfig string
		qps        float64
		burst      int
		zapOpts    zap.Options
	)
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.StringVar(&kubeconfig, "kubeconfig", "", "path to a kubeconfig; empty means $KUBECONFIG or in-cluster")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "metrics endpoint address; 0 disables it")
	fs.BoolVar(&o.MetricsSecure, "metrics-secure", o.MetricsSecure, "serve metrics over HTTPS behind Kubernetes authentication and authorization")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "health and readiness probe address")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "elect a leader so only one replica reconciles")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader-election lease (default: the pod's)")
	// The apiserver's priority and fairness protects it; a low client-side limit would make creating a
	// thousand VMs take minutes for no reason.
	fs.Float64Var(&qps, "kube-api-qps", 500, "client queries per second to the apiserver; negative disables client-side throttling")
	fs.IntVar(&burst, "kube-api-burst", 1000, "client burst to the apiserver")
	fs.IntVar(&o.WukongWorkers, "wukong-workers", o.WukongWorkers, "Wukongs reconciled in parallel")
	fs.IntVar(&o.SetWorkers, "wukongset-workers", o.SetWorkers, "WukongSets reconciled in parallel")
	fs.IntVar(&o.MaxConcurrentCreates, "max-concurrent-creates", o.MaxConcurrentCreates, "members one WukongSet creates at once (spec.scaleStrategy.maxConcurrentCreates overrides it)")
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	cfg, err := loadConfig(kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = float32(qps), burst
	cfg.UserAgent = "wukong-manager"
	mgr, err := manager.New(cfg, o)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("setup").Info("starting manager", "qps", qps, "burst", burst, "maxConcurrentCreates", o.MaxConcurrentCreates)
	return mgr.Start(ctrl.SetupSignalHandler())
}
