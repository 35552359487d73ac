package control

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
)

// Namespace is the XML namespace of CloudFront API 2020-05-31, required on request roots and
// carried by every response root.
const Namespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/"

// Error codes the API answers with (CloudFront's, from the Errors sections of
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html,
// API_GetInvalidation.html and API_ListInvalidations.html, plus the generic AWS authentication
// codes, https://docs.aws.amazon.com/cloudfront/latest/APIReference/CommonErrors.html).
const (
	CodeAccessDenied                   = "AccessDenied"
	CodeBatchTooLarge                  = "BatchTooLarge"
	CodeInconsistentQuantities         = "InconsistentQuantities"
	CodeInvalidArgument                = "InvalidArgument"
	CodeMissingBody                    = "MissingBody"
	CodeTooManyInvalidationsInProgress = "TooManyInvalidationsInProgress"
	CodeNoSuchDistribution             = "NoSuchDistribution"
	CodeNoSuchInvalidation             = "NoSuchInvalidation"
	CodeInvalidationBatchAlreadyExists = "InvalidationBatchAlreadyExists"
	CodeInvalidAction                  = "InvalidAction"
	CodeMissingAuthenticationToken     = "MissingAuthenticationToken"
	CodeIncompleteSignature            = "IncompleteSignature"
	CodeInvalidClientTokenID           = "InvalidClientTokenId"
	CodeSignatureDoesNotMatch          = "SignatureDoesNotMatch"
	CodeServiceUnavailable             = "ServiceUnavailable"
	CodeRequestEntityTooLarge          = "RequestEntityTooLarge"
	CodeRequestTimeout                 = "RequestTimeout"
)

// apiError is one API failure: an HTTP status and the ErrorResponse fields.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("control: %s (%d): %s", e.code, e.status, e.message)
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func invalidArgument(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, CodeInvalidArgument, format, args...)
}

func noSuchDistribution(id string) *apiError {
	return errorf(http.StatusNotFound, CodeNoSuchDistribution,
		"The specified distribution does not exist: %q.", id)
}

// errorResponse is the AWS error envelope CloudFront uses.
type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	Xmlns     string    `xml:"xmlns,attr"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// marshalError renders e as CloudFront's ErrorResponse document.
func marshalError(e *apiError, requestID string) []byte {
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	return marshalDoc(errorResponse{
		Xmlns:     Namespace,
		Error:     errorBody{Type: typ, Code: e.code, Message: e.message},
		RequestID: requestID,
	})
}

// marshalDoc renders v with an XML declaration. The values marshalled here are plain structs
// of strings, numbers and slices, for which encoding/xml cannot fail; should it ever, the
// result is an empty document rather than a panic.
func marshalDoc(v any) []byte {
	body, err := xml.Marshal(v)
	if err != nil {
		return []byte(xml.Header)
	}
	return append([]byte(xml.Header), body...)
}

// newRequestID returns a random UUID (version 4), the shape of x-amzn-RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
