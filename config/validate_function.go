package config

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Function and key value store names match [a-zA-Z0-9-_]{1,64}, and a store's comment is at
// most 128 characters
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateFunction.html,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateKeyValueStore.html);
// a function uses at most one key value store (the quotas,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
const (
	maxFunctionNameLen      = 64
	maxKeyValueStoreComment = 128
	maxStoresPerFunction    = 1
)

// checkFunctionName checks the name of a function or key value store (what says which) and
// records it in seen (name -> path of its first use).
func checkFunctionName(e *errs, p, what, name string, seen map[string]string) {
	switch {
	case name == "":
		e.add(p, "is required")
	case len(name) > maxFunctionNameLen || !allChars(name, isIDChar):
		e.add(p, "must be 1 to %d letters, digits, '-' and '_', not %q", maxFunctionNameLen, name)
	case seen[name] != "":
		e.add(p, "duplicate %s name %q (also %s)", what, name, seen[name])
	default:
		seen[name] = p
	}
}

// validateFunctions checks the [[function]] tables: names, runtime, the code (exactly one of
// code and code_file, readable, at most 10 KB) and the key value store they use.
func (c *Config) validateFunctions(e *errs) {
	seen := map[string]string{}
	for i := range c.Functions {
		f := &c.Functions[i]
		p := idx("function", i)
		checkFunctionName(e, p+".name", "function", f.Name, seen)
		switch f.Runtime {
		case "", RuntimeJS10, RuntimeJS20:
		default:
			e.add(p+".runtime", "must be %s or %s, not %q", RuntimeJS20, RuntimeJS10, f.Runtime)
		}
		switch {
		case f.InlineCode != "" && f.CodeFile != "":
			e.add(p+".code_file", "cannot be set together with code; use one")
		case f.InlineCode == "" && f.CodeFile == "" && len(f.Code) == 0:
			e.add(p+".code", "one of code (the JavaScript source) or code_file is required")
		case f.loadErr != "":
			e.add(p+".code_file", "%s", f.loadErr)
		case f.InlineCode != "" && len(f.InlineCode) > MaxFunctionCodeSize:
			e.add(p+".code", "%s", codeSizeProblem(int64(len(f.InlineCode))))
		case len(f.Code) > MaxFunctionCodeSize:
			key := ".code"
			if f.CodeFile != "" {
				key = ".code_file"
			}
			e.add(p+key, "%s", codeSizeProblem(int64(len(f.Code))))
		}
		f.validateStores(e, p+".key_value_store", c)
	}
}

// validateStores checks a function's key_value_store: at most one, naming a
// [[key_value_store]], on runtime 2.0 ("To use CloudFront KeyValueStore, your CloudFront
// function must use JavaScript runtime 2.0",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-function-restrictions.html).
func (f *Function) validateStores(e *errs, p string, c *Config) {
	n := len(f.KeyValueStores)
	if n == 0 {
		return
	}
	if n > maxStoresPerFunction {
		e.add(p, "a function can use at most %d key value store, got %d (%s)",
			maxStoresPerFunction, n, strings.Join(f.KeyValueStores, ", "))
	}
	for i, name := range f.KeyValueStores {
		sp := p
		if n > 1 {
			sp = idx(p, i)
		}
		switch {
		case name == "":
			e.add(sp, "must be the name of a [[key_value_store]]")
		default:
			if _, ok := c.KeyValueStoreByName(name); !ok {
				e.add(sp, "%q is not the name of a [[key_value_store]]", name)
			}
		}
	}
	if f.Runtime == RuntimeJS10 {
		e.add(p, "needs runtime %s: %s functions cannot read a key value store", RuntimeJS20, RuntimeJS10)
	}
}

// validateKeyValueStores checks the [[key_value_store]] tables: names, comment, the data file
// (readable, in the import format) and CloudFront's limits on keys, values and the store.
func (c *Config) validateKeyValueStores(e *errs) {
	seen := map[string]string{}
	for i := range c.KeyValueStores {
		s := &c.KeyValueStores[i]
		p := idx("key_value_store", i)
		checkFunctionName(e, p+".name", "key value store", s.Name, seen)
		if n := utf8.RuneCountInString(s.Comment); n > maxKeyValueStoreComment {
			e.add(p+".comment", "must be at most %d characters, got %d", maxKeyValueStoreComment, n)
		}
		problems := s.loadErrs
		if len(problems) == 0 {
			problems = s.dataProblems()
		}
		for j, msg := range problems {
			if j == maxKeyValueStoreErrors {
				e.add(p+".data_file", "and %d more problems", len(problems)-j)
				break
			}
			e.add(p+".data_file", "%s", msg)
		}
	}
}

// dataProblems checks Data against CloudFront's limits: non-empty keys of at most 512 bytes,
// no key twice (an import file "can't include duplicate keys"), values of at most 1 KB and
// keys and values at most 5 MB in all.
func (s *KeyValueStore) dataProblems() []string {
	prefix := ""
	if s.DataFile != "" {
		prefix = fmt.Sprintf("%q: ", s.DataFile)
	}
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, prefix+fmt.Sprintf(format, args...))
	}
	first := make(map[string]int, len(s.Data))
	total := 0
	for i, kv := range s.Data {
		total += len(kv.Key) + len(kv.Value)
		switch {
		case kv.Key == "":
			add("data[%d].key must not be empty", i)
		case len(kv.Key) > MaxKeyValueKeySize:
			add("data[%d].key is %d bytes; keys may be at most %d bytes", i, len(kv.Key), MaxKeyValueKeySize)
		default:
			if j, dup := first[kv.Key]; dup {
				add("data[%d].key: duplicate key %q (also data[%d])", i, truncate(kv.Key, 40), j)
			} else {
				first[kv.Key] = i
			}
		}
		if len(kv.Value) > MaxKeyValueValueSize {
			add("data[%d].value is %d bytes; values may be at most %d bytes (1 KB)", i, len(kv.Value), MaxKeyValueValueSize)
		}
	}
	if total > MaxKeyValueStoreSize {
		add("keys and values are %d bytes in all; a store may hold at most %d bytes (5 MB)", total, MaxKeyValueStoreSize)
	}
	return problems
}

// validateFunctionAssociations checks a behavior's function_association entries: a viewer
// event type (CloudFront Functions never run at origin events: "Associate functions with
// distributions", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/associate-function.html),
// a [[function]] name, and at most one function per event type.
func (b *Behavior) validateFunctionAssociations(e *errs, p string, c *Config) {
	events := map[string]string{} // event type -> path of its first association
	for i, a := range b.FunctionAssociations {
		ap := idx(p+".function_association", i)
		switch a.EventType {
		case EventViewerRequest, EventViewerResponse:
			if first, dup := events[a.EventType]; dup {
				e.add(ap+".event_type", "a behavior can have one function per event type; %s is already associated by %s",
					a.EventType, first)
			} else {
				events[a.EventType] = ap
			}
		case EventOriginRequest, EventOriginResponse:
			e.add(ap+".event_type", "%s is not allowed: CloudFront Functions only run at viewer events (viewer-request, viewer-response); origin events are for Lambda@Edge",
				a.EventType)
		case "":
			e.add(ap+".event_type", "is required: viewer-request or viewer-response")
		default:
			e.add(ap+".event_type", "must be viewer-request or viewer-response, not %q", a.EventType)
		}
		switch {
		case a.Function == "":
			e.add(ap+".function", "is required: the name of a [[function]]")
		default:
			if _, ok := c.FunctionByName(a.Function); !ok {
				e.add(ap+".function", "%q is not the name of a [[function]]", a.Function)
			}
		}
	}
}
