"""The OpenAPI 3.0 description of the homework JSON API, served at /homework/api/openapi.json.

Written by hand (the API is three endpoints of plain Django views, see `api.py`); `tests/courseweb/homework/
test_openapi.py` checks that every URL under /homework/api/ is described here and fuzzes the API against this
description with schemathesis (no 500, answers match the schemas).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "What went wrong, in a sentence for the user."}
    },
}

TEST_RESULT = {
    "type": "object",
    "required": ["grade_id", "status", "score", "max_score", "message"],
    "properties": {
        "grade_id": {"type": "string"},
        "status": {"type": "string"},
        "score": {"type": "number"},
        "max_score": {"type": "number"},
        "message": {"type": "string", "nullable": True},
    },
}

SUBMISSION = {
    "type": "object",
    "required": [
        "id",
        "assignment",
        "notebook",
        "content_hash",
        "size",
        "submitted_at",
        "late",
        "duplicate",
        "url",
        "state",
        "progress",
    ],
    "properties": {
        "id": {"type": "integer"},
        "assignment": {"type": "string", "description": "The assignment's key."},
        "notebook": {"type": "string", "description": "The notebook's stem (file name without .ipynb)."},
        "content_hash": {"type": "string"},
        "size": {"type": "integer", "description": "Bytes."},
        "submitted_at": {"type": "string", "format": "date-time"},
        "late": {"type": "boolean"},
        "duplicate": {"type": "boolean", "description": "True when the same bytes were submitted before."},
        "url": {"type": "string", "format": "uri", "description": "The submission's page on the site."},
        "state": {"type": "string", "nullable": True, "description": "queued, running, graded, failed…"},
        "progress": {
            "type": "object",
            "nullable": True,
            "properties": {"percent": {"type": "integer"}, "label": {"type": "string"}},
        },
        "score": {"type": "number", "nullable": True, "description": "Once graded."},
        "max_score": {"type": "number", "nullable": True, "description": "Once graded."},
        "tests": {"type": "array", "items": {"$ref": "#/components/schemas/TestResult"}},
        "error": {"type": "string", "nullable": True},
    },
}

ASSIGNMENTS = {
    "type": "object",
    "required": ["assignments"],
    "properties": {
        "assignments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "title", "due_at", "notebooks", "submit_url"],
                "properties": {
                    "key": {"type": "string"},
                    "title": {"type": "string"},
                    "due_at": {
                        "type": "string",
                        "format": "date-time",
                        "nullable": True,
                        "description": "Your own deadline (extensions included).",
                    },
                    "notebooks": {"type": "array", "items": {"type": "string"}},
                    "submit_url": {"type": "string", "format": "uri"},
                },
            },
        }
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "The notebook was refused (not a notebook, wrong assignment, malformed).",
        401: "No valid personal API token.",
        403: "Not yours, or the submission window is closed.",
        404: "No such assignment or submission.",
        405: "Method not allowed.",
        409: "Conflict.",
        413: "The upload is larger than the site's limit.",
    }
    return {
        str(code): {
            "description": text[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


NOTEBOOK = {
    "type": "object",
    "description": "An .ipynb notebook (nbformat 4) of this assignment.",
    "required": ["cells", "metadata", "nbformat", "nbformat_minor"],
    "properties": {
        "cells": {"type": "array", "items": {"type": "object"}},
        "metadata": {"type": "object"},
        "nbformat": {"type": "integer"},
        "nbformat_minor": {"type": "integer"},
    },
}


def api_schema() -> dict[str, Any]:
    """The whole description; paths are relative to the site's root."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "DOTE 6635 homework API",
            "version": "1",
            "description": (
                "Submit homework notebooks and follow their grading. Authenticate with a personal token from "
                "/homework/tokens/: `Authorization: Bearer <token>`."
            ),
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": ERROR,
                "TestResult": TEST_RESULT,
                "Submission": SUBMISSION,
                "Assignments": ASSIGNMENTS,
                "Notebook": NOTEBOOK,
            },
        },
        "security": [{"token": []}],
        "paths": {
            "/homework/api/assignments/": {
                "get": {
                    "operationId": "listAssignments",
                    "summary": "The released assignments, their notebooks and your deadline.",
                    "responses": {"200": _json("Assignments", "The assignments."), **_errors(401, 403)},
                }
            },
            "/homework/api/assignments/{key}/submissions/": {
                "post": {
                    "operationId": "submitNotebook",
                    "summary": "Submit a notebook: the raw JSON as the body, or a multipart field `notebook`.",
                    "parameters": [
                        {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "X-Filename",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "The notebook's file name (JSON body only).",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Notebook"}},
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["notebook"],
                                    "properties": {"notebook": {"type": "string", "format": "binary"}},
                                }
                            },
                        },
                    },
                    "responses": {
                        "201": _json("Submission", "Stored; grading is queued."),
                        "200": _json("Submission", "The same bytes were submitted before (`duplicate`)."),
                        **_errors(400, 401, 403, 404, 409, 413),
                    },
                }
            },
            "/homework/api/submissions/{id}/": {
                "get": {
                    "operationId": "getSubmission",
                    "summary": "A submission's state, progress and, once graded, score and per-test results.",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    ],
                    "responses": {"200": _json("Submission", "The submission."), **_errors(401, 403, 404)},
                }
            },
            "/homework/api/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This description.",
                    "security": [],
                    "responses": {"200": {"description": "The OpenAPI document."}},
                }
            },
        },
    }


@require_GET
def api_openapi(request: HttpRequest) -> JsonResponse:
    """The API's description (public: it holds no course data)."""
    return JsonResponse(api_schema())
