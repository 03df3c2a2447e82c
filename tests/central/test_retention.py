"""Comments are blanked after comment_retention_days, or on an admin's request; each blanking is its own record."""

from datetime import datetime, timedelta, timezone

from tests.helpers.batches import batch, followup_row, rating_row


def deliver_comment(central, token, device, seq, received_at, comment):
    central.clock.set_wall(received_at)
    rating = rating_row(seq, rating=1, recorded_at=received_at - timedelta(minutes=1))
    followup = followup_row(rating, comment=comment)
    document = batch(device, [rating], [followup])
    assert central.post_batch(token, document).json()["accepted"] == 2
    return rating, followup, document


def exported_comments(central, since):
    _, admin = central.add_user(f"auditor-{datetime.now().timestamp()}", "admin")
    today = datetime.now(timezone.utc).date() + timedelta(days=1)
    rows = central.export_json(admin, from_=str(since.date() - timedelta(days=1)), to=str(today))
    return {r["id"]: r["comment"] for r in rows}


def test_prune_blanks_comments_older_than_the_retention_period(central):
    token, device = central.enrolled_kiosk()
    now = datetime.now(timezone.utc)
    old_rating, old, old_document = deliver_comment(
        central, token, device, 1, now - timedelta(days=45), "Old, names me"
    )
    new_rating, new, _ = deliver_comment(central, token, device, 2, now - timedelta(days=3), "Recent")

    output = central.ok("prune", env={"HYMY_CENTRAL_COMMENT_RETENTION_DAYS": "30"})

    assert "1 comments older than 30 days blanked" in output
    comments = central.query(lambda m: {f.id: f.comment for f in m.Followup.select()})
    assert comments == {old["id"]: None, new["id"]: "Recent"}
    redactions = central.query(lambda m: [(r.followup_id, r.reason) for r in m.Redaction.select()])
    assert redactions == [(old["id"], "retention")]
    assert exported_comments(central, now - timedelta(days=45)) == {old_rating["id"]: None, new_rating["id"]: "Recent"}

    again = central.post_batch(token, old_document).json()  # the kiosk re-delivers it
    assert again["duplicates"] == 2 and again["conflicts"] == []
    assert "0 comments" in central.ok("prune", env={"HYMY_CENTRAL_COMMENT_RETENTION_DAYS": "30"})


def test_redact_comment_blanks_one_comment_and_keeps_who_asked(central):
    token, device = central.enrolled_kiosk()
    now = datetime.now(timezone.utc)
    rating, followup, _ = deliver_comment(central, token, device, 1, now - timedelta(days=1), "Anna at the till")
    kept_rating, kept, _ = deliver_comment(central, token, device, 2, now - timedelta(hours=1), "Fine")

    output = central.ok("redact-comment", followup["id"], "--by", "dpo@example.com")

    assert followup["id"] in output
    held = central.query(lambda m: m.Redaction.get())
    assert (held.followup_id, held.reason, held.redacted_by) == (followup["id"], "admin", "dpo@example.com")
    assert exported_comments(central, now - timedelta(days=1)) == {rating["id"]: None, kept_rating["id"]: "Fine"}


def test_redacting_an_unknown_followup_is_one_line_and_exit_1(central):
    result = central.cli("redact-comment", "00000000-0000-0000-0000-000000000000")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
