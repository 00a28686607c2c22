"""The API function. Its code is zipped from this directory, so `handler.py` imports only the
standard library and boto3, never `tap.*`. The Lambda handler string is `handler.handler`."""
