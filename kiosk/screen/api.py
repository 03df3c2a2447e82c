"""The kiosk's HTTP API: record ratings and follow-ups, report health.

Contract (docs/api.md): every answer is JSON; malformed input gets a
4xx with an ``error`` message and stores nothing; a storage failure is 503.
JSON-only bodies also keep other web pages from posting here: a cross-origin
``application/json`` POST needs a CORS preflight, which this API never grants.
"""
import logging
import uuid
from collections.abc import Collection
from typing import Any

import peewee
from flask import Blueprint, Flask, Response, jsonify
from werkzeug.exceptions import BadRequest, Forbidden

from kiosk.errors import ConflictError, NotFoundError, StaleQuestionError, StorageError, ValidationError
from kiosk.storage.db import connection
from kiosk.storage.health import disk_space, storage_reasons, sync_health
from kiosk.storage.migrations import schema_version
from kiosk.storage.models import Followup, Outbox, Rating
from kiosk.web.parts import current_parts
from sync.common.version import software_version
from sync.common.web import answer_errors_as_json, json_body, json_error

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__)

#: Largest request body the kiosk accepts (16 KB); larger gets 413.
MAX_BODY_BYTES = 16 * 1024

STATUS_BY_ERROR = {
    ValidationError: 400,
    NotFoundError: 404,
    StaleQuestionError: 409,
    ConflictError: 409,
    StorageError: 503,
}


def json_object(allowed: Collection[str]) -> dict[str, Any]:
    """The request's JSON object (at most MAX_BODY_BYTES), checked for media type, syntax and keys."""
    try:
        body = json_body(MAX_BODY_BYTES)
    except BadRequest as error:
        raise ValidationError(error.description) from None
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ValidationError(f"unknown field {unknown[0]!r}")
    return body


class WrongFollowupKey(Forbidden):
    description = "followup_key is missing or is not this rating's (it comes with the rating's 201 answer)"


@bp.post("/api/ratings")
def post_rating() -> tuple[Response, int]:
    """Record one tap on a face; the answer carries the key for its follow-up."""
    body = json_object({"rating", "question_version"})
    if "rating" not in body:
        raise ValidationError("rating is required")
    kiosk = current_parts()
    recorded = kiosk.recorder.record(body["rating"], "touch", body.get("question_version"))
    return jsonify(id=recorded.id, filtered=recorded.filtered,
                   followup_key=kiosk.followup_keys.key_for(recorded.id)), 201


@bp.post("/api/ratings/<rating_id>/followup")
def post_followup(rating_id: str) -> tuple[Response, int]:
    """Record the answer to "what mattered most?" for one rating."""
    try:
        rating_id = str(uuid.UUID(rating_id))
    except ValueError:
        raise NotFoundError("no rating with that id") from None
    body = json_object({"reason", "comment", "followup_key"})
    if "reason" not in body:
        raise ValidationError("reason is required")
    kiosk = current_parts()

    def key_checked(found_id: str) -> None:
        # After the body's checks and the rating's existence, before "already answered":
        # only the customer's own screen may learn whether a rating has its follow-up.
        if not kiosk.followup_keys.matches(found_id, body.get("followup_key")):
            raise WrongFollowupKey()

    followup_id = kiosk.recorder.record_followup(rating_id, body["reason"], body.get("comment"),
                                                 authorise=key_checked)
    return jsonify(id=followup_id, rating_id=rating_id), 201


@bp.get("/api/state")
def state() -> Response:
    """Whether a manager has paused the kiosk (open screens ask now and then, and show it), whether the
    site is open now, and how the touchscreen is turned (``hymy display`` asks: the screen is off while closed)."""
    kiosk = current_parts()
    hours = kiosk.content_store.current().opening_hours
    # Until the clock is trusted the time of day is unknown: the screen stays on rather than go dark by mistake.
    is_open = hours.always_open or not kiosk.clock.trusted() or hours.is_open(kiosk.clock.now())
    display = {"rotation": kiosk.config.display_rotation, "output": kiosk.config.display_output}
    return jsonify(paused=kiosk.pause.paused, open=is_open, display=display)


@bp.get("/healthz")
def healthz() -> Response | tuple[Response, int]:
    """Database state, counts and whether data flows (kiosk/storage/health.py), for monitoring and the installer."""
    kiosk = current_parts()
    report: dict[str, Any] = {"status": "ok", "reasons": [], "kiosk_id": kiosk.kiosk_id, "version": software_version()}
    try:
        with connection() as db:
            report["database"] = {"state": "ok", "schema_version": schema_version(db)}
            report["counts"] = {
                "total": Rating.select().count(),
                "followups": Followup.select().count(),
                "pending_sync": Outbox.pending_count(),
                "quarantined": Outbox.quarantined().count(),
            }
            health = sync_health(kiosk.config.data_dir, kiosk.clock.now(), kiosk.config.sync_stale_after)
    except peewee.DatabaseError as error:
        log.error("health check: database unusable: %s", error)
        report.update(status="error", reasons=[f"the kiosk's database failed: {error}"],
                      database={"state": "error", "detail": str(error)})
        return jsonify(report), 503
    storage = storage_reasons(kiosk.recorder.storage_failure, kiosk.config.data_dir)
    reasons = storage + health.reasons
    report.update(status="degraded" if reasons else "ok", reasons=reasons, sync=health.sync)
    space = disk_space(kiosk.config.data_dir)
    report["disk"] = {"free_bytes": space[0], "total_bytes": space[1]} if space else None
    report["clock_trusted"] = kiosk.clock.trusted()
    report["buttons"] = kiosk.buttons.factory_name if kiosk.buttons else "off"
    report["screens_open"] = kiosk.events.subscriber_count
    return jsonify(report)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.errorhandler(ValidationError)
    @app.errorhandler(NotFoundError)
    @app.errorhandler(StaleQuestionError)
    @app.errorhandler(ConflictError)
    @app.errorhandler(StorageError)
    def _hymy_error(error):
        status = next(code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind))
        return json_error(status, str(error) if status != 503 else "the rating could not be stored; try again")

    # Every error the kiosk answers is JSON, pages included: a screen never
    # shows an error page, and a script asking a wrong path gets a reason.
    answer_errors_as_json(app, MAX_BODY_BYTES)
