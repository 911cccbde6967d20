// Command apidocs prints docs/api.md, the field reference of Wukong and WukongSet, from the generated CRDs
// in config/crd/bases (so the reference says exactly what the apiserver enforces) and the hand-written prose
// in this folder:
//
//	go run ./hack/apidocs > docs/api.md
//
// test/install fails when docs/api.md differs from what this prints.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	crds := flag.String("crds", "config/crd/bases", "folder of the generated CRDs")
	flag.Parse()
	out, err := render(*crds)
	if err != nil {
		fmt.Fprintf(os.Stderr, "apidocs: %v\n", err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(out); err != nil {
		fmt.Fprintf(os.Stderr, "apidocs: %v\n", err)
		os.Exit(1)
	}
}
