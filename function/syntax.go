package function

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"

	"github.com/dop251/goja/ast"
)

// checkProgram walks the compiled code's syntax tree, before goja compiles it, for what the
// runtime refuses at compile time: a BigInt literal (esbuild reports those first, see
// transform; this catches any it lets through) and a regular expression literal over the
// limits of regexp.go, which goja would otherwise compile however large. Positions are found
// in code, the function's own source, by the literal's text (the tree is of esbuild's output).
func checkProgram(name, code, runtime string, prog *ast.Program) error {
	var found error
	walkAST(reflect.ValueOf(prog), make(map[uintptr]bool), func(n any) bool {
		switch n := n.(type) {
		case *ast.RegExpLiteral:
			if _, err := analyzeRegexp(n.Pattern, n.Flags); err != nil {
				detail := err.Error()
				var le *regexpLimitError
				if errors.As(err, &le) {
					detail = le.detail
				}
				found = sourceError(name, code, n.Literal,
					fmt.Sprintf("regular expression %s is over the runtime's limits: %s", abbreviate(n.Literal), detail))
			}
		case *ast.NumberLiteral:
			if _, ok := n.Value.(*big.Int); ok {
				found = sourceError(name, code, n.Literal, bigIntMessage(runtime))
			}
		}
		return found == nil
	})
	return found
}

// bigIntMessage is the error for a BigInt literal. BigInt is not among the features of either
// runtime (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-10.html,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html).
func bigIntMessage(runtime string) string {
	return "BigInt literals are not supported in " + runtime
}

// sourceError is a CompileError at the first place text is in code (without a place when it
// is not there).
func sourceError(name, code, text, msg string) *CompileError {
	ce := &CompileError{Name: name, Msg: msg}
	if i := strings.Index(code, text); i >= 0 && text != "" {
		ce.Line = 1 + strings.Count(code[:i], "\n")
		ce.Column = i - strings.LastIndexByte(code[:i], '\n')
	}
	return ce
}

// abbreviate shortens a literal quoted in an error message.
func abbreviate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

var astPkg = reflect.TypeFor[ast.Program]().PkgPath()

// walkAST calls visit with every node of goja's syntax tree under v (pointers to structs of
// package ast, seen once each: declaration lists share nodes with the statements), until
// visit returns false.
func walkAST(v reflect.Value, seen map[uintptr]bool, visit func(any) bool) bool {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Type().Elem().PkgPath() != astPkg || v.Type().Elem().Kind() != reflect.Struct {
			return true
		}
		if seen[v.Pointer()] {
			return true
		}
		seen[v.Pointer()] = true
		if !visit(v.Interface()) {
			return false
		}
		return walkAST(v.Elem(), seen, visit)
	case reflect.Interface:
		if v.IsNil() {
			return true
		}
		return walkAST(v.Elem(), seen, visit)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if !walkAST(v.Field(i), seen, visit) {
				return false
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if !walkAST(v.Index(i), seen, visit) {
				return false
			}
		}
	}
	return true
}
