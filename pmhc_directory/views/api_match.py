"""``GET``/``POST /api/v1/match`` (spec/api.md 3): parse, call the lookup, answer JSON.

POST takes the same fields as a JSON body, which keeps a person's location and needs out of
URLs and access logs.

The lookup only reads. Then, for a signed-in user who asked about now, the view records the
answer's unmet needs (``record_unmet_from_app``, once per lookup intent) and commits: the one
write of this endpoint, GET included. A failure to record is logged and rolled back; the answer
is sent all the same.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import BadRequest

from ..auth import directory_reader
from ..db import get_session
from ..services.lookup import LookupInputError, parse_lookup_params, query_params
from .api import bp
from .errors import input_error, json_error
from .lookup_support import lookup_from_app, record_unmet_from_app
from .rate_limits import lookup_limits

log = logging.getLogger(__name__)


@bp.route("/match", methods=["GET", "POST"])
@directory_reader
@lookup_limits()
def match() -> Any:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from flask import current_app

    if request.method == "POST":
        try:
            params = request.get_json(force=False, silent=False)
        except BadRequest:
            return json_error(400, "invalid-json", "The request body is not valid JSON.")
        if not isinstance(params, dict):
            return json_error(400, "invalid-json", "The request body must be a JSON object.")
    else:
        # Lists may be repeated (needs=a&needs=b) or comma-separated; other fields take one value.
        params = query_params(request.args)
    session = get_session()
    try:
        lookup = parse_lookup_params(
            params, zone=ZoneInfo(current_app.config["TIMEZONE"]), now=datetime.now(UTC)
        )
        answer = lookup_from_app(session, lookup)
    except LookupInputError as exc:
        session.rollback()
        return input_error(exc)
    try:
        record_unmet_from_app(session, lookup, answer)  # signed-in users' only, once per intent
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.warning("could not record unmet needs for a lookup", exc_info=True)
    response = current_app.json.response(answer.to_json())
    response.headers["Cache-Control"] = "no-store"
    return response
