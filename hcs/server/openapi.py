"""The OpenAPI 3.1 description of the client protocol, served at ``/openapi.json``.

Written by hand next to the routes (``hcs.server.http``) so that it says what the
server really checks; a test holds every route of the application against it. The job's
options come from :data:`hcs.job.fields.FIELDS`, the table the parser uses.
"""

from __future__ import annotations

from typing import Any

from hcs.job import fields as job_fields
from hcs.job import frames as job_frames
from hcs.server.states import FilmState

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _err(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


_OPTIONS = {
    "printer": {"type": "string", "description": "A printer or a group (first free)."},
    # the job options: from the table that also makes hcs print's and hcs submit's options
    **job_fields.schema_properties(),
    "images": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Names (filenames) of the multipart image parts, in order.",
    },
    "paths": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Absolute server-side paths inside server.allowed_dirs "
        "(local clients only).",
    },
    "frames": {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Frame"},
        "minItems": 1,
        "description": "Box by box: which image goes in which box, with its own values "
        "(without frames the images fill the boxes in order). Images named only here "
        "need not be listed in images.",
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "hcs hardcopy server",
        "version": "1",
        "description": "Submit DICOM print jobs, follow them film by film, list printers. "
        "With server.token configured every request sends "
        "'Authorization: Bearer TOKEN' (else 401).",
    },
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "field", "reason"],
                "properties": {
                    "error": {"type": "string", "description": "'field: reason'"},
                    "field": {"type": "string", "description": "The field at fault."},
                    "reason": {"type": "string"},
                },
            },
            "JobSpec": {
                "type": "object",
                "required": ["printer"],
                "properties": _OPTIONS,
                "additionalProperties": False,
            },
            # per-frame keys: from the same table (hcs.job.frames.schema)
            "Frame": job_frames.schema(),
            "Operation": {
                "type": "object",
                "properties": {
                    "operation": {"type": "string"},
                    "status": {"type": ["integer", "null"]},
                    "status_hex": {"type": ["string", "null"]},
                    "category": {"type": ["string", "null"]},
                    "description": {"type": "string"},
                    "error_comment": {"type": ["string", "null"]},
                },
            },
            "Film": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "state": {"enum": [s.value for s in FilmState]},
                    "printer": {"type": ["string", "null"]},
                    "attempts": {"type": "integer"},
                    "reason": {"type": ["string", "null"]},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                    "notes": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "e.g. the at-least-once note after a restart",
                    },
                    "operations": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Operation"},
                    },
                    "preview_url": {"type": "string"},
                },
            },
            "Job": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "state": {
                        "enum": [
                            "queued",
                            "printing",
                            "preempted",
                            "held",
                            "done",
                            "failed",
                            "cancelled",
                        ]
                    },
                    "reason": {"type": ["string", "null"]},
                    "priority": {"enum": ["HIGH", "MED", "LOW"]},
                    "target": {"type": "string"},
                    "printer": {"type": ["string", "null"]},
                    "film_count": {"type": "integer"},
                    "films": {"type": "array", "items": {"$ref": "#/components/schemas/Film"}},
                    "spec": {"$ref": "#/components/schemas/JobSpec"},
                    "events": {"type": "array", "items": {"type": "object"}},
                },
            },
            "Printer": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "ae_title": {"type": "string"},
                    "host": {"type": "string"},
                    "port": {"type": "integer"},
                    "status": {
                        "type": ["string", "null"],
                        "description": "NORMAL, WARNING, FAILURE (N-GET, "
                        "N-EVENT-REPORT), or UNREACHABLE",
                    },
                    "status_info": {"type": ["string", "null"]},
                    "busy": {"type": "boolean"},
                    "queued": {"type": "integer"},
                    "groups": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "security": [{"token": []}, {}],
    "paths": {
        "/printers": {
            "get": {
                "summary": "Printers with their live status",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "printers": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Printer"},
                                },
                                "groups": {"type": "object"},
                            },
                        },
                        "The printers and groups",
                    )
                },
            }
        },
        "/jobs": {
            "get": {
                "summary": "List jobs, newest first",
                "parameters": [
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "Comma-separated states",
                    },
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "jobs": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Job"},
                                }
                            },
                        },
                        "Jobs",
                    )
                },
            },
            "post": {
                "summary": "Submit a job",
                "description": "The job and its images are on disk (fsynced, committed) "
                "before the 201.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["job"],
                                "properties": {
                                    "job": {"$ref": "#/components/schemas/JobSpec"},
                                },
                                "additionalProperties": {
                                    "type": "string",
                                    "format": "binary",
                                    "description": "DICOM images, named as in job.images",
                                },
                            }
                        },
                        "application/json": {"schema": {"$ref": "#/components/schemas/JobSpec"}},
                    },
                },
                "responses": {
                    "201": _json({"$ref": "#/components/schemas/Job"}, "Queued"),
                    "400": _err("Malformed JSON or a wrong value; 'field' names it"),
                    "401": _err("Missing or wrong token"),
                    "403": _err(
                        "A path outside server.allowed_dirs, or paths from a remote client"
                    ),
                    "404": _err("No such printer or group, or no such path"),
                    "413": _err("An upload larger than server.max_upload_mb"),
                    "415": _err("An upload that is not a DICOM image, or a wrong Content-Type"),
                    "507": _err("The spool is full (server.spool_max_mb or the disk)"),
                },
            },
        },
        "/jobs/{job_id}": {
            "parameters": [
                {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {
                "summary": "One job with its films, DICOM statuses and warnings",
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Job"}, "The job"),
                    "404": _err("No such job"),
                },
            },
            "delete": {
                "summary": "Cancel a job (after the film being printed, if any)",
                "responses": {
                    "200": _json({"type": "object"}, "cancelled or cancelling"),
                    "404": _err("No such job"),
                },
            },
        },
        "/jobs/{job_id}/cancel": {
            "parameters": [
                {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "post": {
                "summary": "Cancel a job (same as DELETE /jobs/{job_id})",
                "responses": {
                    "200": _json({"type": "object"}, "cancelled or cancelling"),
                    "404": _err("No such job"),
                },
            },
        },
        **{
            f"/jobs/{{job_id}}/{action}": {
                "parameters": [
                    {
                        "name": "job_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "post": {
                    "summary": summary,
                    **(
                        {
                            "requestBody": {
                                "required": True,
                                "content": {
                                    "application/json": {
                                        "schema": {
                                            "type": "object",
                                            "required": ["priority"],
                                            "properties": {
                                                "priority": {"enum": ["HIGH", "MED", "LOW"]}
                                            },
                                        }
                                    }
                                },
                            }
                        }
                        if action == "priority"
                        else {}
                    ),
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/Job"}
                            if action == "reprint"
                            else {"type": "object"},
                            answer,
                        ),
                        "400": _err("A priority that is not HIGH, MED or LOW"),
                        "404": _err("No such job"),
                        "409": _err("The job's state does not allow it (field 'state')"),
                    },
                },
            }
            for action, summary, answer in (
                (
                    "hold",
                    "Hold a waiting job until a client releases it",
                    "{id, state: held}",
                ),
                ("release", "Let a held job go on", "{id, state}"),
                (
                    "priority",
                    "Change a waiting job's priority: its queue place and the Print "
                    "Priority of its next films",
                    "{id, priority}",
                ),
                (
                    "reprint",
                    "Print a job again: a new job with the same options and images",
                    "the new job",
                ),
            )
        },
        "/jobs/{job_id}/films/{index}/preview.png": {
            "parameters": [
                {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "index",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                },
            ],
            "get": {
                "summary": "A film's preview as formatted for its printer",
                "responses": {
                    "200": {"description": "PNG", "content": {"image/png": {}}},
                    "404": _err("No preview (yet)"),
                },
            },
        },
        "/config/reload": {
            "post": {
                "summary": "Read the configuration file again (as SIGHUP does)",
                "responses": {
                    "200": _json({"type": "object"}, "added, removed, changed printers"),
                    "422": _err(
                        "The file is invalid; 'line' and 'reason' say where; "
                        "the old configuration stays"
                    ),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "text/plain; version=0.0.4",
                        "content": {"text/plain": {}},
                    }
                },
            }
        },
        "/healthz": {
            "get": {"summary": "Liveness", "responses": {"200": _json({"type": "object"}, "ok")}}
        },
        "/health": {
            "get": {
                "summary": "Readiness: ok, or why this server takes no work (its spool's"
                " database is unreachable)",
                "responses": {
                    "200": _json({"type": "object"}, "ok, with the instance and the spool"),
                    "503": _json({"type": "object"}, "not ok; 'database' says why"),
                },
            }
        },
        "/events": {
            "get": {
                "summary": "Live updates (Server-Sent Events): what changed, never its content",
                "description": "A text/event-stream that stays open. First an event 'hello' "
                "(fetch the state once, also after every reconnect), then an event 'change' "
                "for each change of a job, film or printer anywhere in the group of servers, "
                'whose data is JSON: {"kind": "job", "id": ID}, {"kind": "film", "id": ID, '
                '"film": N}, {"kind": "printer", "id": NAME}, or {"kind": "resync"} (some '
                "changes may have been missed: fetch everything). A comment line every 15 s "
                "keeps the connection alive. Read requests need the token like the others "
                "(Authorization, or the console's cookie: EventSource sends it).",
                "responses": {
                    "200": {
                        "description": "The stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "503": _err("Too many streams open on this server, or it is stopping"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": _json({"type": "object"}, "OpenAPI")},
            }
        },
        "/": {
            "get": {
                "summary": "The web console (HTML)",
                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}},
            }
        },
    },
}
