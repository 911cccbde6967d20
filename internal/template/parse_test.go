package template

import (
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	lit := func(s string) segment { return segment{text: s} }
	expr := func(s string) segment { return segment{text: s, expr: true} }
	tests := []struct {
		name string
		in   string
		want []segment
	}{
		{"empty", "", nil},
		{"plain", "web", []segment{lit("web")}},
		{"lone dollars", "a $ b $$ c $", []segment{lit("a $ b $$ c $")}},
		{"dollar before brace without dollar", "a{b}", []segment{lit("a{b}")}},
		{"only expression", "${INDEX}", []segment{expr("INDEX")}},
		{"surrounded", "10.0.${INDEX+100}/24", []segment{lit("10.0."), expr("INDEX+100"), lit("/24")}},
		{"two expressions", "${SET}-${INDEX}", []segment{expr("SET"), lit("-"), expr("INDEX")}},
		{"whitespace trimmed", "${ INDEX * 2 }", []segment{expr("INDEX * 2")}},
		{"escape", "$${INDEX}", []segment{lit("${INDEX}")}},
		{"escape then expression", "$${X}=${INDEX}", []segment{lit("${X}="), expr("INDEX")}},
		{"three dollars is dollar and escape", "$$${X}", []segment{lit("$${X}")}},
		{"map literal braces", "${ {'a': 1}['a'] }", []segment{expr("{'a': 1}['a']")}},
		{"brace in single quotes", "${NAME + '}'}!", []segment{expr("NAME + '}'"), lit("!")}},
		{"brace in double quotes", `${NAME + "}{"}`, []segment{expr(`NAME + "}{"`)}},
		{"escaped quote", `${'it\'s }'}`, []segment{expr(`'it\'s }'`)}},
		{"triple quotes", `${'''a ' } '''}`, []segment{expr(`'''a ' } '''`)}},
		{"raw string backslash", `${r'\'}x`, []segment{expr(`r'\'`), lit("x")}},
		{"raw bytes", `${string(br'\')}`, []segment{expr(`string(br'\')`)}},
		{"quote after identifier ending in r is not raw", `${bar'\''}`, []segment{expr(`bar'\''`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.in)
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parse(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"no closing brace", "a-${INDEX", errUnterminated},
		{"only opener", "${", errUnterminated},
		{"unclosed nested brace", "${ {'a': 1 }", errUnterminated},
		{"unclosed string", "${NAME + '}", errUnterminated},
		{"empty", "a${}b", errEmpty},
		{"blank", "${   }", errEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Errorf("parse(%q) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestHasVariables(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"web-0", false},
		{"$ {INDEX}", false},
		{"${INDEX}", true},
		{"a-${INDEX}", true},
		{"$${INDEX}", false},
		{"$${A} and ${INDEX}", true},
		{"$${A} and $${B}", false},
		{"$$${A}", false},
		{"${INDEX", true}, // unterminated: rendering reports it
	}
	for _, tt := range tests {
		if got := HasVariables(tt.in); got != tt.want {
			t.Errorf("HasVariables(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
