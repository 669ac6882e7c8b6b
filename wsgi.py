"""WSGI entry point: ``gunicorn 'wsgi:app'``."""

from pmhc_directory import create_app

app = create_app()
