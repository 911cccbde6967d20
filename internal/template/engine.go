// Package template renders a WukongSet's member template: every string may hold variables written ${EXPR},
// where EXPR is a CEL expression over INDEX, NAME, SET, NAMESPACE and REPLICAS. It is the one renderer; the
// set controller, the CLI and validation all go through an Engine so a template means the same everywhere.
package template

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
)

// Variable names as written in templates.
const (
	VarIndex     = "INDEX"
	VarName      = "NAME"
	VarSet       = "SET"
	VarNamespace = "NAMESPACE"
	VarReplicas  = "REPLICAS"
)

const (
	// costLimit bounds one evaluation. Templates come from users and run in the controller once per member,
	// so a comprehension over a large literal must not stall reconciles; the figure is the per-expression
	// limit the apiserver applies to CRD validation rules.
	costLimit = 1_000_000

	// maxCachedPrograms bounds the program cache. A set uses a handful of expressions, but the operator runs
	// for months while templates are edited, and every edit adds entries that are never used again.
	maxCachedPrograms = 10_000
)

var errNotScalar = errors.New("result cannot be rendered as a string; want int, uint, double, string or bool")

// Vars are the values one member's template is rendered with.
type Vars struct {
	// Index is the member's index in its set (INDEX).
	Index int64
	// Name is the member's name, such as web-0 (NAME).
	Name string
	// Set is the WukongSet's name (SET).
	Set string
	// Namespace is the set's namespace (NAMESPACE).
	Namespace string
	// Replicas is the set's desired number of members (REPLICAS).
	Replicas int64
}

// Engine compiles and caches CEL programs by expression text: a 1,000-member set reuses the same few
// expressions, and compiling is far dearer than evaluating. Safe for concurrent use; the zero value is not
// usable, call NewEngine.
type Engine struct {
	env *cel.Env

	mu       sync.RWMutex
	programs map[string]compiled
}

// compiled is a cache entry. Compile errors are cached too, so a broken template costs one compile per
// expression rather than one per member.
type compiled struct {
	prg cel.Program
	err error
}

// NewEngine returns an Engine whose expressions see the template variables, the CEL standard library and the
// strings extension (upperAscii, replace, split, format, ...).
func NewEngine() (*Engine, error) {
	env, err := cel.NewEnv(
		cel.Variable(VarIndex, cel.IntType),
		cel.Variable(VarName, cel.StringType),
		cel.Variable(VarSet, cel.StringType),
		cel.Variable(VarNamespace, cel.StringType),
		cel.Variable(VarReplicas, cel.IntType),
		ext.Strings(),
	)
	if err != nil {
		return nil, fmt.Errorf("create CEL environment: %w", err)
	}
	return &Engine{env: env, programs: make(map[string]compiled)}, nil
}

// Error is one bad template string. Render returns one; Check returns all of them as an ErrorList.
type Error struct {
	// Path is the field, in JSON names, such as spec.networks[0].ipConfig.address; empty for ExpandString.
	Path string
	// Expr is the expression's text without "${" and "}"; empty when the string could not be split into
	// expressions (an unterminated "${").
	Expr string
	// Err is what went wrong.
	Err error
}

// Error formats as "<path>: expression "<expr>": <err>", leaving out the parts that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Expr != "" {
		fmt.Fprintf(&b, "expression %q: ", e.Expr)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying CEL or parse error.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every bad template string Check found, so a user can fix them all in one edit.
type ErrorList []*Error

// Error joins the errors with "; " so the list fits a condition message on one line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap lets errors.Is and errors.As see every error in the list.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// ExpandString expands the variables in s for vars and resolves "$${" escapes. Errors are *Error values.
func (e *Engine) ExpandString(s string, vars Vars) (string, error) {
	out, errs := e.expand(s, &vars)
	if len(errs) > 0 {
		return "", errs[0]
	}
	return out, nil
}

// expand renders s for vars, or, when vars is nil, only compiles its expressions and reports every error
// rather than the first: that is Check's mode. Errors carry no Path; the template walker adds it.
func (e *Engine) expand(s string, vars *Vars) (string, []*Error) {
	segs, err := parse(s)
	if err != nil {
		return "", []*Error{{Err: err}}
	}
	var (
		b    strings.Builder
		errs []*Error
	)
	for _, seg := range segs {
		if !seg.expr {
			b.WriteString(seg.text)
			continue
		}
		prg, err := e.program(seg.text)
		if err != nil {
			errs = append(errs, &Error{Expr: seg.text, Err: err})
			if vars == nil {
				continue
			}
			return "", errs
		}
		if vars == nil {
			continue
		}
		val, _, err := prg.Eval(activation{vars})
		if err == nil {
			err = appendScalar(&b, val)
		}
		if err != nil {
			return "", []*Error{{Expr: seg.text, Err: err}}
		}
	}
	return b.String(), errs
}

// program returns the cached program for expr, compiling it on first use.
func (e *Engine) program(expr string) (cel.Program, error) {
	e.mu.RLock()
	c, ok := e.programs[expr]
	e.mu.RUnlock()
	if ok {
		return c.prg, c.err
	}
	// Two goroutines may compile the same expression at once; both results are equivalent, so the race only
	// costs a duplicate compile and is cheaper than holding the lock across compilation.
	c.prg, c.err = e.compile(expr)
	e.mu.Lock()
	if len(e.programs) >= maxCachedPrograms {
		clear(e.programs)
	}
	e.programs[expr] = c
	e.mu.Unlock()
	return c.prg, c.err
}

func (e *Engine) compile(expr string) (cel.Program, error) {
	ast, iss := e.env.Compile(expr)
	if iss.Err() != nil {
		// Issues.Err renders a multi-line snippet with a caret; one line per issue reads better in a
		// condition message and the column still points at the mistake.
		msgs := make([]string, 0, len(iss.Errors()))
		for _, ie := range iss.Errors() {
			msgs = append(msgs, fmt.Sprintf("%s (column %d)", ie.Message, ie.Location.Column()+1))
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	// Reject lists, maps, null and the like before any member is rendered; dyn results are checked at
	// evaluation instead.
	switch ast.OutputType().Kind() {
	case types.IntKind, types.UintKind, types.DoubleKind, types.StringKind, types.BoolKind,
		types.DynKind, types.AnyKind, types.TypeParamKind:
	default:
		return nil, fmt.Errorf("result type %s: %w", ast.OutputType(), errNotScalar)
	}
	prg, err := e.env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(costLimit))
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return prg, nil
}

// appendScalar writes val the way a user reading the template expects: integers in decimal, doubles in the
// shortest form that round-trips.
func appendScalar(b *strings.Builder, val ref.Val) error {
	switch v := val.(type) {
	case types.String:
		b.WriteString(string(v))
	case types.Int:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case types.Uint:
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	case types.Bool:
		b.WriteString(strconv.FormatBool(bool(v)))
	case types.Double:
		b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 64))
	default:
		return fmt.Errorf("result type %s: %w", val.Type().TypeName(), errNotScalar)
	}
	return nil
}

// activation resolves the template variables straight from Vars; it saves building a map per evaluation,
// which at a thousand members and several expressions each is most of the rendering cost.
type activation struct{ vars *Vars }

func (a activation) ResolveName(name string) (any, bool) {
	switch name {
	case VarIndex:
		return types.Int(a.vars.Index), true
	case VarName:
		return types.String(a.vars.Name), true
	case VarSet:
		return types.String(a.vars.Set), true
	case VarNamespace:
		return types.String(a.vars.Namespace), true
	case VarReplicas:
		return types.Int(a.vars.Replicas), true
	}
	return nil, false
}

func (activation) Parent() interpreter.Activation { return nil }
