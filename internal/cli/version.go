package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/novasphere/wukong/internal/version"
)

func newVersionCommand() *cobra.Command {
	var (
		output string
		short  bool
	)
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, git commit and build date",
		Long: `Prints this binary's version, the git commit it was built from and the build date, as set by the
release build (make build), else as recorded by the Go toolchain ("unknown" when neither knows).`,
		Example: `  wukong version
  wukong version --short
  wukong version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.Get()
			out := cmd.OutOrStdout()
			switch {
			case short:
				_, err := fmt.Fprintln(out, info.Version)
				return err
			case output == "json":
				raw, err := json.MarshalIndent(info, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(out, "%s\n", raw)
				return err
			case output == "yaml":
				raw, err := yaml.Marshal(info)
				if err != nil {
					return err
				}
				_, err = out.Write(raw)
				return err
			case output != "":
				return fmt.Errorf("-o %q: want json or yaml", output)
			}
			w := tabwriter.NewWriter(out, 0, 4, 1, ' ', 0)
			fmt.Fprintf(w, "Version:\t%s\n", info.Version)
			fmt.Fprintf(w, "Git commit:\t%s\n", info.GitCommit)
			fmt.Fprintf(w, "Build date:\t%s\n", info.BuildDate)
			fmt.Fprintf(w, "Go version:\t%s\n", info.GoVersion)
			fmt.Fprintf(w, "Platform:\t%s\n", info.Platform)
			return w.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml (default: one field per line)")
	cmd.Flags().BoolVar(&short, "short", false, "print the version only")
	return cmd
}
