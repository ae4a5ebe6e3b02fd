"""gunicorn settings for ``gridgov start`` (``--config python:gridgov.gunicorn_conf``)."""

import gunicorn.http.wsgi

# The Server header names no software or version (SECURITY.md G6): gunicorn writes its own
# name there, and has no setting for it.
gunicorn.http.wsgi.SERVER = "GridGov"
