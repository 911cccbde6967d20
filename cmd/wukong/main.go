// Command wukong is the Wukong operator's one binary. Subcommands:
//
//	manager     run the controllers (Wukong, WukongSet)
//	create-vm   create one Wukong from a template for a StatefulSet pod (design route 2)
//	render      print the members a WukongSet would produce, without a cluster
package main

import (
	"fmt"
	"os"
)

type subcommand struct {
	name, summary string
	run           func(args []string) error
}

func subcommands() []subcommand {
	return []subcommand{
		{"manager", "run the Wukong and WukongSet controllers", runManager},
		{"create-vm", "create one Wukong from a template for a StatefulSet pod, and report its readiness", runCreateVM},
		{"render", "print the members a WukongSet would produce, validated offline", runRender},
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: wukong <subcommand> [flags]\n\nsubcommands:")
	for _, c := range subcommands() {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	for _, c := range subcommands() {
		if c.name == os.Args[1] {
			if err := c.run(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "wukong %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	usage()
	os.Exit(2)
}
