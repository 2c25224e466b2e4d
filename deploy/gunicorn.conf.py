"""gunicorn settings for the site, shared by the systemd unit, the compose file and the Kubernetes manifests.

Every value can be overridden from the environment (GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS,
GUNICORN_TIMEOUT). The timeout leaves room for the largest upload the site accepts on a slow link; nginx's
`proxy_read_timeout` is set to the same value (tests/deploy/test_configs.py ties them together).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# nginx (one proxy in front) sets X-Forwarded-For/-Proto; only trust it from the proxy's address.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# request id from nginx, for following one request through the logs
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}i)s'
