import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
application = get_wsgi_application()
# Everything loaded so far lives as long as the worker: keep it out of the collector's
# scans, so a full collection during a request costs milliseconds, not a few hundred.
gc.collect()
gc.freeze()
