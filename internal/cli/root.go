// Package cli assembles Wukong's command line: the root command of the one wukong binary, named after how it
// was invoked (wukong, or "kubectl wukong" when installed as the kubectl plugin kubectl-wukong), with the
// commands the binary brings (manager, create-vm, render) and the ones this package adds (rollout, version).
//
// Exit codes: 0 on success and for --help, 1 when a command fails or a flag or argument is wrong, 2 when no
// command or an unknown command is named (as before the move to cobra).
package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/novasphere/wukong/internal/cli/rollout"
	"github.com/novasphere/wukong/internal/version"
)

// Name is the binary's name when it is not invoked as a kubectl plugin.
const Name = "wukong"

// pluginPrefix is how kubectl finds plugins on $PATH: kubectl-foo runs as "kubectl foo".
const pluginPrefix = "kubectl-"

// DisplayName is the command name help and errors show for a binary invoked as argv0: "kubectl wukong" for
// kubectl-wukong (kubectl maps an underscore in a plugin's file name to a dash), else "wukong".
func DisplayName(argv0 string) string {
	base := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	if plugin, ok := strings.CutPrefix(base, pluginPrefix); ok && plugin != "" {
		return "kubectl " + strings.ReplaceAll(plugin, "_", "-")
	}
	return Name
}

// NewRoot builds the root command for a binary invoked as argv0, with commands (the binary's own) plus
// rollout and version.
func NewRoot(argv0 string, commands ...*cobra.Command) *cobra.Command {
	display := DisplayName(argv0)
	root := &cobra.Command{
		Use:   strings.ReplaceAll(display, " ", "-"),
		Short: "Batch virtual machines on KubeVirt",
		Long: `Wukong creates KubeVirt virtual machines from templates: a Wukong is one VM, a WukongSet keeps N of
them from one template with rolling updates.

This one binary is the operator (manager), the StatefulSet container (create-vm), an offline preview
(render) and the client for WukongSet rollouts (rollout). Installed as kubectl-wukong on $PATH it is also
the kubectl plugin "kubectl wukong". See docs/cli.md.`,
		Version:       version.Get().String(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	if display != Name {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: display}
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &flagError{err: err, help: c.CommandPath() + " --help"}
	})
	root.AddCommand(commands...)
	root.AddCommand(rollout.NewCommand(), newVersionCommand())
	groups(root)
	if display != Name {
		renameExamples(root, display)
	}
	return root
}

// Main runs the command line for argv (argv[0] is the binary) and returns the exit code.
func Main(argv []string, stdout, stderr io.Writer, commands ...*cobra.Command) int {
	root := NewRoot(argv[0], commands...)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(acceptGoFlagSyntax(root, argv[1:]))
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	if cmd == nil {
		cmd = root
	}
	var usage *usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "%s: %v\n\n%s", cmd.CommandPath(), err, cmd.UsageString())
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	var flagErr *flagError
	if errors.As(err, &flagErr) {
		fmt.Fprintf(stderr, "See '%s' for usage.\n", flagErr.help)
	}
	return 1
}

// usageError is a command line that names no runnable command: exit code 2 with the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// flagError is a flag the command does not know or a value it cannot parse.
type flagError struct {
	err  error
	help string
}

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

// groups makes every command that only holds subcommands (the root, rollout) fail with exit code 2 when
// run alone or with an unknown subcommand, instead of cobra's default of printing help and exiting 0.
func groups(cmd *cobra.Command) {
	if cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
			if c.SuggestionsMinimumDistance <= 0 {
				c.SuggestionsMinimumDistance = 2 // cobra's own default, which it applies only to the root
			}
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
			}
			return &usageError{msg: msg}
		}
		cmd.RunE = func(*cobra.Command, []string) error {
			return &usageError{msg: "no command given"}
		}
	}
	for _, sub := range cmd.Commands() {
		groups(sub)
	}
}

var exampleCommand = regexp.MustCompile(`(?m)^(\s*)` + Name + ` `)

// renameExamples writes the examples as the plugin is typed: "kubectl wukong rollout status web".
func renameExamples(cmd *cobra.Command, display string) {
	cmd.Example = exampleCommand.ReplaceAllString(cmd.Example, "${1}"+display+" ")
	for _, sub := range cmd.Commands() {
		renameExamples(sub, display)
	}
}

// AnnotationGoFlagSyntax marks a command that also accepts the standard library flag package's syntax, which
// it used before the move to cobra and pflag: a long flag after one dash (-template=x, -kubeconfig x) and a
// one-letter flag after two (--f x). Set it to "true" on such commands.
const AnnotationGoFlagSyntax = "wukong.novasphere.dev/go-flag-syntax"

// acceptGoFlagSyntax rewrites args for a command marked with AnnotationGoFlagSyntax into pflag's syntax:
// "-name" becomes "--name" when name is one of the command's long flags, "--f" becomes "-f" when f is one of
// its shorthands. Values (the word after a flag that takes one) and everything after "--" are left alone,
// as are the arguments of every other command.
func acceptGoFlagSyntax(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd.Annotations[AnnotationGoFlagSyntax] != "true" {
		return args
	}
	_ = cmd.InheritedFlags() // merges the parents' persistent flags into cmd.Flags()
	fs := cmd.Flags()
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(out, args[i:]...)
		}
		if len(arg) < 2 || arg[0] != '-' {
			out = append(out, arg)
			continue
		}
		dashes := 1
		if arg[1] == '-' {
			dashes = 2
		}
		name, _, hasValue := strings.Cut(arg[dashes:], "=")
		var f *pflag.Flag
		switch {
		case dashes == 1 && len(name) > 1:
			if f = fs.Lookup(name); f != nil {
				arg = "-" + arg
			}
		case dashes == 1:
			f = fs.ShorthandLookup(name)
		case len(name) == 1 && fs.Lookup(name) == nil:
			if f = fs.ShorthandLookup(name); f != nil {
				arg = arg[1:]
			}
		default:
			f = fs.Lookup(name)
		}
		out = append(out, arg)
		// A flag that takes a value and was not given one with "=" takes the next word, whatever it looks like.
		if f != nil && !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}
