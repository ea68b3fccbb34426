import Celery
