"""The OpenAPI 3.1 document of the visitor API v1 (maintained by hand; a test checks that
every route of the app is described here and that the examples match the implementation)."""

from __future__ import annotations

from typing import Any

from .. import __version__


def _err(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_AUTH = [{"conversationToken": []}]
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "description": "conversation id"}
_ERRORS_AUTH = {
    "401": _err("missing or wrong token (`unauthorized`)"),
    "403": _err("the request's Origin is not allowed for the conversation's site (`origin_not_allowed`)"),
    "404": _err("unknown conversation (`not_found`)"),
}


def openapi_document() -> dict[str, Any]:
    """The document served at ``/api/v1/openapi.json``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "switchboard visitor API",
            "version": "1." + __version__,
            "summary": "Chat with a police force's online 101 service (not for emergencies: call 999).",
            "description": "Every error is JSON `{\"error\": {\"code\", \"message\"}}` with a stable code. "
                           "See docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/conversations": {
                "post": {
                    "operationId": "startConversation",
                    "summary": "Start a conversation for a site; returns its token (shown once) and the greeting",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/StartRequest"}}}},
                    "responses": {
                        "201": {"description": "started", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Started"}}}},
                        "400": _err("malformed JSON (`bad_json`)"),
                        "403": _err("Origin not in `sites.<key>.origins` (`origin_not_allowed`)"),
                        "413": _err("body too large (`payload_too_large`)"),
                        "422": _err("unknown site (`unknown_site`), unknown field (`unknown_field`), "
                                    "wrong type (`invalid_field`)"),
                        "429": _err("too many conversations from this address (`rate_limited`); see Retry-After"),
                    },
                },
            },
            "/api/v1/conversations/{id}": {
                "get": {
                    "operationId": "getConversation",
                    "summary": "The transcript and state (used to reload and continue)",
                    "parameters": [_ID],
                    "security": _AUTH,
                    "responses": {
                        "200": {"description": "transcript", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Transcript"}}}},
                        **_ERRORS_AUTH,
                    },
                },
            },
            "/api/v1/conversations/{id}/messages": {
                "post": {
                    "operationId": "sendMessage",
                    "summary": "Send a visitor message (text or a quick-reply choice); returns the new messages",
                    "description": "The visitor message is stored before the reply is computed. A retry with "
                                   "the same `client_id` returns the original response and stores nothing twice.",
                    "parameters": [_ID],
                    "security": _AUTH,
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/SendRequest"}}}},
                    "responses": {
                        "200": {"description": "the stored visitor message and the replies", "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Turn"}}}},
                        "400": _err("malformed JSON (`bad_json`)"),
                        **_ERRORS_AUTH,
                        "413": _err("text over `limits.max_text_chars` (`text_too_long`) or body too large"),
                        "422": _err("neither or both of text and choice, empty text, wrong types "
                                    "(`invalid_field`), unknown fields (`unknown_field`)"),
                        "429": _err("over `limits.messages_per_minute` for this conversation (`rate_limited`)"),
                        "500": _err("the message is stored but no reply could be prepared (`internal_error`); "
                                    "send again with the same client_id"),
                    },
                },
            },
            "/api/v1/conversations/{id}/events": {
                "get": {
                    "operationId": "conversationEvents",
                    "summary": "Live channel (server-sent events): operator replies, queue position, status",
                    "description": "Events: `state` (first, then on every change) with data "
                                   "`{\"type\":\"state\",\"state\":State}`; `message` with "
                                   "`{\"type\":\"message\",\"message\":Message}` (SSE id = message id); `queue` "
                                   "with `{\"type\":\"queue\",\"position\":int,\"expected_wait_seconds\":int|null}`; "
                                   "`resync` when events were dropped (re-read the transcript). Comments are "
                                   "keep-alives. EventSource cannot send headers, so the token may be given "
                                   "as `?token=`.",
                    "parameters": [_ID, {"name": "token", "in": "query", "required": False,
                                         "schema": {"type": "string"}}],
                    "security": [*_AUTH, {}],
                    "responses": {
                        "200": {"description": "an event stream", "content": {"text/event-stream": {
                            "schema": {"type": "string"}}}},
                        **_ERRORS_AUTH,
                    },
                },
            },
            "/api/v1/conversations/{id}/leave": {
                "post": {
                    "operationId": "leaveConversation",
                    "summary": "The visitor left (quick exit or End chat): close the conversation",
                    "description": "Closes the conversation with the outcome `visitor_left` and announces the "
                                   "new state on the live channel; an operator who has the chat gets a "
                                   "`system` message of kind `visitor_left`. Idempotent: a closed conversation "
                                   "answers 200 with its state and nothing changes. The token may be sent as "
                                   "`Authorization: Bearer` or, for `navigator.sendBeacon` (which cannot set "
                                   "headers), as `{\"token\": \"...\"}` in the body; the body is read as JSON "
                                   "whatever its Content-Type (sendBeacon sends `text/plain`). Messages sent "
                                   "afterwards are still stored and answered with the configured `closed` "
                                   "notice.",
                    "parameters": [_ID],
                    "security": [*_AUTH, {}],
                    "requestBody": {"required": False, "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/LeaveRequest"}},
                        "text/plain": {"schema": {"type": "string",
                                                  "description": "a LeaveRequest as JSON text (sendBeacon)"}},
                    }},
                    "responses": {
                        "200": {"description": "closed (now or already)", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Left"}}}},
                        "400": _err("malformed JSON (`bad_json`)"),
                        **_ERRORS_AUTH,
                        "413": _err("body too large (`payload_too_large`)"),
                        "422": _err("`token` not a string (`invalid_field`), unknown fields (`unknown_field`)"),
                        "429": _err("over `limits.messages_per_minute` for this conversation (`rate_limited`)"),
                    },
                },
            },
            "/api/v1/openapi.json": {
                "get": {"operationId": "openapi", "summary": "This document",
                        "responses": {"200": {"description": "OpenAPI 3.1", "content": {
                            "application/json": {"schema": {"type": "object"}}}}}},
            },
            "/healthz": {
                "get": {"operationId": "healthz", "summary": "Alive",
                        "responses": {"200": {"description": "`{\"status\": \"ok\"}`", "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}},
            },
            "/readyz": {
                "get": {"operationId": "readyz",
                        "summary": "Ready: store reachable, plugins and models loaded; `degraded` when any "
                                   "component reports degraded (e.g. keyword-only risk detection)",
                        "responses": {
                            "200": {"description": "ok or degraded", "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Health"}}}},
                            "503": {"description": "down", "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Health"}}}},
                        }},
            },
            "/": {"get": {"operationId": "demoPage", "summary": "Demo force website embedding the widget",
                          "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}},
            "/widget.js": {"get": {"operationId": "widgetScript",
                                   "summary": "The widget: <script src=\".../widget.js\" data-site=\"KEY\" defer>",
                                   "responses": {"200": {"description": "JavaScript",
                                                         "content": {"text/javascript": {}}}}}},
            "/accessibility": {"get": {"operationId": "accessibilityStatement",
                                       "summary": "The accessibility statement (WCAG 2.2 AA)",
                                       "responses": {"200": {"description": "HTML",
                                                             "content": {"text/html": {}}}}}},
            "/demo.css": {"get": {"operationId": "demoStyles", "summary": "The demo page's styles",
                                  "responses": {"200": {"description": "CSS", "content": {"text/css": {}}}}}},
            "/widget.css": {"get": {"operationId": "widgetStyles", "summary": "The widget's styles",
                                    "responses": {"200": {"description": "CSS", "content": {"text/css": {}}}}}},
        },
        "components": {
            "securitySchemes": {"conversationToken": {
                "type": "http", "scheme": "bearer",
                "description": "The token returned when the conversation started."}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string", "examples": ["rate_limited"]},
                                   "message": {"type": "string"}}}}},
                "StartRequest": {"type": "object", "required": ["site"], "additionalProperties": False,
                                 "properties": {"site": {"type": "string", "examples": ["demo"]}}},
                "SendRequest": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "text": {"type": "string", "minLength": 1, "maxLength": 2000,
                                 "description": "maximum is limits.max_text_chars (default 2000)"},
                        "choice": {"type": "string", "minLength": 1, "maxLength": 100,
                                   "description": "the id of an offered option, or `human`"},
                        "client_id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$",
                                      "description": "makes retries idempotent"},
                    },
                    "oneOf": [{"required": ["text"]}, {"required": ["choice"]}],
                },
                "LeaveRequest": {"type": "object", "additionalProperties": False, "properties": {
                    "token": {"type": "string", "minLength": 1,
                              "description": "the conversation token, when no Authorization header can be sent"}}},
                "Left": {"type": "object", "required": ["id", "state"], "properties": {
                    "id": {"type": "string"}, "state": {"$ref": "#/components/schemas/State"}}},
                "Option": {"type": "object", "required": ["id", "label"],
                           "properties": {"id": {"type": "string"}, "label": {"type": "string"}}},
                "Message": {
                    "type": "object", "required": ["id", "role", "text", "options", "at"],
                    "properties": {
                        "id": {"type": "string"},
                        "role": {"enum": ["visitor", "bot", "operator", "system"]},
                        "kind": {"type": "string", "description": "greeting, emergency, handover, question, "
                                                                  "choice (a visitor's quick reply), message, ..."},
                        "text": {"type": "string", "description": "plain text; never HTML"},
                        "options": {"type": "array", "items": {"$ref": "#/components/schemas/Option"}},
                        "at": {"type": "string", "format": "date-time"},
                        "client_id": {"type": "string"},
                    },
                },
                "State": {
                    "type": "object",
                    "required": ["status", "emergency", "handover", "intent", "queue", "language"],
                    "properties": {
                        "status": {"enum": ["bot", "queued", "with_operator", "closed"]},
                        "emergency": {"type": "boolean"},
                        "handover": {"type": "boolean"},
                        "intent": {"type": ["string", "null"]},
                        "queue": {"type": ["string", "null"]},
                        "language": {"type": "string", "examples": ["en", "cy"]},
                    },
                },
                "Started": {"type": "object", "required": ["id", "token", "messages", "state"], "properties": {
                    "id": {"type": "string"}, "token": {"type": "string"},
                    "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                    "state": {"$ref": "#/components/schemas/State"}}},
                "Turn": {"type": "object", "required": ["messages", "state"], "properties": {
                    "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                    "state": {"$ref": "#/components/schemas/State"}}},
                "Transcript": {"type": "object", "required": ["id", "messages", "state"], "properties": {
                    "id": {"type": "string"},
                    "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                    "state": {"$ref": "#/components/schemas/State"}}},
                "Health": {"type": "object", "required": ["status"], "properties": {
                    "status": {"enum": ["ok", "degraded", "down"]},
                    "components": {"type": "array", "items": {"type": "object", "properties": {
                        "component": {"type": "string"}, "status": {"type": "string"},
                        "detail": {"type": "string"}}}}}},
            },
        },
    }
