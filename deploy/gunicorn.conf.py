# gunicorn settings for a hub or the aggregator. Usage:
#   gunicorn -c deploy/gunicorn.conf.py 'hub:create_app()'
#   gunicorn -c deploy/gunicorn.conf.py 'national_aggregator:create_app()'
# The instance folder comes from HUB_INSTANCE / AGGREGATOR_INSTANCE in the environment.
import multiprocessing
import os

bind = os.environ.get("HUBNET_BIND", "127.0.0.1:8101")
workers = int(os.environ.get("HUBNET_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = 4
timeout = 60
graceful_timeout = 20
# the app is checked (database migrated, keys readable) once, before forking
preload_app = True
accesslog = "-"
errorlog = "-"
# nginx sets X-Forwarded-* for us; trust it only from the local proxy
forwarded_allow_ips = "127.0.0.1"
