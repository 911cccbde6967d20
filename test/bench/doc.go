// Package bench measures how fast the operator turns a new WukongSet of N members into N Ready Wukongs,
// against the apiserver's own speed. It runs the built binaries as processes (bin/wukong manager and
// bin/kubevirt-sim, from `make build`) against a real kube-apiserver and etcd, as a cluster would, and
// compares them with a floor measured in the same run on the same apiserver: the same N member objects
// created directly by 16 parallel workers with no client-side throttling.
//
// Run it with `make bench` (it is not part of `make test`: one run takes minutes on a small machine). Extra
// manager flags, and a folder to keep the processes' logs in, go after -args, for example
//
//	make bench TESTARGS='-args -manager-flags=--kube-api-qps=-1 -log-dir=/tmp/bench'
//
// It prints, per N, the time until every member exists and until the set reports every member Ready (each
// also as a multiple of the floor), when the members' own Ready conditions turned True, writes per member
// counted by the apiserver itself (apiserver_request_total), the manager's peak resident memory, the CPU
// time each process and the whole machine used, and the apiserver's request table by verb and resource. It reports; it does not assert the targets, because the
// machine that runs it is noisy. It fails only when the set does not become Ready at all.
package bench
