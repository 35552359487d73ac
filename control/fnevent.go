package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cfedge/edge/function"
)

// TestFunction's event object and output, as JSON
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/test-function.html). The
// event is CloudFront's event object, version 1.0; the output is one JSON object with one key,
// "request" or "response", holding what the function returned in the same shape.

// jsonTestEvent is the event object. Maps are read in order (see decodeFields), so they are
// kept raw here.
type jsonTestEvent struct {
	Version string `json:"version"`
	Context struct {
		DistributionDomainName string `json:"distributionDomainName"`
		DistributionID         string `json:"distributionId"`
		EventType              string `json:"eventType"`
		RequestID              string `json:"requestId"`
	} `json:"context"`
	Viewer struct {
		IP string `json:"ip"`
	} `json:"viewer"`
	Request *struct {
		Method      string          `json:"method"`
		URI         string          `json:"uri"`
		QueryString json.RawMessage `json:"querystring"`
		Headers     json.RawMessage `json:"headers"`
		Cookies     json.RawMessage `json:"cookies"`
	} `json:"request"`
	Response *struct {
		StatusCode        *int            `json:"statusCode"`
		StatusDescription string          `json:"statusDescription"`
		Headers           json.RawMessage `json:"headers"`
		Cookies           json.RawMessage `json:"cookies"`
	} `json:"response"`
}

// jsonFieldValue is one entry of headers, cookies or querystring: {value, attributes?,
// multiValue?}.
type jsonFieldValue struct {
	Value      *string `json:"value"`
	Attributes string  `json:"attributes"`
	MultiValue []struct {
		Value      string `json:"value"`
		Attributes string `json:"attributes"`
	} `json:"multiValue"`
}

// parseTestEvent turns TestFunction's event object into a function.Event. Hand-written events
// may leave out the context's distribution and request ids; eventType, when absent, is
// viewer-response if there is a response, else viewer-request; method defaults to GET.
func parseTestEvent(raw []byte) (*function.Event, error) {
	var in jsonTestEvent
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("not a JSON event object: %v", err)
	}
	ev := &function.Event{Version: in.Version}
	if ev.Version == "" {
		ev.Version = "1.0"
	}
	if ev.Version != "1.0" {
		return nil, fmt.Errorf("version %q is not supported (want 1.0)", in.Version)
	}
	ev.Context = function.Context{
		DistributionDomainName: in.Context.DistributionDomainName,
		DistributionID:         in.Context.DistributionID,
		EventType:              in.Context.EventType,
		RequestID:              in.Context.RequestID,
	}
	if ev.Context.EventType == "" {
		ev.Context.EventType = function.ViewerRequest
		if in.Response != nil {
			ev.Context.EventType = function.ViewerResponse
		}
	}
	if ev.Context.EventType != function.ViewerRequest && ev.Context.EventType != function.ViewerResponse {
		return nil, fmt.Errorf("context.eventType %q is not valid: want viewer-request or viewer-response", ev.Context.EventType)
	}
	ev.Viewer.IP = in.Viewer.IP
	if in.Request == nil {
		return nil, errors.New("request is required")
	}
	r := &ev.Request
	r.Method, r.URI = in.Request.Method, in.Request.URI
	if r.Method == "" {
		r.Method = "GET"
	}
	if r.URI == "" {
		r.URI = "/"
	}
	if !strings.HasPrefix(r.URI, "/") {
		return nil, fmt.Errorf("request.uri %q must start with /", r.URI)
	}
	var err error
	if r.QueryString, err = decodeFields(in.Request.QueryString, "request.querystring", false); err != nil {
		return nil, err
	}
	if r.Headers, err = decodeFields(in.Request.Headers, "request.headers", true); err != nil {
		return nil, err
	}
	if r.Cookies, err = decodeFields(in.Request.Cookies, "request.cookies", false); err != nil {
		return nil, err
	}
	if ev.Context.EventType == function.ViewerResponse {
		if in.Response == nil {
			return nil, errors.New("a viewer-response event needs a response")
		}
		resp := &function.Response{StatusCode: 200, StatusDescription: in.Response.StatusDescription}
		if in.Response.StatusCode != nil {
			resp.StatusCode = *in.Response.StatusCode
		}
		if resp.StatusCode < 100 || resp.StatusCode > 599 {
			return nil, fmt.Errorf("response.statusCode %d is not an HTTP status", resp.StatusCode)
		}
		if resp.Headers, err = decodeFields(in.Response.Headers, "response.headers", true); err != nil {
			return nil, err
		}
		if resp.Cookies, err = decodeFields(in.Response.Cookies, "response.cookies", false); err != nil {
			return nil, err
		}
		ev.Response = resp
	}
	return ev, nil
}

// decodeFields reads a headers, cookies or querystring object in document order. Header names
// are lower-cased, as CloudFront gives them to functions; a name given twice keeps its first
// entry.
func decodeFields(raw json.RawMessage, where string, header bool) (function.Fields, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("%s must be an object", where)
	}
	var out function.Fields
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		name, _ := t.(string)
		var v jsonFieldValue
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s.%s must be an object {\"value\": …}: %v", where, name, err)
		}
		if header {
			name = strings.ToLower(name)
		}
		f := function.Field{Name: name}
		if len(v.MultiValue) > 0 {
			for _, mv := range v.MultiValue {
				f.Values = append(f.Values, function.FieldValue{Value: mv.Value, Attributes: mv.Attributes})
			}
		} else {
			if v.Value == nil {
				return nil, fmt.Errorf("%s.%s has no \"value\"", where, name)
			}
			f.Values = []function.FieldValue{{Value: *v.Value, Attributes: v.Attributes}}
		}
		if _, dup := out.Get(name); !dup {
			out = append(out, f)
		}
	}
	return out, nil
}

// marshalTestOutput renders what the function returned as TestResult's FunctionOutput:
// {"request":{headers, method, querystring, uri, cookies}} or {"response":{headers,
// statusDescription, cookies, statusCode, body?}}, the members in the order of AWS's example
// output.
func marshalTestOutput(res *function.Result) ([]byte, error) {
	var b bytes.Buffer
	switch {
	case res.Response != nil:
		r := res.Response
		b.WriteString(`{"response":{"headers":`)
		writeFields(&b, r.Headers, false)
		b.WriteString(`,"statusDescription":`)
		writeJSONString(&b, r.StatusDescription)
		b.WriteString(`,"cookies":`)
		writeFields(&b, r.Cookies, true)
		fmt.Fprintf(&b, `,"statusCode":%d`, r.StatusCode)
		if r.Body != nil {
			b.WriteString(`,"body":{"data":`)
			writeJSONString(&b, r.Body.Data)
			b.WriteString(`,"encoding":`)
			enc := r.Body.Encoding
			if enc == "" {
				enc = "text"
			}
			writeJSONString(&b, enc)
			b.WriteByte('}')
		}
		b.WriteString("}}")
	case res.Request != nil:
		r := res.Request
		b.WriteString(`{"request":{"headers":`)
		writeFields(&b, r.Headers, false)
		b.WriteString(`,"method":`)
		writeJSONString(&b, r.Method)
		b.WriteString(`,"querystring":`)
		if r.QueryString == nil && r.RawQueryString != "" {
			writeJSONString(&b, r.RawQueryString)
		} else {
			writeFields(&b, r.QueryString, false)
		}
		b.WriteString(`,"uri":`)
		writeJSONString(&b, r.URI)
		b.WriteString(`,"cookies":`)
		writeFields(&b, r.Cookies, false)
		b.WriteString("}}")
	default:
		return nil, errors.New("the function returned neither a request nor a response")
	}
	if !json.Valid(b.Bytes()) {
		return nil, errors.New("invalid JSON")
	}
	return b.Bytes(), nil
}

// writeFields writes {"name":{"value":…[,"attributes":…][,"multiValue":[…]]},…}; attrs is
// for response cookies, whose entries always carry attributes.
func writeFields(b *bytes.Buffer, fs function.Fields, attrs bool) {
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, f.Name)
		b.WriteByte(':')
		first := function.FieldValue{}
		if len(f.Values) > 0 {
			first = f.Values[0]
		}
		writeFieldValue(b, first, attrs)
		if len(f.Values) > 1 {
			b.Truncate(b.Len() - 1) // reopen the object for multiValue
			b.WriteString(`,"multiValue":[`)
			for j, v := range f.Values {
				if j > 0 {
					b.WriteByte(',')
				}
				writeFieldValue(b, v, attrs)
			}
			b.WriteString("]}")
		}
	}
	b.WriteByte('}')
}

func writeFieldValue(b *bytes.Buffer, v function.FieldValue, attrs bool) {
	b.WriteString(`{"value":`)
	writeJSONString(b, v.Value)
	if attrs || v.Attributes != "" {
		b.WriteString(`,"attributes":`)
		writeJSONString(b, v.Attributes)
	}
	b.WriteByte('}')
}

// writeJSONString writes s as a JSON string, without escaping <, > and & (encoding/json's
// default), as JavaScript's JSON.stringify does.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}
