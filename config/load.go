package config

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Parse decodes a TOML configuration, applies CloudFront's defaults (ApplyDefaults) and
// validates it (Validate). name labels syntax errors ("edge.toml:3:7"); it may be empty.
//
// Decoding is strict: a key the schema does not know is an error
// ("distribution[0].behavior[2].path_patern: unknown key"), as is a value of the wrong
// type. On any problem Parse returns a nil *Config and an Errors holding every problem
// found: all unknown keys and type errors, or else all unknown keys and validation errors.
// A syntax error stops decoding, so it is reported alone, with its line and column.
//
// Relative dir origin paths, public key paths, function code_file and key value store
// data_file paths are left as written (relative to the working directory). Parse reads the
// code and data files into Function.Code and KeyValueStore.Data; a file that cannot be read
// or parsed is an error at its TOML path.
// Parse never panics, whatever the input.
func Parse(data []byte, name string) (*Config, error) {
	return parse(data, name, "")
}

// Load reads and parses the configuration file at path, as Parse does, except that
// relative dir origin paths, public key paths, code_file and data_file paths are resolved
// against the directory holding the file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return parse(data, path, dir)
}

// Default returns a fresh copy of the embedded default configuration (default.toml): one
// distribution serving testdata/www and, under /demo/*, the Smooth Streaming demo in
// testdata/media, both relative to the working directory. It fails only if the embedded
// file is broken, which the package tests rule out.
func Default() (*Config, error) {
	return parse([]byte(defaultTOML), "default.toml", "")
}

func parse(data []byte, name, baseDir string) (*Config, error) {
	cfg, list := decode(data, name)
	if cfg == nil {
		return nil, list
	}
	if baseDir != "" {
		cfg.resolveDirs(baseDir)
		cfg.resolveKeyPaths(baseDir)
		cfg.resolveFunctionPaths(baseDir)
	}
	cfg.loadFunctionFiles()
	cfg.ApplyDefaults()
	var verr Errors
	if err := cfg.Validate(); errors.As(err, &verr) {
		list = append(list, verr...)
	}
	if len(list) > 0 {
		return nil, list
	}
	return cfg, nil
}

// resolveDirs makes relative dir origin paths, the TLS certificate and key paths, the API's
// state folder and the disk tier's folder relative to base.
func (c *Config) resolveDirs(base string) {
	for _, p := range []*string{&c.Server.TLSCertFile, &c.Server.TLSKeyFile, &c.API.StateDir, &c.Cache.DiskPath,
		&c.Fleet.Credentials, &c.Fleet.TLSCA, &c.Fleet.TLSCert, &c.Fleet.TLSKey} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	for i := range c.Distributions {
		d := &c.Distributions[i]
		for j := range d.Origins {
			o := &d.Origins[j]
			if o.Kind == KindDir && o.Path != "" && !filepath.IsAbs(o.Path) {
				o.Path = filepath.Join(base, o.Path)
			}
		}
	}
}

// decode turns TOML into a Config. It returns a nil Config when the text is not valid
// TOML or a value has the wrong type; otherwise a Config with any unknown-key errors.
func decode(data []byte, name string) (*Config, Errors) {
	var raw map[string]any
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, Errors{syntaxError(err, name)}
	}
	w := shapeWalker{rank: map[string]int{}, unknown: map[string]bool{}}
	for i, k := range md.Keys() {
		if _, ok := w.rank[k.String()]; !ok {
			w.rank[k.String()] = i
		}
	}
	w.value("", nil, raw, reflect.TypeFor[Config]())
	if w.typeErrs {
		return nil, w.e.list
	}

	var cfg Config
	md2, err := toml.Decode(string(data), &cfg)
	if err != nil { // the walk above should have caught it; report it all the same
		return nil, append(w.e.list, decodeError(err, name))
	}
	// Cross-check with the decoder's own view of unknown keys. The walk reports them with
	// array indices (which MetaData.Undecoded cannot give), so only keys it missed remain.
	for _, k := range md2.Undecoded() {
		if !w.unknown[k.String()] && !w.covered(k) {
			w.unknown[k.String()] = true
			w.e.add(k.String(), "unknown key")
		}
	}
	return &cfg, w.e.list
}

func syntaxError(err error, name string) FieldError {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		pos := fmt.Sprintf("line %d, column %d", pe.Position.Line, pe.Position.Col)
		if name != "" {
			pos = fmt.Sprintf("%s:%d:%d", name, pe.Position.Line, pe.Position.Col)
		}
		return FieldError{Path: pos, Msg: pe.Message}
	}
	return decodeError(err, name)
}

func decodeError(err error, name string) FieldError {
	return FieldError{Path: name, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// shapeWalker checks a generically decoded TOML document against the schema types: every
// key must name a field, and every value must fit its field's type. It records problems
// with full indexed paths, visiting keys in document order.
type shapeWalker struct {
	e        errs
	rank     map[string]int  // dotted key (no indices) -> first position in the document
	unknown  map[string]bool // dotted keys (no indices) reported as unknown
	typeErrs bool
}

// covered reports whether an ancestor of k was already reported as unknown (then its
// children are not reported again).
func (w *shapeWalker) covered(k toml.Key) bool {
	for i := 1; i < len(k); i++ {
		if w.unknown[k[:i].String()] {
			return true
		}
	}
	return false
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

func (w *shapeWalker) typeErr(path string, want string, v any) {
	w.typeErrs = true
	w.e.add(path, "must be %s, not %s", want, tomlTypeName(v))
}

func (w *shapeWalker) value(path string, key toml.Key, v any, t reflect.Type) {
	if t == nameListType {
		if _, ok := v.(string); ok {
			return // one name; an array is checked as a slice of strings below
		}
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case int64:
			text = fmt.Sprint(x)
		case float64:
			text = fmt.Sprintf("%f", x)
		default:
			w.typeErr(path, describeType(t), v)
			return
		}
		u := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(text)); err != nil {
			w.typeErrs = true
			w.e.add(path, "%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		w.value(path, key, v, t.Elem())
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			w.typeErr(path, describeType(t), v)
			return
		}
		w.table(path, key, m, t)
	case reflect.Slice:
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case []map[string]any:
			for _, m := range x {
				items = append(items, m)
			}
		default:
			w.typeErr(path, describeType(t), v)
			return
		}
		for i, item := range items {
			w.value(idx(path, i), key, item, t.Elem())
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			w.typeErr(path, describeType(t), v)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			w.typeErr(path, describeType(t), v)
		}
	case reflect.Int, reflect.Int64:
		if _, ok := v.(int64); !ok {
			w.typeErr(path, describeType(t), v)
		}
	case reflect.Float64:
		switch v.(type) {
		case float64, int64:
		default:
			w.typeErr(path, describeType(t), v)
		}
	}
}

func (w *shapeWalker) table(path string, key toml.Key, m map[string]any, t reflect.Type) {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if r, ok := w.rank[append(key[:len(key):len(key)], k).String()]; ok {
			return r
		}
		return len(w.rank)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		child := append(key[:len(key):len(key)], k)
		p := toml.Key{k}.String()
		if path != "" {
			p = path + "." + p
		}
		f, ok := fields[k]
		if !ok {
			w.unknown[child.String()] = true
			w.e.add(p, "unknown key")
			continue
		}
		w.value(p, child, m[k], f.Type)
	}
}

// describeType names what a schema type expects, for type errors.
func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Size]():
		return `a size ("512MiB" or a number of bytes)`
	case reflect.TypeFor[Duration]():
		return `a duration ("30s" or a number of seconds)`
	case nameListType:
		return "a string or an array of strings"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.Struct:
		return "a table"
	case reflect.Slice:
		if e := t.Elem(); e.Kind() == reflect.Struct {
			return "an array of tables"
		}
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(describeType(t.Elem()), "a "), "an ") + "s"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	}
	return t.String()
}

// tomlTypeName names the TOML type of a generically decoded value.
func tomlTypeName(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("string %q", truncate(x, 40))
	case int64:
		return fmt.Sprintf("integer %d", x)
	case float64:
		return fmt.Sprintf("float %g", x)
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case time.Time:
		return "datetime"
	case []any, []map[string]any:
		return "array"
	case map[string]any:
		return "table"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
