"""Source code of the Lambda functions. Each subpackage is zipped and deployed on its own."""
