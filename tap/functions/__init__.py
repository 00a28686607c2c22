"""Source code of the Lambda functions. Each subpackage is zipped by `tap.packaging` and
deployed on its own."""
