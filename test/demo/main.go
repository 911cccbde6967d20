// Command demo is `make demo`: a local control plane (kube-apiserver, etcd and kube-controller-manager's
// node-free controllers), the Wukong manager (as its ServiceAccount, with config/rbac's permissions) and the
// KubeVirt simulator in one process, running the design's example 6.1 — create five VMs, scale to eight
// into a ResourceQuota that holds two back until it is raised, roll a template change — with a progress
// line whenever the set's status changes.
//
// Flags (a stable interface; the README and test/demo's test use them):
//
//	--keep                 keep running after the scenario until SIGINT or SIGTERM
//	--no-samples           apply nothing: start an empty cluster (with --keep, a playground)
//	--kubeconfig-out PATH  write a kubeconfig for the control plane to PATH once the manager is ready
//	--timeout D            bound the scenario (default 5m); --keep then waits for a signal regardless
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/novasphere/wukong/test/harness"
	"github.com/novasphere/wukong/test/sim"
)

// The simulator is paced so each member's progress (import, boot) is visible in the output.
const (
	importDuration = 3 * time.Second
	bootDuration   = 2 * time.Second
)

// config is the command line.
type config struct {
	keep          bool
	noSamples     bool
	kubeconfigOut string
	timeout       time.Duration
}

func main() {
	var c config
	flag.BoolVar(&c.keep, "keep", false, "keep running after the scenario, until SIGINT or SIGTERM")
	flag.BoolVar(&c.noSamples, "no-samples", false, "apply nothing; start with an empty cluster")
	flag.StringVar(&c.kubeconfigOut, "kubeconfig-out", "", "write a kubeconfig for the control plane to this path")
	flag.DurationVar(&c.timeout, "timeout", 5*time.Minute, "overall limit of the scenario")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "demo: unexpected arguments %v\n", flag.Args())
		os.Exit(2)
	}
	os.Exit(run(c, os.Stdout))
}

// run starts everything, plays the scenario, and stops everything; it returns the exit code.
func run(c config, out io.Writer) int {
	// The first signal stops the demo cleanly; once it has arrived, a second one kills the process as usual.
	sigCtx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	go func() { <-sigCtx.Done(); stopSignals() }()

	start := time.Now()
	fmt.Fprintln(out, "Wukong demo — KubeVirt, CDI and Multus are SIMULATED (test/sim): no real VMs are started.")
	fmt.Fprintln(out, "Starting kube-apiserver, etcd, kube-controller-manager, the Wukong manager and the KubeVirt simulator…")
	opts := harness.DefaultOptions()
	opts.Sim = sim.DefaultOptions()
	opts.Sim.ImportDuration, opts.Sim.BootDuration = importDuration, bootDuration
	h, err := harness.Start(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: start: %v\n", err)
		return 1
	}
	fmt.Fprintf(out, "Ready in %s (disk imports take %s, boots %s).\n", since(start), importDuration, bootDuration)

	code := func() int {
		kubeconfig := h.Kubeconfig
		if c.kubeconfigOut != "" {
			if err := writeFileAtomic(c.kubeconfigOut, h.Kubeconfig); err != nil {
				fmt.Fprintf(os.Stderr, "demo: write kubeconfig: %v\n", err)
				return 1
			}
			kubeconfig = c.kubeconfigOut
			printKubeconfig(out, kubeconfig, h.Assets)
		}
		if !c.noSamples {
			ctx, cancel := context.WithTimeout(sigCtx, c.timeout)
			err := (&scenario{c: h.Client, out: out, start: start}).run(ctx)
			cancel()
			switch {
			case err == nil:
			case sigCtx.Err() != nil:
				fmt.Fprintln(out, "Interrupted.")
				return 130
			case errors.Is(err, context.DeadlineExceeded):
				fmt.Fprintf(os.Stderr, "demo: gave up after --timeout %s: %v\n", c.timeout, err)
				return 1
			default:
				fmt.Fprintf(os.Stderr, "demo: %v\n", err)
				return 1
			}
		}
		if c.keep {
			if c.kubeconfigOut == "" {
				printKubeconfig(out, kubeconfig, h.Assets)
			}
			fmt.Fprintln(out, "Running until Ctrl-C (SIGINT) or SIGTERM.")
			<-sigCtx.Done()
		}
		return 0
	}()

	fmt.Fprintln(out, "Stopping the manager, the simulator and the control plane…")
	if err := h.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "demo: stop: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	if code == 0 {
		fmt.Fprintf(out, "Done in %s.\n", since(start))
	}
	return code
}

// printKubeconfig tells how to reach the control plane while the demo runs.
func printKubeconfig(out io.Writer, path, assets string) {
	fmt.Fprintf(out, "Kubeconfig (valid while the demo runs): %s\n", path)
	fmt.Fprintf(out, "  kubectl --kubeconfig %s get wukongsets,wukongs,resourcequotas\n", path)
	fmt.Fprintf(out, "  kubectl --kubeconfig %s get virtualmachines,datavolumes,network-attachment-definitions\n", path)
	fmt.Fprintf(out, "  (a matching kubectl is at %s)\n", filepath.Join(assets, "kubectl"))
}

// writeFileAtomic copies the file src to dst through a temporary file and a rename, so whoever waits for dst
// never reads it half written.
func writeFileAtomic(dst, src string) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".kubeconfig-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// since is the time since start, rounded for people.
func since(start time.Time) time.Duration { return time.Since(start).Round(100 * time.Millisecond) }
