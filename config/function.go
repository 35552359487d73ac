package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// CloudFront Functions runtimes (FunctionConfig.Runtime,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_FunctionConfig.html).
const (
	RuntimeJS10 = "cloudfront-js-1.0"
	RuntimeJS20 = "cloudfront-js-2.0"
)

// Event types of a function association (FunctionAssociation.EventType,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_FunctionAssociation.html).
// The enumeration also has the origin events, which only Lambda@Edge can use: CloudFront
// Functions run at viewer events only.
const (
	EventViewerRequest  = "viewer-request"
	EventViewerResponse = "viewer-response"
	EventOriginRequest  = "origin-request"
	EventOriginResponse = "origin-response"
)

// Function is a CloudFront Function ([[function]]): JavaScript that a behavior runs at a viewer
// event (FunctionConfig and FunctionCode of CreateFunction,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateFunction.html).
type Function struct {
	// Name identifies the function: 1 to 64 letters, digits, '-' and '_'. Behaviors'
	// function_association entries refer to it.
	Name string `toml:"name"`
	// Runtime is "cloudfront-js-2.0" (the default) or "cloudfront-js-1.0".
	Runtime string `toml:"runtime"`
	Comment string `toml:"comment"`
	// InlineCode is the JavaScript source written in the configuration (TOML key "code").
	// Exactly one of InlineCode and CodeFile is set.
	InlineCode string `toml:"code"`
	// CodeFile is a file holding the JavaScript source. Load resolves a relative path against
	// the directory of the configuration file (and rewrites CodeFile to the result); Parse
	// and Default leave it relative to the working directory.
	CodeFile string `toml:"code_file"`
	// KeyValueStores names the [[key_value_store]] the function reads (CloudFront's
	// KeyValueStoreAssociations). It is written as one name; CloudFront allows at most one
	// store per function, so an array of names must hold exactly one.
	KeyValueStores NameList `toml:"key_value_store"`

	// Code is the function's code (CloudFront's FunctionCode): InlineCode, or the contents of
	// CodeFile. Parse, Load and Default fill it in; it is what the runtime compiles.
	Code []byte `toml:"-"`

	loadErr string // why CodeFile could not be used; Validate reports it at code_file
}

// KeyValueStoreName returns the name of the function's key value store, or "" for none.
func (f *Function) KeyValueStoreName() string {
	if f == nil || len(f.KeyValueStores) == 0 {
		return ""
	}
	return f.KeyValueStores[0]
}

// FunctionCodePath returns the TOML path where the code of c.Functions[i] is given,
// "function[i].code_file" or "function[i].code", so that a compile error can be reported like
// a validation error: FieldError{Path: c.FunctionCodePath(i), Msg: err.Error()}.
func (c *Config) FunctionCodePath(i int) string {
	p := idx("function", i)
	if i >= 0 && i < len(c.Functions) && c.Functions[i].CodeFile != "" {
		return p + ".code_file"
	}
	return p + ".code"
}

// KeyValueStore is a CloudFront KeyValueStore ([[key_value_store]]): key/value strings that
// functions read (CreateKeyValueStore,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateKeyValueStore.html).
type KeyValueStore struct {
	// Name identifies the store: 1 to 64 letters, digits, '-' and '_'. Functions'
	// key_value_store refers to it.
	Name string `toml:"name"`
	// Comment is at most 128 characters.
	Comment string `toml:"comment"`
	// DataFile is the store's initial content, a UTF-8 JSON file in CloudFront's import format,
	// {"data":[{"key":"k1","value":"v1"}, …]}
	// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions-create-s3-kvp.html).
	// Paths resolve as Function.CodeFile does. Empty: the store starts empty.
	DataFile string `toml:"data_file"`

	// Data is the store's content in the order of DataFile, read by Parse, Load and Default.
	// Keys are unique.
	Data []KeyValue `toml:"-"`

	loadErrs []string // what is wrong with DataFile; Validate reports each at data_file
}

// KeyValue is one entry of a key value store.
type KeyValue struct {
	Key   string
	Value string
}

// FunctionAssociation attaches a [[function]] to a behavior's viewer event
// ([[distribution.behavior.function_association]], CloudFront's FunctionAssociation). A
// behavior has at most one function per event type.
type FunctionAssociation struct {
	// EventType is "viewer-request" or "viewer-response".
	EventType string `toml:"event_type,omitempty"`
	// Function is the name of a [[function]].
	Function string `toml:"function,omitempty"`
}

// FunctionFor returns the name of the function associated with eventType ("viewer-request",
// "viewer-response"), or "" for none.
func (b *Behavior) FunctionFor(eventType string) string {
	for _, a := range b.FunctionAssociations {
		if a.EventType == eventType {
			return a.Function
		}
	}
	return ""
}

// FunctionByName returns the [[function]] with this name and true, or nil and false. The
// result points into c. Safe on a nil Config.
func (c *Config) FunctionByName(name string) (*Function, bool) {
	if c == nil || name == "" {
		return nil, false
	}
	for i := range c.Functions {
		if c.Functions[i].Name == name {
			return &c.Functions[i], true
		}
	}
	return nil, false
}

// KeyValueStoreByName returns the [[key_value_store]] with this name and true, or nil and
// false. The result points into c. Safe on a nil Config.
func (c *Config) KeyValueStoreByName(name string) (*KeyValueStore, bool) {
	if c == nil || name == "" {
		return nil, false
	}
	for i := range c.KeyValueStores {
		if c.KeyValueStores[i].Name == name {
			return &c.KeyValueStores[i], true
		}
	}
	return nil, false
}

// NameList is a list of names that TOML may also write as a single string: "a" is ["a"].
type NameList []string

// UnmarshalTOML accepts a string or an array of strings.
func (n *NameList) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		*n = NameList{x}
		return nil
	case []any:
		out := make(NameList, 0, len(x))
		for _, item := range x {
			s, ok := item.(string)
			if !ok {
				return fmt.Errorf("must be a string or an array of strings, not an array holding %s", tomlTypeName(item))
			}
			out = append(out, s)
		}
		*n = out
		return nil
	}
	return fmt.Errorf("must be a string or an array of strings, not %s", tomlTypeName(v))
}

var nameListType = reflect.TypeFor[NameList]()

// Sizes read from files, from CloudFront's quotas
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html):
// a function's code is at most 10 KB ("Quotas on CloudFront Functions"); a key value store
// holds keys of at most 512 bytes, values of at most 1 KB and 5 MB in all ("Quotas on
// KeyValueStore"), and its import file is at most 5 MB too ("File format for key-value
// pairs",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions-create-s3-kvp.html).
// KB and MB are read as 1024 and 1024×1024 bytes.
const (
	MaxFunctionCodeSize    = 10 * 1024
	MaxKeyValueKeySize     = 512
	MaxKeyValueValueSize   = 1024
	MaxKeyValueStoreSize   = 5 * 1024 * 1024
	maxKeyValueStoreErrors = 10 // problems reported per data file before "and N more"
)

// resolveFunctionPaths makes relative code_file and data_file paths relative to base.
func (c *Config) resolveFunctionPaths(base string) {
	for i := range c.Functions {
		if p := &c.Functions[i].CodeFile; *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	for i := range c.KeyValueStores {
		if p := &c.KeyValueStores[i].DataFile; *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
}

// loadFunctionFiles fills Function.Code and KeyValueStore.Data from the configuration and the
// files it names. What goes wrong is kept on the function or store for Validate to report in
// schema order; nothing is returned.
func (c *Config) loadFunctionFiles() {
	for i := range c.Functions {
		f := &c.Functions[i]
		f.Code, f.loadErr = nil, ""
		switch {
		case f.InlineCode != "" && f.CodeFile != "":
			// Validate reports the conflict; compile neither.
		case f.InlineCode != "":
			f.Code = []byte(f.InlineCode)
		case f.CodeFile != "":
			data, size, err := readLimited(f.CodeFile, MaxFunctionCodeSize)
			switch {
			case err != nil:
				f.loadErr = err.Error()
			case size > MaxFunctionCodeSize:
				f.loadErr = fmt.Sprintf("%q %s", f.CodeFile, codeSizeProblem(size))
			case size == 0:
				f.loadErr = fmt.Sprintf("%q is empty", f.CodeFile)
			default:
				f.Code = data
			}
		}
	}
	for i := range c.KeyValueStores {
		s := &c.KeyValueStores[i]
		s.Data, s.loadErrs = nil, nil
		if s.DataFile == "" {
			continue
		}
		data, size, err := readLimited(s.DataFile, MaxKeyValueStoreSize)
		switch {
		case err != nil:
			s.loadErrs = []string{err.Error()}
		case size > MaxKeyValueStoreSize:
			s.loadErrs = []string{fmt.Sprintf("%q is %d bytes; an import file may be at most %d bytes (5 MB)",
				s.DataFile, size, MaxKeyValueStoreSize)}
		default:
			s.Data, s.loadErrs = parseKeyValueImport(s.DataFile, data)
		}
	}
}

func codeSizeProblem(size int64) string {
	return fmt.Sprintf("is %d bytes; a function's code may be at most %d bytes (10 KB)", size, MaxFunctionCodeSize)
}

// readLimited reads a regular file of at most limit bytes. A larger file is not read: its
// size is returned with nil data. Errors name the path.
func readLimited(path string, limit int64) ([]byte, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, 0, fmt.Errorf("cannot read %q: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("cannot read %q: not a regular file", path)
	}
	if st.Size() > limit {
		return nil, st.Size(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, 0, fmt.Errorf("cannot read %q: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read %q: %w", path, err)
	}
	return data, int64(len(data)), nil
}

// kvsImport is CloudFront's import format for key value stores.
type kvsImport struct {
	Data *[]kvsEntry `json:"data"`
}

type kvsEntry struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

const kvsFormat = `{"data":[{"key":"k1","value":"v1"}, …]}`

// parseKeyValueImport decodes a key value store import file: a JSON object whose "data" array
// holds {"key":…,"value":…} objects with string members. Unknown members are errors, so a
// misspelt one is not silently ignored. Limits and duplicate keys are Validate's.
func parseKeyValueImport(name string, data []byte) ([]KeyValue, []string) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var imp kvsImport
	if err := dec.Decode(&imp); err != nil {
		return nil, []string{jsonProblem(name, data, err)}
	}
	if off := dec.InputOffset(); len(bytes.TrimSpace(data[off:])) > 0 {
		off += int64(len(data[off:]) - len(bytes.TrimLeft(data[off:], " \t\r\n")))
		return nil, []string{fmt.Sprintf("%q, %s: unexpected data after the JSON object", name, jsonPos(data, off+1))}
	}
	if imp.Data == nil {
		return nil, []string{fmt.Sprintf("%q: no \"data\" array (want %s)", name, kvsFormat)}
	}
	var problems []string
	out := make([]KeyValue, 0, len(*imp.Data))
	for i, kv := range *imp.Data {
		switch {
		case kv.Key == nil && kv.Value == nil:
			problems = append(problems, fmt.Sprintf("%q: data[%d] must be an object with \"key\" and \"value\"", name, i))
		case kv.Key == nil:
			problems = append(problems, fmt.Sprintf("%q: data[%d] has no \"key\"", name, i))
		case kv.Value == nil:
			problems = append(problems, fmt.Sprintf("%q: data[%d] has no \"value\"", name, i))
		default:
			out = append(out, KeyValue{Key: *kv.Key, Value: *kv.Value})
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// jsonProblem describes a decoding error of an import file, with the position where
// encoding/json gives one.
func jsonProblem(name string, data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("%q, %s: not valid JSON: %s", name, jsonPos(data, syn.Offset), syn.Error())
	case errors.Is(err, io.EOF):
		return fmt.Sprintf("%q is empty (want %s)", name, kvsFormat)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("%q is not valid JSON: unexpected end of file", name)
	case errors.As(err, &typ):
		what := "the file"
		if typ.Field != "" {
			what = typ.Field
		}
		return fmt.Sprintf("%q, %s: %s must be %s, not a JSON %s (want %s)",
			name, jsonPos(data, typ.Offset), what, jsonTypeName(typ.Type), typ.Value, kvsFormat)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return fmt.Sprintf("%q: %s (want %s)", name, msg, kvsFormat)
}

// jsonTypeName names what a Go type of the import format expects.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array"
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

// jsonPos renders an offset from encoding/json (the number of bytes read when the problem was
// found) as "line L, column C (offset N)": the line and column, from 1, of the last byte read.
func jsonPos(data []byte, off int64) string {
	at := min(max(off-1, 0), int64(len(data)))
	before := data[:at]
	line := 1 + bytes.Count(before, []byte{'\n'})
	col := int(at) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d (offset %d)", line, col, off)
}
