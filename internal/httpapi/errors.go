package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/parley-chat/parley/internal/protocol"
)

// errorBody is the JSON error every route answers with. temporary is always
// present so clients need not treat a missing field as false.
type errorBody struct {
	Code      protocol.Code `json:"code"`
	Message   string        `json:"message"`
	Temporary bool          `json:"temporary"`
}

// writeError answers with err mapped by protocol.ErrorFrom. Internal errors
// are logged here, with the request id, because their wire message is
// generic.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	wire := protocol.ErrorFrom(err)
	status := protocol.HTTPStatus(wire.Code)
	if status >= 500 {
		a.log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()),
			"route", routeOf(r), "err", err)
	}
	if wire.Temporary {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, errorBody{Code: wire.Code, Message: wire.Message, Temporary: wire.Temporary})
}

// writeJSON answers with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	// The status is sent; an encode error here is a broken connection.
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads exactly one JSON object into v. Unknown fields, trailing
// data, a missing or wrong Content-Type and malformed JSON are bad_request;
// a body over the limit is frame_too_large.
func decodeJSON(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return protocol.Errorf(protocol.CodeBadRequest, "Content-Type must be application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return bodyError(err)
		}
		return protocol.Errorf(protocol.CodeBadRequest, "request body has data after the JSON object")
	}
	return nil
}

func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return protocol.Errorf(protocol.CodeFrameTooLarge, "request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return protocol.Errorf(protocol.CodeBadRequest, "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return protocol.Errorf(protocol.CodeBadRequest, "request body is truncated JSON")
	case errors.As(err, &syn):
		return protocol.Errorf(protocol.CodeBadRequest, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return protocol.Errorf(protocol.CodeBadRequest, "field %q must be a %s", typ.Field, typ.Type)
	default:
		// json reports unknown fields as `json: unknown field "x"`.
		return protocol.Errorf(protocol.CodeBadRequest, "%s", fmt.Sprint(err))
	}
}
