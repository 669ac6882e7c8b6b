"""The import page (``/inventory/import``): coordinators and admins upload a file, read its
dry run (counts and every problem, downloadable as CSV), then confirm. Checking and importing
run in the background (``services.import_runs``); the run's page shows the progress (a small
script polls ``status.json``; without scripts the page refreshes itself).
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import FileField, RadioField, SelectField

from ..auth import EDITORS, roles_required
from ..db import get_session
from ..extensions import csrf
from ..forms import SelectChoice
from ..hsds.readers import FORMAT_NAMES, READERS, detect_format
from ..services import import_runs as runs
from ..services.imports import REPORT_COLUMNS

bp = Blueprint("imports", __name__, url_prefix="/inventory/import")

AUTO = "auto"


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values: dict | None) -> None:
    """The upload takes files up to ``IMPORT_MAX_UPLOAD_MB`` (``MAX_CONTENT_LENGTH``
    elsewhere), from coordinators and admins only. Set here: this runs before every
    ``before_request`` function, and one of those reads the form."""
    if endpoint != "imports.upload" or not current_user.is_authenticated:
        return
    if current_user.role not in EDITORS:
        return
    limit = int(_upload_limit_mb() * 1024 * 1024)
    if (request.content_length or 0) > limit:
        # Too big: the body is not read at all (every form on the way, the error page's
        # included, then sees an empty one) and the view answers 413 with the upload page.
        request.environ["wsgi.input"] = io.BytesIO(b"")
        request.environ["CONTENT_LENGTH"] = "0"
        g.upload_too_large = True
        return
    request.max_content_length = limit


def _upload_limit_mb() -> float:
    return float(current_app.config.get("IMPORT_MAX_UPLOAD_MB") or 200)


class UploadForm(FlaskForm):
    file = FileField("File to import")
    fmt = SelectField(
        "Format",
        choices=[
            SelectChoice(AUTO, "Detect from the file"),
            *(SelectChoice(reader.name, reader.label) for reader in READERS),
        ],
        default=AUTO,
        validate_choice=False,
    )
    on_error = RadioField(
        "When a record has a problem",
        choices=[
            SelectChoice(
                "skip",
                "Import what is sound; drop or skip only what is wrong and flag it for review",
            ),
            SelectChoice("fail", "Import nothing unless the whole file is sound"),
        ],
        default="skip",
        validate_choice=False,
    )


class ConfirmForm(FlaskForm):
    pass


def _page(form: UploadForm, status: int = 200, error: str = "", busy: object = None):  # noqa: ANN202
    session = get_session()
    body = render_template(
        "imports/index.html",
        form=form,
        error=error,
        busy=busy if busy is not None else runs.active_run(session),
        recent=runs.recent_runs(session),
        labels=runs.FORMAT_LABELS,
    )
    session.commit()  # a dead run found on the way is failed for good
    return body, status


@bp.get("/")
@roles_required(*EDITORS)
def index():  # noqa: ANN201
    return _page(UploadForm())


@bp.post("/")
@roles_required(*EDITORS)
@csrf.exempt
def upload():  # noqa: ANN201
    """Save the upload, detect its format and start the dry run."""
    limit_mb = _upload_limit_mb()
    if g.get("upload_too_large"):
        return _page(UploadForm(formdata=None), 413, f"The file is larger than {limit_mb:g} MB.")
    try:
        validate_csrf(request.form.get("csrf_token"))
        form = UploadForm()
    except RequestEntityTooLarge:
        return _page(UploadForm(formdata=None), 413, f"The file is larger than {limit_mb:g} MB.")
    except CSRFError:
        abort(400, description="The form expired; reload the page and try again.")
    except Exception:  # noqa: BLE001 (flask_wtf raises ValidationError for a bad token)
        abort(400, description="The form expired; reload the page and try again.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(form, 400, "Choose a file to import.")
    on_error = form.on_error.data if form.on_error.data in ("skip", "fail") else "skip"
    session = get_session()
    busy = runs.active_run(session)
    if busy is not None:
        session.commit()
        return _page(form, 409, busy=busy)
    name = _safe_name(upload.filename)
    stored = runs.stored_upload_dir(current_app) / f"{uuid.uuid4().hex}-{name}"
    try:
        upload.save(stored)
    finally:
        upload.close()
    fmt = form.fmt.data if form.fmt.data in FORMAT_NAMES else detect_format(stored, name)
    if fmt is None:
        stored.unlink(missing_ok=True)
        return _page(
            form,
            400,
            f"Could not tell what kind of file {name} is; choose its format from the list.",
        )
    try:
        run = runs.create_run(
            session,
            file_name=name,
            stored_path=stored,
            fmt=fmt,
            on_error=on_error,
            user=current_user.email,
        )
    except runs.ImportBusyError as exc:
        stored.unlink(missing_ok=True)
        session.rollback()
        return _page(form, 409, busy=exc.run)
    session.commit()
    runs.start_job(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        run.id,
        background=current_app.config.get("IMPORT_IN_BACKGROUND", True),
    )
    return redirect(url_for("imports.run", run_id=run.id), 303)


def _safe_name(filename: str) -> str:
    base = Path(filename.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "upload"
    return cleaned[-120:]


def _run_or_404(run_id: str):  # noqa: ANN202
    try:
        return runs.get_run(get_session(), run_id)
    except runs.UnknownRunError:
        abort(404)


@bp.get("/<run_id>")
@roles_required(*EDITORS)
def run(run_id: str):  # noqa: ANN201
    item = _run_or_404(run_id)
    session = get_session()
    if item.status in runs.ACTIVE:
        runs.active_run(session)  # fails it when its job died
        session.commit()
    problems, total_problems = runs.report_rows_of(item)
    busy = runs.active_run(session)
    return render_template(
        "imports/run.html",
        run=item,
        progress=runs.progress_of(item),
        dry=runs.counts_of(item.dry_run_summary),
        done=runs.counts_of(item.summary),
        problems=problems,
        total_problems=total_problems,
        columns=REPORT_COLUMNS,
        form=ConfirmForm(),
        busy=busy if busy is not None and busy.id != item.id else None,
        labels=runs.FORMAT_LABELS,
    )


@bp.get("/<run_id>/status.json")
@roles_required(*EDITORS)
def status(run_id: str) -> Response:
    item = _run_or_404(run_id)
    return jsonify(runs.progress_of(item).as_json())


@bp.get("/<run_id>/report.csv")
@roles_required(*EDITORS)
def report(run_id: str) -> Response:
    item = _run_or_404(run_id)
    text = item.report or ",".join(REPORT_COLUMNS) + "\n"
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(item.file_name).stem)[:60] or "import"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{stem}-problems.csv"'},
    )


@bp.post("/<run_id>/confirm")
@roles_required(*EDITORS)
def confirm(run_id: str):  # noqa: ANN201
    item = _run_or_404(run_id)
    session = get_session()
    try:
        runs.confirm_run(session, item, current_user.email)
    except runs.ImportBusyError:
        session.rollback()
        return redirect(url_for("imports.run", run_id=run_id), 303)
    except runs.RunStateError as exc:
        abort(409, description=str(exc))
    session.commit()
    runs.start_job(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        item.id,
        background=current_app.config.get("IMPORT_IN_BACKGROUND", True),
    )
    return redirect(url_for("imports.run", run_id=item.id), 303)
