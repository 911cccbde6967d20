// Command wukong is the Wukong operator's one binary. Commands:
//
//	manager     run the controllers (Wukong, WukongSet)
//	create-vm   create one Wukong from a template for a StatefulSet pod (design route 2)
//	render      print the members a WukongSet would produce and their children, without a cluster
//	rollout     status, history, undo, pause and resume of a WukongSet's rollout
//	version     print the version, git commit and build date
//
// Installed as kubectl-wukong on $PATH, the same binary is the kubectl plugin "kubectl wukong". See
// docs/cli.md.
package main

import (
	"os"

	"github.com/novasphere/wukong/internal/cli"
	"github.com/novasphere/wukong/internal/cli/render"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdout, os.Stderr, newManagerCommand(), newCreateVMCommand(), render.NewCommand()))
}
