// Package bench measures how fast the operator turns a new WukongSet of N members into N Ready Wukongs,
// against two floors measured in the same run on the same apiserver. It runs the built binaries as
// processes (bin/wukong manager and bin/kubevirt-sim, from `make build`) against a real kube-apiserver and
// etcd, as a cluster would.
//
//   - The bare floor: the same N member objects created directly by 16 parallel workers with no client-side
//     throttling, before anything else runs. "All created" is compared with it.
//   - The fair floor: what an ideal operator must write per member — the member, its cloud-init Secret, its
//     DataVolumes and its VirtualMachine (built by the operator's own pure builders), and one status write
//     once its VM instance runs — done directly by 16 parallel workers with the simulator running and the
//     manager not yet started, timed until every member's status is written. "All Ready" is compared with
//     it. Everything it made is deleted before the manager starts.
//
// Run it with `make bench` (it is not part of `make test`: one run takes minutes on a small machine); the
// set sizes are BENCH_N (default 100,1000; `make bench BENCH_N=100,1000,10000` adds 10,000). Extra manager
// flags, and a folder to keep the processes' logs in, go after -args, for example
//
//	make bench TESTARGS='-args -manager-flags=--kube-api-qps=-1 -log-dir=/tmp/bench'
//
// It prints, per N, both floors, the time until every member exists and until the set reports every member
// Ready as ratios to them, when the first 10% of the members were Ready, writes and dry runs per member by
// writer counted by the apiserver itself (apiserver_request_total), the manager's peak resident memory and
// CPU time, the manager's reconciles and work-queue adds per controller (wukong, wukongset) read from its own
// metrics (controller_runtime_reconcile_total, workqueue_adds_total; it serves them over plain HTTP on a
// free loopback port), and the apiserver's request table by verb and resource; it ends with one
// BENCH_SUMMARY line per N, whose last fields are set_reconciles (the WukongSet controller's reconciles)
// and wukong_reconciles_per_member (both -1 when the manager's metrics could not be read, as when
// -manager-flags sets its own --metrics-bind-address). It reports; it does not assert the targets, because the machine that runs it is noisy. It fails only
// when the set does not become Ready at all.
//
// TestOperatorRequests (part of `make test`) holds the operator to its request budget, counted by the
// apiserver's audit log of the manager's own user (the manager runs as config/rbac's ServiceAccount): a
// 100-member set's creation may cost at most 5 writes per member for the members (the fair floor's ideal
// operator: member, VM, DataVolume, Secret, one status write) plus a few for the set as a whole (revision,
// events, and its status at most every 2 seconds), at most 0.01 dry runs per member, and once the set is
// Ready nothing at all, a resync by a restarted manager included.
package bench
