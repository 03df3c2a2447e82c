"""A bare Flask + sqlite3 sketch of ``POST /api/ratings``, the floor for tap_latency.

Same durability as the kiosk (WAL, synchronous=FULL, one INSERT per request,
committed before the 201), same server (waitress, 16 threads), none of the
kiosk's work (filters, sequence, outbox, peewee). Each server thread keeps its
own connection, as a minimal app would.

    python bench/_bare_app.py --port 8123 --db /tmp/bare.sqlite3
"""
import argparse
import sqlite3
import threading
import uuid

import waitress
from flask import Flask, jsonify, request

SCHEMA = "CREATE TABLE IF NOT EXISTS rating (id TEXT PRIMARY KEY, rating INTEGER NOT NULL, at TEXT NOT NULL)"


def connect(path):
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=5000")
    return db


def create_app(path):
    connect(path).execute(SCHEMA)
    local = threading.local()
    app = Flask(__name__)

    def db():
        if not hasattr(local, "db"):
            local.db = connect(path)
        return local.db

    @app.post("/api/ratings")
    def post_rating():
        body = request.get_json(silent=True)
        rating = body.get("rating") if isinstance(body, dict) else None
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 4:
            return jsonify(error="rating must be a whole number from 1 to 4"), 400
        rating_id = str(uuid.uuid4())
        conn = db()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO rating VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ'))", (rating_id, rating))
        conn.execute("COMMIT")
        return jsonify(id=rating_id, filtered=None), 201

    @app.get("/healthz")
    def healthz():
        total = db().execute("SELECT count(*) FROM rating").fetchone()[0]
        return jsonify(status="ok", counts={"total": total})

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True, help="SQLite file to write")
    args = parser.parse_args()
    waitress.serve(create_app(args.db), host="127.0.0.1", port=args.port, threads=16, _quiet=True)


if __name__ == "__main__":
    main()
