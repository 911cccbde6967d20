package template

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func newEngine(tb testing.TB) *Engine {
	tb.Helper()
	e, err := NewEngine()
	if err != nil {
		tb.Fatalf("NewEngine: %v", err)
	}
	return e
}

var web3 = Vars{Index: 3, Name: "web-3", Set: "web", Namespace: "prod", Replicas: 5}

func TestExpandString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"no variables", "plain text", "plain text"},
		{"INDEX", "${INDEX}", "3"},
		{"NAME", "${NAME}", "web-3"},
		{"SET", "${SET}", "web"},
		{"NAMESPACE", "${NAMESPACE}", "prod"},
		{"REPLICAS", "${REPLICAS}", "5"},
		{"addition", "192.168.1.${INDEX+100}/24", "192.168.1.103/24"},
		{"arithmetic", "${(INDEX * 2 + 1) % REPLICAS}", "2"},
		{"negative", "${INDEX - 10}", "-7"},
		{"fqdn", "${NAME}.example.com", "web-3.example.com"},
		{"several variables", "${SET}-${INDEX * 2}.${NAMESPACE}/${REPLICAS - INDEX - 1}", "web-6.prod/1"},
		{"ternary", "${INDEX % 2 == 0 ? 'even' : 'odd'}", "odd"},
		{"ternary on name", "${NAME.endsWith('-0') ? 'primary' : 'replica'}", "replica"},
		{"size", "${NAME.size()}", "5"},
		{"upperAscii", "${NAME.upperAscii()}", "WEB-3"},
		{"replace", "${NAME.replace('-', '_')}", "web_3"},
		{"split and index", "${NAME.split('-')[0]}", "web"},
		{"format", "${'%s/%d'.format([SET, INDEX])}", "web/3"},
		{"int to string", "${string(INDEX) + 'x'}", "3x"},
		{"bool", "${INDEX > 2}", "true"},
		{"uint", "${uint(INDEX)}", "3"},
		{"double", "${double(INDEX) / 2.0}", "1.5"},
		{"whole double", "${100.0}", "100"},
		{"large double", "${1e21}", "1e+21"},
		{"dyn scalar", "${dyn(INDEX)}", "3"},
		{"escape", "$${INDEX}", "${INDEX}"},
		{"escape and variable", "$${INDEX} is ${INDEX}", "${INDEX} is 3"},
		{"dollars without brace", "costs $5, $$6", "costs $5, $$6"},
		{"map literal", "${ {'a': 'x}'}['a'] }", "x}"},
		{"brace inside string", "${NAME + '}'}", "web-3}"},
	}
	e := newEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.ExpandString(tt.in, web3)
			if err != nil {
				t.Fatalf("ExpandString(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ExpandString(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExpandStringErrors(t *testing.T) {
	bigList := "[" + strings.Repeat("0,", 99) + "0]"
	tests := []struct {
		name     string
		in       string
		wantExpr string // the Error's Expr
		wantIs   error  // when set, errors.Is must hold
		wantMsg  string // substring of the message
	}{
		{"syntax", "a-${INDEX +}", "INDEX +", nil, `expression "INDEX +": Syntax error`},
		{"undeclared", "${FOO}", "FOO", nil, "undeclared reference to 'FOO'"},
		{"type mismatch", "${NAME + 1}", "NAME + 1", nil, "no matching overload"},
		{"list", "${[INDEX]}", "[INDEX]", errNotScalar, "list(int)"},
		{"map", "${ {'a': INDEX} }", "{'a': INDEX}", errNotScalar, "map(string, int)"},
		{"null", "${null}", "null", errNotScalar, "null"},
		{"bytes", "${b'abc'}", "b'abc'", errNotScalar, "bytes"},
		{"dyn list at run time", "${dyn([INDEX])}", "dyn([INDEX])", errNotScalar, "list"},
		{"division by zero", "${NAME.size() / 0}", "NAME.size() / 0", nil, "division by zero"},
		{"modulus by zero", "${INDEX % (REPLICAS - 5)}", "INDEX % (REPLICAS - 5)", nil, "modulus by zero"},
		{"index out of bounds", "${NAME.split('-')[5]}", "NAME.split('-')[5]", nil, "index out of bounds"},
		// INDEX keeps the optimiser from folding the whole expression into a constant at compile time.
		{"cost limit", "${" + bigList + ".map(a, " + bigList + ".map(b, " + bigList + ".filter(c, c == INDEX))).size()}", "",
			nil, "cost limit exceeded"},
		{"unterminated", "web-${INDEX", "", errUnterminated, `unterminated "${" at offset 4`},
		{"empty", "${}", "", errEmpty, "empty expression"},
	}
	e := newEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.ExpandString(tt.in, web3)
			if err == nil {
				t.Fatalf("ExpandString(%q) = %q, want an error", tt.in, got)
			}
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			if tt.wantExpr != "" && te.Expr != tt.wantExpr {
				t.Errorf("Expr = %q, want %q", te.Expr, tt.wantExpr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines; it must fit a condition message", err)
			}
		})
	}
}

func TestProgramsAreCompiledOnce(t *testing.T) {
	e := newEngine(t)
	for i := range int64(1000) {
		vars := Vars{Index: i, Name: fmt.Sprintf("web-%d", i), Set: "web", Replicas: 1000}
		if _, err := e.ExpandString("${NAME}.${INDEX+100}.${INDEX+100}", vars); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ExpandString("${INDEX +}", vars); err == nil {
			t.Fatal("want a syntax error")
		}
	}
	// Failed compiles are cached as well, so a broken set does not recompile per member.
	if got, want := len(e.programs), 3; got != want {
		t.Errorf("cached programs = %d, want %d", got, want)
	}
}

func TestEngineConcurrentUse(t *testing.T) {
	e := newEngine(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range int64(100) {
				vars := Vars{Index: i, Name: fmt.Sprintf("web-%d", i)}
				in := fmt.Sprintf("${INDEX + %d}", i%5)
				got, err := e.ExpandString(in, vars)
				if err == nil && got != fmt.Sprint(i+i%5) {
					err = fmt.Errorf("goroutine %d: %s = %q", g, in, got)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
