package config

import (
	"fmt"
	"strings"
)

// FieldError is one problem in a configuration, tied to the place it was found.
//
// Path is the TOML path of the offending key with array indices
// ("distribution[0].behavior[2].path_pattern"); for syntax errors, where no key is known, it
// is "file:line:column". Msg says what is wrong and, where useful, what is allowed.
type FieldError struct {
	Path string
	Msg  string
}

// Error returns "path: msg".
func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errors is every problem found in one configuration, in the order they appear in it.
// Parse, Load, Default and Validate return a non-empty Errors (never an empty one) as their
// error; use errors.As to get it back.
type Errors []FieldError

// Error returns one "path: msg" line per problem.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns each FieldError as an error, so errors.As finds a FieldError too.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Has reports whether some error has exactly this path.
func (es Errors) Has(path string) bool {
	for _, e := range es {
		if e.Path == path {
			return true
		}
	}
	return false
}

// errs collects FieldErrors while walking a configuration.
type errs struct{ list Errors }

func (e *errs) add(path, format string, args ...any) {
	e.list = append(e.list, FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// err returns the collected errors, or a true nil when there are none.
func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}

// idx formats an indexed path element: idx("distribution", 0) is "distribution[0]".
func idx(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }
