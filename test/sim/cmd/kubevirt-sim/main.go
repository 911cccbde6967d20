// Command kubevirt-sim runs the KubeVirt, CDI and Multus SIMULATOR (package test/sim) against an apiserver,
// for tests, the demo and the benchmark on machines without kubelet or KVM. It is never part of the Wukong
// manager and must never run on a cluster that has the real KubeVirt or CDI.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/novasphere/wukong/test/sim"
)

func main() {
	def := sim.DefaultOptions()
	var (
		importDur = flag.Duration("import-duration", def.ImportDuration, "how long a simulated DataVolume import takes (0: instant)")
		cloneDur  = flag.Duration("clone-duration", def.CloneDuration, "how long a simulated DataVolume clone takes once its source is ready (0: instant)")
		bootDur   = flag.Duration("boot-duration", def.BootDuration, "how long a simulated VM takes from Pending to Running (0: instant)")
		nodes     = flag.String("nodes", strings.Join(def.Nodes, ","), "comma-separated fake node names VMs are placed on")
		workers   = flag.Int("workers", def.Workers, fmt.Sprintf("concurrent reconciles per simulated controller (at least %d)", sim.MinWorkers))
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "kubevirt-sim: a SIMULATOR of KubeVirt, CDI and Multus for tests and demos.\n"+
			"It fakes DataVolume imports and VM boots against an apiserver; nothing really runs.\n"+
			"It serves KubeVirt's VirtualMachine mutating webhook on 127.0.0.1, so the apiserver must run on\n"+
			"this machine; the webhook is unregistered when the simulator stops (SIGINT or SIGTERM).\n"+
			"Never run it on a cluster with the real KubeVirt or CDI.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	logger := ctrl.Log.WithName("kubevirt-sim")

	opts := sim.Options{ImportDuration: *importDur, CloneDuration: *cloneDur, BootDuration: *bootDur, Workers: *workers}
	for _, n := range strings.Split(*nodes, ",") {
		if n = strings.TrimSpace(n); n != "" {
			opts.Nodes = append(opts.Nodes, n)
		}
	}

	// --kubeconfig is registered by controller-runtime itself; GetConfig reads it, then $KUBECONFIG,
	// in-cluster config and ~/.kube/config.
	cfg, err := ctrl.GetConfig()
	if err != nil {
		logger.Error(err, "load kubeconfig")
		os.Exit(1)
	}
	logger.Info("this is a SIMULATOR of KubeVirt, CDI and Multus for tests and demos: no VM really runs, "+
		"and it must never run next to the real KubeVirt or CDI",
		"host", cfg.Host, "importDuration", opts.ImportDuration, "cloneDuration", opts.CloneDuration, "bootDuration", opts.BootDuration,
		"nodes", opts.Nodes, "workers", opts.Workers)
	if err := sim.Run(ctrl.SetupSignalHandler(), cfg, opts); err != nil {
		logger.Error(err, "simulator stopped")
		os.Exit(1)
	}
}
