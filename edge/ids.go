package edge

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
)

// requestIDLen is the length of an X-Amz-Cf-Id: 40 random bytes in URL-safe base64.
const requestIDLen = 56

// requestID is one X-Amz-Cf-Id value, kept in place so that making one allocates nothing.
type requestID [requestIDLen]byte

// newRequestID fills id with a fresh random request id (URL-safe base64 of 40 bytes, ending "==").
func newRequestID(id *requestID) {
	var raw [40]byte
	for i := 0; i < 40; i += 8 {
		binary.LittleEndian.PutUint64(raw[i:], rand.Uint64())
	}
	base64.URLEncoding.Encode(id[:], raw[:])
}

// newRequestID gives the exchange a fresh X-Amz-Cf-Id (measured: the runtime's per-thread
// generator beats a per-exchange ChaCha8 stream here).
func (x *exchange) newRequestID() { newRequestID(&x.id) }

// viaValue returns this edge's Via value: "1.1 <32 hex>.cloudfront.net (CloudFront)", with the id
// drawn once per server, as CloudFront shows one host id per edge server.
func viaValue() string {
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(raw[8:], rand.Uint64())
	return "1.1 " + hex.EncodeToString(raw[:]) + ".cloudfront.net (CloudFront)"
}
