"""The API function: the handler (`handler.py`), its PostgreSQL access (`db.py`), the
migrations (`migrations/*.sql`, applied by `migrate.py`) and the RDS CA bundle (`certs/`).

`tap.packaging` zips this directory under its package path with the pinned pg8000 driver, so
these modules import only the standard library, pg8000, each other and, in AWS, the runtime's
boto3; never the rest of `tap`. Lambda handler strings: `tap.functions.api.handler.handler`
(the API) and `tap.functions.api.migrate.handler` (the migration function).
"""
