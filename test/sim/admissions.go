package sim

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// VMAdmissions counts the simulated virt-api's answers to VirtualMachine admissions, by namespace, operation
// (CREATE, UPDATE) and whether the VM was allowed. Tests read it (the simulator runs in their process) to
// count how often an operator sends a VM that KubeVirt refuses: each test has a namespace of its own. It is
// registered in controller-runtime's metrics registry when the first simulator starts.
var VMAdmissions = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "sim_virt_api_vm_admissions_total",
	Help: "VirtualMachine admission reviews answered by the simulated virt-api, by namespace, operation and verdict.",
}, []string{"namespace", "operation", "allowed"})

var registerAdmissions sync.Once

func countAdmission(namespace, operation string, allowed bool) {
	registerAdmissions.Do(func() { ctrlmetrics.Registry.MustRegister(VMAdmissions) })
	verdict := "false"
	if allowed {
		verdict = "true"
	}
	VMAdmissions.WithLabelValues(namespace, operation, verdict).Inc()
}
