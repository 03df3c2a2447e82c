"""The kiosk-facing endpoints besides ingest: enrollment, config, heartbeat.

All take the kiosk's bearer token; central always takes the kiosk from the
token, never from the body.
"""
import hashlib
import json
from typing import Any

import peewee
from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Conflict, Forbidden, UnprocessableEntity

from sync.central.ingest.reconcile import reconcile
from sync.central.org.actions import ActionConflict, ActionError, checked_action, record_action
from sync.central.org.auth import current_kiosk
from sync.central.org.content import shares_site_names
from sync.central.reports.network import network_document
from sync.central.store.db import write_transaction
from sync.central.store.models import Kiosk, KioskStatus, Question, Reason, Setting
from sync.central.store.timesource import utc_now
from sync.common.web import json_body
from sync.wire.protocol import ENROLL_FIELDS, HEARTBEAT_FIELDS, MAX_BODY_BYTES, RowError, check_row

bp = Blueprint("kiosk_api", __name__)


def _checked(fields):
    """The request's body checked against *fields*; 422 naming the field.

    Callers look the token up first: a request without a valid token never
    gets its body inflated and parsed."""
    try:
        return check_row(json_body(MAX_BODY_BYTES, gzip=True), fields)
    except RowError as error:
        raise UnprocessableEntity(str(error)) from None


def _own_kiosk(body):
    kiosk = current_kiosk()
    if kiosk.uuid is None:
        raise Forbidden("this kiosk token is not enrolled yet: run hymy enroll on the kiosk")
    if body["kiosk_id"] != kiosk.uuid:
        raise Forbidden("the body names another kiosk than the token's")
    return kiosk


@bp.post("/api/v1/enroll")
def enroll() -> ResponseReturnValue:
    """Bind the kiosk's own UUID to the token's kiosk record (idempotent)."""
    kiosk = current_kiosk()
    body = _checked(ENROLL_FIELDS)
    if kiosk.uuid not in (None, body["kiosk_id"]):
        raise Conflict("this token is already enrolled by another device")
    if kiosk.uuid is None:
        taken = Kiosk.select().where((Kiosk.uuid == body["kiosk_id"]) & (Kiosk.id != kiosk.id)).exists()
        if taken:
            raise Conflict("this device is already enrolled as another kiosk")
        try:
            with write_transaction():
                # Conditional, so two devices enrolling with one token at once cannot both win.
                (Kiosk.update(uuid=body["kiosk_id"], enrolled_at=utc_now())
                 .where((Kiosk.id == kiosk.id) & Kiosk.uuid.is_null()).execute())
        except peewee.IntegrityError:
            raise Conflict("this device is already enrolled as another kiosk") from None
    kiosk = Kiosk.get_by_id(kiosk.id)
    if kiosk.uuid != body["kiosk_id"]:
        raise Conflict("this token is already enrolled by another device")
    return jsonify(kiosk=kiosk.name, site=kiosk.site.name, service=kiosk.service.name,
                   provider=kiosk.provider.name if kiosk.provider else None, kiosk_id=kiosk.uuid)


def kiosk_content(kiosk: Kiosk) -> dict[str, Any]:
    """The content central owns for *kiosk*, as the kiosk applies it."""
    question = (Question.select().where((Question.key == kiosk.question_key) & Question.published)
                .order_by(Question.version.desc()).first())
    reasons = Reason.select().where(Reason.offered).order_by(Reason.position, Reason.key)
    target = Setting.get_or_none(Setting.key == "target")
    min_responses = Setting.get_or_none(Setting.key == "min_responses")
    return {
        "kiosk": kiosk.name,
        "site": kiosk.site.name,
        "service": kiosk.service.name,
        "provider": kiosk.provider.name if kiosk.provider else None,
        "timezone": kiosk.site.timezone,
        "opening_hours": kiosk.site.opening_hours,
        "question": {"id": question.key, "version": question.version, "texts": question.texts} if question else None,
        "reasons": [{"key": r.key, "group": r.group, "labels": r.labels} for r in reasons],
        "target": target.value if target else None,
        "min_responses": int(min_responses.value) if min_responses else None,
        "manager_pin_hash": kiosk.site.manager_pin_hash,
    }


@bp.get("/api/v1/config")
def send_content() -> ResponseReturnValue:
    """The kiosk's content (its question, reasons, hours, PIN hash; the path says config for old kiosks)
    with an ETag; 304 when the kiosk has it already."""
    kiosk = current_kiosk()
    if kiosk.uuid is None:
        raise Forbidden("this kiosk token is not enrolled yet: run hymy enroll on the kiosk")
    content = kiosk_content(kiosk)
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    etag = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    response = jsonify(content)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.get("/api/v1/network")
def send_network() -> ResponseReturnValue:
    """Where the kiosk's site stands in the brand's network (sync/central/reports/network.py), with an
    ETag over the figures (not the moment they were made): 304 while the kiosk holds the same ones."""
    kiosk = current_kiosk()
    if kiosk.uuid is None:
        raise Forbidden("this kiosk token is not enrolled yet: run hymy enroll on the kiosk")
    document = network_document(kiosk, utc_now(), shares_site_names())
    figures = {key: value for key, value in document.items() if key != "generated_at"}
    canonical = json.dumps(figures, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    response = jsonify(document)
    response.set_etag(hashlib.sha256(canonical.encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.post("/api/v1/actions")
def post_action() -> ResponseReturnValue:
    """Keep an action the kiosk's manager recorded, for the kiosk's site (idempotent by its id)."""
    kiosk = current_kiosk()
    if kiosk.uuid is None:
        raise Forbidden("this kiosk token is not enrolled yet: run hymy enroll on the kiosk")
    try:
        action = checked_action(json_body(MAX_BODY_BYTES, gzip=True))
    except ActionError as error:
        raise UnprocessableEntity(str(error)) from None
    if action["kiosk_id"] != kiosk.uuid:
        raise Forbidden("the action names another kiosk than the token's")
    try:
        created = record_action(kiosk.site, action, utc_now(), kiosk=kiosk)
    except ActionConflict as error:
        raise Conflict(str(error)) from None
    except ActionError as error:
        raise UnprocessableEntity(str(error)) from None
    return jsonify(id=action["id"], stored=True), 201 if created else 200


@bp.post("/api/v1/heartbeat")
def heartbeat() -> ResponseReturnValue:
    """Keep the kiosk's latest state; answer with central's sequence view."""
    current_kiosk()
    body = _checked(HEARTBEAT_FIELDS)
    kiosk = _own_kiosk(body)
    body.pop("kiosk_id")
    values = dict(body, reported_at=utc_now())
    (KioskStatus.insert(kiosk=kiosk.id, **values)
     .on_conflict(conflict_target=[KioskStatus.kiosk], update=values).execute())
    return jsonify(received=True, sequence=reconcile(kiosk))
