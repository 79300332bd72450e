package stdio

import (
	"encoding/json"
	"errors"
	"strconv"
)

// JSON-RPC 2.0 error codes the bridge answers with itself.
const (
	codeParseError     = -32700
	codeInvalidRequest = -32600
	codeServerBusy     = -32000 // implementation-defined server error range
)

// rpcError is an error answer the bridge writes without asking mcp-go.
type rpcError struct {
	id   []byte // the request's raw id to echo; nil writes null
	code int
	msg  string
}

// reply is the JSON-RPC error response line for e.
func (e *rpcError) reply() []byte {
	id := json.RawMessage("null")
	if e.id != nil {
		id = e.id
	}
	b, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}{"2.0", id, struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{e.code, e.msg}})
	return append(b, '\n')
}

type inKind int

const (
	inRequest      inKind = iota // a method and an id: wants an answer
	inNotification               // a method, no id
	inResponse                   // no method: answers a request of the server's
)

// inbound is one message from the client, checked and classified.
type inbound struct {
	msg    []byte
	env    envelope
	kind   inKind
	method string
	key    string // a request's idKey
}

// parseInbound checks one line from the client. What JSON-RPC 2.0 calls a
// parse error or an invalid request comes back as the error to answer with;
// mcp-go never sees it.
func parseInbound(line []byte) (*inbound, *rpcError) {
	if !json.Valid(line) {
		return nil, &rpcError{code: codeParseError, msg: "parse error: the message is not valid JSON"}
	}
	if line[skipSpace(line, 0)] == '[' {
		return nil, &rpcError{code: codeInvalidRequest, msg: "invalid request: JSON-RPC batches are not supported (MCP sends one message per line)"}
	}
	env, err := scanObject(line, false)
	switch {
	case errors.Is(err, errNotObject):
		return nil, &rpcError{code: codeInvalidRequest, msg: "invalid request: a message must be a JSON object"}
	case err != nil:
		return nil, &rpcError{code: codeInvalidRequest, msg: "invalid request: " + err.Error()}
	}
	in := &inbound{msg: line, env: env}
	var echo []byte // the id, if valid, for errors about the rest
	if env.id.ok() {
		key, err := idKey(env.id.of(line))
		if err != nil && env.method.ok() {
			return nil, &rpcError{code: codeInvalidRequest, msg: "invalid request: " + err.Error()}
		}
		in.key = key
		if err == nil {
			echo = env.id.of(line)
		}
	}
	if !env.method.ok() {
		if env.result || env.error {
			in.kind = inResponse
			return in, nil
		}
		return nil, &rpcError{id: echo, code: codeInvalidRequest, msg: "invalid request: no method"}
	}
	if err := json.Unmarshal(env.method.of(line), &in.method); err != nil {
		return nil, &rpcError{id: echo, code: codeInvalidRequest, msg: "invalid request: the method must be a string"}
	}
	if env.id.ok() {
		in.kind = inRequest
	} else {
		in.kind = inNotification
	}
	return in, nil
}

// cancelTarget reads the request id a notifications/cancelled names.
func cancelTarget(in *inbound) (key, reason string, ok bool) {
	if !in.env.params.ok() {
		return "", "", false
	}
	var p struct {
		RequestID json.RawMessage `json:"requestId"`
		Reason    string          `json:"reason"`
	}
	if json.Unmarshal(in.env.params.of(in.msg), &p) != nil || len(p.RequestID) == 0 {
		return "", "", false
	}
	key, err := idKey(p.RequestID)
	return key, p.Reason, err == nil
}

// cancelFor is the cancellation mcp-go gets: the same, under our id.
func cancelFor(id int64, reason string) []byte {
	b, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"method":  "notifications/cancelled",
		"params":  map[string]any{"requestId": id, "reason": reason},
	})
	return append(b, '\n')
}

// withID is msg with its id replaced by the integer id, ending in the
// newline that ends a message on the wire.
func withID(msg []byte, at span, id int64) []byte {
	return append(splice(msg, at, strconv.AppendInt(nil, id, 10)), '\n')
}
